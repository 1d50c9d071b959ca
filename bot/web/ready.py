"""`/readyz`: whether this process can take traffic now, for a load balancer.

Polled every few seconds, so cheap: one `SELECT 1`, then each probe the composition root
gave the services (the index: a Chroma server's heartbeat; an embedded index is ready once
open), each within a few seconds. 503 names the parts that failed; the body says only the
error's kind (the details, which may name hosts, go to the log). Channels are reported from
what the sender already knows (a 429 pause) without calling a platform, and never make the
process unready: a platform that is down is down for every process alike, and taking them
out of the balancer would stop the other channels' webhooks too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.services import Services
from bot.store.db import run_db

log = logging.getLogger(__name__)
router = APIRouter()
TIMEOUT_S = 3.0  # a part slower than this is not ready


def _select_one(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.execute(text("SELECT 1"))


async def _check(name: str, work: Awaitable[object]) -> dict[str, Any]:
    try:
        await asyncio.wait_for(work, TIMEOUT_S)
    except Exception as error:  # whatever the part raised, it is not ready
        log.warning("readiness: %s failed: %s: %s", name, type(error).__name__, error)
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """200 when the database and every probe answer; 503 naming those that did not."""
    services: Services = request.app.state.services
    sessions = services.sessions
    parts = {"database": await _check("database", run_db(sessions, _select_one, sessions))}
    for name, probe in services.probes.items():
        parts[name] = await _check(name, asyncio.to_thread(probe))
    failed = [name for name, part in parts.items() if not part["ok"]]
    paused = services.sender.paused()
    channels = {
        name: {"state": "paused", "until": paused[name].isoformat()}
        if name in paused
        else {"state": "ok"}
        for name in services.channels
    }
    body = {
        "status": "unready" if failed else "ready",
        "failed": failed,
        "parts": parts,
        "channels": channels,
    }
    return JSONResponse(body, status_code=503 if failed else 200)
