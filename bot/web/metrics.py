"""GET /metrics: this process's counters in Prometheus text, with the outbox backlog read from
the database at scrape time (bot.metrics says how several processes report)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response

from bot import metrics
from bot.delivery.services import Services
from bot.store.backlog import Backlog, outbox_backlog
from bot.store.db import run_db

log = logging.getLogger(__name__)
router = APIRouter()


def _read_backlog(services: Services) -> Backlog:
    with services.sessions() as session:
        return outbox_backlog(session, services.now())


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    """The scrape; a database that cannot be read leaves the backlog out, not the counters."""
    services: Services = request.app.state.services
    readings: list[metrics.Reading] = []
    try:
        backlog = await run_db(services.sessions, _read_backlog, services)
    except Exception:
        log.warning("outbox backlog not read for /metrics", exc_info=True)
    else:
        readings = [
            metrics.Reading(
                "thidua_outbox_depth",
                "Outbox messages not yet delivered, failed or expired.",
                backlog.depth,
            ),
            metrics.Reading(
                "thidua_outbox_oldest_due_seconds",
                "How long the oldest due outbox message has waited past its due time.",
                backlog.oldest_due_s,
            ),
        ]
    body, content_type = metrics.render(readings)
    return Response(body, media_type=content_type)
