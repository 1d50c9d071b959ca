"""POST /webhooks/{path}: the one route every channel's webhook comes through.

In order: an unknown path is 404; the body is read up to a limit (413, before anything
else looks at it); the channel verifies its secret (403, nothing stored); a body that is not
a usable update gets the channel's answer for one (Telegram: 200, so that it is not sent
again; by default 400) and is stored nowhere; an update is stored in its own transaction
before the 200. Each request is its own transaction, so a bad or failing one costs only
itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.base import Channel, MalformedUpdate, SendResult, SendStatus, Update
from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.messages import Reply
from bot.store import inbox
from bot.store.inbox import InboxUpdate
from bot.web.app import create_app
from bot.web.webhooks import MAX_BODY_BYTES
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World
from tests.integration.services import services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"


@dataclass
class Refusing(Channel):
    """A channel that refuses every webhook and records what it was asked."""

    name: str = "refusing"
    webhook_path: str | None = "refusing"
    verified: list[bytes] = field(default_factory=list)
    parsed: list[Mapping[str, Any]] = field(default_factory=list)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        self.verified.append(body)
        return False

    def parse(self, payload: Mapping[str, Any]) -> Update:
        self.parsed.append(payload)
        return Update("refusing:1", None)

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        return SendResult(SendStatus.FAILED)


@dataclass
class Plain(Channel):
    """A channel that trusts every request and keeps the default answer to a malformed one."""

    name: str = "plain"
    webhook_path: str | None = "plain"

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return True

    def parse(self, payload: Mapping[str, Any]) -> Update:
        if not isinstance(payload.get("id"), int):
            raise MalformedUpdate("no id")
        return Update(f"plain:{payload['id']}", None)

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        return SendResult(SendStatus.FAILED)


@dataclass
class App:
    world: World
    client: httpx.AsyncClient
    refusing: Refusing

    async def post(
        self, body: str | bytes, secret: str | None = SECRET, path: str = "telegram"
    ) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        response = await self.client.post(f"/webhooks/{path}", content=body, headers=headers)
        return response.status_code

    def stored(self) -> list[str]:
        with self.world.sessions() as session:
            return sorted(session.scalars(select(InboxUpdate.update_key)))


@pytest.fixture
async def app(world: World) -> AsyncIterator[App]:
    telegram = TelegramChannel(
        make_bot(TOKEN, base_url="http://127.0.0.1:9"),
        bot_username="ThiDuaTestBot",
        webhook_secret=SECRET,
    )
    refusing = Refusing()
    running = services(
        world,
        {"telegram": telegram, "refusing": refusing, "plain": Plain()},
        background=False,  # only receipt is under test
    )
    # An exception in the app is the 500 a platform sees, not an error raised in the test.
    transport = httpx.ASGITransport(app=create_app(running), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        yield App(world, client, refusing)
    await telegram.close()


def body(chat: int, text: str, update_id: int) -> str:
    return json.dumps(message_update(chat, text, update_id=update_id))


async def test_an_unknown_channel_is_404_and_other_routes_are_untouched(app: App) -> None:
    assert await app.post(body(77, "x", 1), path="nowhere") == 404
    assert await app.post(body(77, "x", 1), path="zalo-bot") == 404  # not configured here
    assert (await app.client.get("/webhooks/telegram")).status_code == 405
    assert (await app.client.get("/healthz")).json() == {"status": "ok", "loops": {}}
    assert app.stored() == []


async def test_a_valid_update_is_stored_once_before_the_200(app: App) -> None:
    update = body(77, "xin chào", 901)
    assert await app.post(update) == 200
    assert app.stored() == ["tg:901"]
    assert await app.post(update) == 200  # a redelivery is acknowledged, not stored again
    assert app.stored() == ["tg:901"]


@pytest.mark.parametrize("secret", ["wrong", "", None], ids=["wrong", "empty", "missing"])
async def test_a_wrong_secret_is_403_and_nothing_is_stored(app: App, secret: str | None) -> None:
    assert await app.post(body(77, "xin chào", 902), secret=secret) == 403
    assert app.stored() == []


async def test_a_body_over_the_limit_is_413_before_it_is_verified(app: App) -> None:
    padding = "x" * MAX_BODY_BYTES
    too_big = json.dumps({"update_id": 1, "padding": padding})
    assert await app.post(too_big, path="refusing") == 413  # declared length
    assert await app.post(too_big, secret="wrong") == 413  # 413 comes before the 403

    async def chunks() -> AsyncIterator[bytes]:  # no declared length: counted while read
        for _ in range(3):
            yield b"x" * (MAX_BODY_BYTES // 2)

    response = await app.client.post("/webhooks/refusing", content=chunks())
    assert response.status_code == 413
    assert app.refusing.verified == []  # never verified, never parsed
    assert app.refusing.parsed == []
    assert await app.post(b"{}", path="refusing") == 403  # a small body does reach verify
    assert app.refusing.verified == [b"{}"]
    assert app.stored() == []


@pytest.mark.parametrize("bad", [b"not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"null"])
async def test_an_authenticated_body_that_is_not_an_object_is_refused(app: App, bad: bytes) -> None:
    assert await app.post(bad) == 200  # Telegram would send it again and again
    assert await app.post(bad, path="plain") == 400  # the default
    assert await app.post(b'{"id": "x"}', path="plain") == 400  # refused by the parser
    assert await app.post(b'{"id": 1}', path="plain") == 200
    assert app.stored() == []


async def test_one_malformed_body_among_many_costs_only_itself(app: App) -> None:
    """Twenty updates and two authenticated bodies that are not updates arrive together:
    every update is stored; `message` or `callback_query` a string is refused, and answered
    200 so that Telegram does not send it again."""
    updates = [body(7_000_000 + n % 5, f"tin {n}", 100 + n) for n in range(20)]
    odd = json.dumps({"update_id": 500, "message": "chỉ là một chuỗi"})
    unreadable = json.dumps({"update_id": 501, "callback_query": "chuỗi"})
    statuses = await asyncio.gather(*(app.post(b) for b in [*updates, odd, unreadable]))
    assert statuses == [200] * 22
    assert app.stored() == sorted(f"tg:{100 + n}" for n in range(20))


async def test_a_store_that_fails_is_never_acknowledged(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk is full for one request: it is not answered 200 (the platform sends it again)
    and the requests beside it are stored and acknowledged as usual."""
    real = inbox.store

    def failing(session: Any, **kw: Any) -> bool:
        if kw["update_key"] == "tg:205":
            raise RuntimeError("disk full")
        return real(session, **kw)

    monkeypatch.setattr(inbox, "store", failing)
    bodies = [body(7_100_000 + n, "x", 200 + n) for n in range(10)]
    statuses = await asyncio.gather(*(app.post(b) for b in bodies))
    assert statuses[5] == 500
    assert statuses[:5] + statuses[6:] == [200] * 9
    assert app.stored() == sorted(f"tg:{200 + n}" for n in range(10) if n != 5)
    monkeypatch.setattr(inbox, "store", real)  # the platform's retry goes through
    assert await app.post(bodies[5]) == 200
    assert "tg:205" in app.stored()


@pytest.mark.parametrize("world", ["sqlite"], indirect=True)  # its writer lock and busy timeout
async def test_an_update_the_database_cannot_take_now_is_503_and_then_stored(
    app: App, world: World
) -> None:
    """SQLite's writer lock held past the busy timeout (a long import on another connection):
    503 with Retry-After, nothing acknowledged; the platform's retry is stored."""
    update = body(7_300_000, "x", 300)
    with world.engine.connect() as importing:
        importing.exec_driver_sql("UPDATE units SET name = name")  # BEGIN IMMEDIATE: the lock
        response = await app.client.post(
            "/webhooks/telegram", content=update, headers={SECRET_HEADER: SECRET}
        )
        importing.rollback()
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert "tg:300" not in app.stored()
    assert await app.post(update) == 200
    assert "tg:300" in app.stored()
