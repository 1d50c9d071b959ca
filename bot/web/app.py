"""The web app: webhooks for Telegram, Zalo Bot and Zalo OA, and a health check.

A webhook verifies its secret or signature (constant-time), stores the update and answers
200; the inbox worker and the outbox sender run beside it in the same process. This module
and bot/cli.py are the composition roots: `build_app(settings)` reads Settings and wires.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Receive, Scope, Send

from bot.gateway import InboundChannel, InboxWorker, Receiver
from bot.heap import freeze_startup_objects
from bot.outbox import OutboxSender
from bot.reminders.loop import ReminderScheduler

log = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"
ZALO_OA_SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY_BYTES = 1_000_000


@dataclass
class WebServices:
    """Everything the web app needs, built by the composition root (or a test)."""

    sessions: sessionmaker[Session]
    channels: Mapping[str, Any]  # name -> adapter (InboundChannel and Channel)
    worker: InboxWorker
    sender: OutboxSender
    now: Callable[[], datetime]
    secrets: dict[str, str] = field(default_factory=dict)  # channel -> webhook secret
    background: bool = True  # run the worker and sender loops inside the app
    reminders: ReminderScheduler | None = None  # the reminder loop, when this process runs it


def worker_app() -> WebhooksFirst:
    """One process of `thidua serve --workers N` (uvicorn's app factory, run in each worker).

    Every worker takes webhooks, runs turns and sends: the inbox and the outbox already keep
    one update and one message in flight per chat whichever process claims them, SQLite
    writers take turns (bot.store.db) and each sender keeps its share of the rate limits.
    """
    from bot import wiring
    from bot.config import Settings

    return create_app(wiring.build_web_services(Settings()))


Endpoint = Callable[[Request], Awaitable[Response]]


class WebhooksFirst:
    """The app as the server sees it: a webhook's POST goes straight to its endpoint, anything
    else (the health check, the lifespan, other methods) through FastAPI.

    FastAPI's stack (error and exception middleware, an exit stack, a body limit, telemetry,
    routing) costs CPU on every update and gives a webhook nothing: it reads its raw body and
    answers 200, 400, 403, 404 or 413 itself, and an exception still ends as the server's 500.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.webhooks: dict[str, Endpoint] = {}

    def webhook(self, path: str) -> Callable[[Endpoint], Endpoint]:
        """Registers a POST endpoint here and, for other methods' answers, with FastAPI."""

        def register(endpoint: Endpoint) -> Endpoint:
            self.webhooks[path] = endpoint
            self.app.router.add_route(path, endpoint, methods=["POST"], include_in_schema=False)
            return endpoint

        return register

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self.webhooks.get(scope["path"])
            if endpoint is not None:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _same(given: str | None, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def create_app(services: WebServices) -> WebhooksFirst:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if services.background:  # a server: its start-up objects live as long as it does
            freeze_startup_objects()
            services.worker.send_with(services.sender)
            tasks = [
                asyncio.create_task(services.worker.run_forever(stop)),
                asyncio.create_task(services.sender.run_forever(stop)),
            ]
            if services.reminders is not None:
                tasks.append(asyncio.create_task(services.reminders.run_forever(stop)))
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for channel in services.channels.values():
                close = getattr(channel, "close", None)
                if close is not None:
                    await close()

    app = FastAPI(title="Trợ lý Thi đua", lifespan=lifespan, docs_url=None, redoc_url=None)
    served = WebhooksFirst(app)
    receiver = Receiver(services.sessions, services.now, services.worker)

    async def accept(channel_name: str, body: bytes) -> Response:
        channel: InboundChannel | None = services.channels.get(channel_name)
        if channel is None:
            return Response(status_code=404)
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        try:
            payload = orjson.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            await receiver.store(channel, payload)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s webhook: unreadable body (%s)", channel_name, type(exc).__name__)
            return Response(status_code=400)
        return Response(content='{"ok":true}', media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @served.webhook("/webhooks/telegram")
    async def telegram_webhook(request: Request) -> Response:
        if not _same(
            request.headers.get(TELEGRAM_SECRET_HEADER), services.secrets.get("telegram", "")
        ):
            return Response(status_code=403)
        return await accept("telegram", await request.body())

    @served.webhook("/webhooks/zalo-bot")
    async def zalo_bot_webhook(request: Request) -> Response:
        if not _same(
            request.headers.get(ZALO_BOT_SECRET_HEADER), services.secrets.get("zalo_bot", "")
        ):
            return Response(status_code=403)
        return await accept("zalo_bot", await request.body())

    @served.webhook("/webhooks/zalo-oa")
    async def zalo_oa_webhook(request: Request) -> Response:
        channel = services.channels.get("zalo_oa")
        body = await request.body()
        if channel is None or not channel.verify(
            body, request.headers.get(ZALO_OA_SIGNATURE_HEADER)
        ):
            return Response(status_code=403)
        return await accept("zalo_oa", body)

    return served
