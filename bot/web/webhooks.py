"""POST /webhooks/{path}: one route for every channel that takes webhooks.

In this order, so that nothing costly happens for a request that is not the platform's: the
body is read up to a limit (413 past it, without reading the rest), the channel verifies its
secret or signature on the raw bytes (403; nothing has parsed them yet), the body must be a
usable update, and the update is stored in its own transaction before the 200, whose body may
carry a call the platform runs itself (Telegram: the answer that stops a pressed button's
spinner).

An authenticated body that is not a usable update (not a JSON object, a field of the wrong
type, no integer update id, a date out of range) is logged once with its channel and update
id, stored nowhere, and answered with the channel's `malformed_status`:

- Telegram: 200. Telegram sends an update answered otherwise again and again, holds the
  chat's later updates behind it and slows delivery to the whole bot; a body that did not
  parse will not parse the next time.
- Zalo OA: 200. Zalo resends an event not answered 200 for hours, then turns the app's
  webhook off.
- Zalo Bot: 200, as its Telegram-like platform resends too.
- Any other channel: 400 (the default in bot.channels.base).

An update the database cannot take now (SQLite's writer lock held past the busy timeout, say
by a long import; PostgreSQL unreachable) is answered 503 with Retry-After and stored
nowhere: every platform sends it again, and nothing is acknowledged that was not stored.
"""

from __future__ import annotations

import logging
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.exc import OperationalError

from bot.channels.base import Channel, MalformedUpdate
from bot.delivery.receiving import decode, store_update
from bot.delivery.services import Services
from bot.store.db import run_db

MAX_BODY_BYTES = 1_000_000
OK = b'{"ok":true}'
RETRY_AFTER_S = "5"

log = logging.getLogger(__name__)

router = APIRouter()


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused as soon as it passes `limit` (a declared length is checked first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def services_of(request: Request) -> Services:
    """Async, so FastAPI runs it on the loop rather than handing it to a thread."""
    services: Services = request.app.state.services
    return services


@router.post("/webhooks/{path}", include_in_schema=False)
async def webhook(
    path: str, request: Request, services: Annotated[Services, Depends(services_of)]
) -> Response:
    channel = _by_path(services, path)
    if channel is None:
        return Response(status_code=404)
    try:
        body = await read_limited(request)
    except BodyTooLarge:
        return Response(status_code=413)
    if not channel.verify_webhook(request.headers, body):
        return Response(status_code=403)
    try:
        payload = decode(channel.name, body)
        update = await run_db(
            services.sessions, store_update, services.sessions, channel, payload, services.now()
        )
    except MalformedUpdate:  # logged where it was found
        if channel.malformed_status == 200:
            return Response(content=OK, media_type="application/json")
        return Response(status_code=channel.malformed_status)
    except OperationalError as error:
        log.warning("webhook %s: the database cannot store the update now: %s", path, error.orig)
        return Response(status_code=503, headers={"Retry-After": RETRY_AFTER_S})
    services.worker.wake()
    reply = channel.webhook_reply(update)
    body = OK if reply is None else orjson.dumps(reply)
    return Response(content=body, media_type="application/json")


def _by_path(services: Services, path: str) -> Channel | None:
    for channel in services.channels.values():
        if channel.webhook_path == path:
            return channel
    return None
