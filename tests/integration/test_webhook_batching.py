"""Webhook requests that arrive together share a commit, and each is still durable before 200.

The app stores updates through bot.gateway.Receiver: while one batch is written the next one
gathers. Batching must not weaken the promise of the webhook: an update answered 200 is in the
inbox, a bad body is refused alone, a redelivery is stored once, and a failed commit answers
every request in it with an error (the platform retries) instead of a 200.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.store import delivery
from bot.store.delivery import InboxUpdate
from bot.web.app import TELEGRAM_SECRET_HEADER, create_app
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World, build_world
from tests.integration.services import web_services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[World, httpx.AsyncClient]]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    channel = TelegramChannel(
        make_bot(TOKEN, base_url="http://127.0.0.1:9"), bot_username="ThiDuaTestBot"
    )
    channels = {"telegram": channel}
    services = web_services(
        world,
        channels,
        secrets={"telegram": SECRET},
        background=False,  # only receipt is under test
    )
    transport = httpx.ASGITransport(app=create_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        yield world, client
    await channel.close()
    world.engine.dispose()


async def post(client: httpx.AsyncClient, body: str) -> int:
    response = await client.post(
        "/webhooks/telegram", content=body, headers={TELEGRAM_SECRET_HEADER: SECRET}
    )
    return response.status_code


def stored(world: World) -> list[str]:
    with world.sessions() as session:
        return sorted(session.scalars(select(InboxUpdate.update_key)))


async def test_concurrent_updates_are_each_stored_once(
    app: tuple[World, httpx.AsyncClient],
) -> None:
    world, client = app
    updates: list[dict[str, Any]] = [
        message_update(7_000_000 + n % 5, f"tin {n}", update_id=100 + n) for n in range(30)
    ]
    bodies = [json.dumps(u) for u in updates]
    bodies.append(bodies[3])  # a redelivery in the same burst
    bodies.append('["not", "an", "update"]')
    statuses = await asyncio.gather(*(post(client, body) for body in bodies))
    assert statuses[:31] == [200] * 31
    assert statuses[31] == 400  # refused alone; the others in its batch are stored
    assert stored(world) == sorted(f"tg:{100 + n}" for n in range(30))


async def test_a_failed_commit_answers_no_request_with_200(
    app: tuple[World, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = app
    real = delivery.receive

    def failing(session: Any, **kw: Any) -> bool:
        if kw["update_key"] == "tg:205":
            raise RuntimeError("disk full")
        return real(session, **kw)

    monkeypatch.setattr(delivery, "receive", failing)
    bodies = [json.dumps(message_update(7_100_000 + n, "x", update_id=200 + n)) for n in range(10)]
    statuses = await asyncio.gather(
        *(post(client, body) for body in bodies), return_exceptions=True
    )
    keys = set(stored(world))
    for n, status in enumerate(statuses):
        if status == 200:
            assert f"tg:{200 + n}" in keys  # every 200 is durable
        else:
            assert f"tg:{200 + n}" not in keys  # the rest were rolled back together
    assert statuses[5] != 200
    assert "tg:205" not in keys
    monkeypatch.setattr(delivery, "receive", real)  # the receiver goes on after a failure
    assert await post(client, bodies[5]) == 200
    assert "tg:205" in stored(world)


async def test_webhook_posts_take_the_short_way_and_the_rest_still_reach_fastapi(
    app: tuple[World, httpx.AsyncClient],
) -> None:
    """Webhook POSTs skip FastAPI's stack (bot.web.app.WebhooksFirst); what else arrives is
    answered by FastAPI as before."""
    world, client = app
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/webhooks/telegram")).status_code == 405
    assert (await client.post("/webhooks/nowhere", content="{}")).status_code == 404
    too_big = json.dumps({"update_id": 1, "padding": "x" * 1_000_001})
    assert await post(client, too_big) == 413
    unconfigured = await client.post(  # no Zalo Bot channel in this app
        "/webhooks/zalo-bot", content="{}", headers={"X-Bot-Api-Secret-Token": "x"}
    )
    assert unconfigured.status_code == 403
    assert await post(client, json.dumps(message_update(77, "xin chào", update_id=901))) == 200
    assert "tg:901" in stored(world)
