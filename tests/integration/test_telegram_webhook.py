"""A whole registration over the Telegram webhook: the real app, router, outbox and PTB client.

Updates are the recorded payloads in tests/payloads/telegram with new ids and texts; replies
go through the outbox sender and python-telegram-bot to the fake Bot API on 127.0.0.1.
The inbox worker and the sender are stepped by the test, so nothing depends on timing. Each
test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.services import Services
from bot.i18n import vi
from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.loop import ReminderScheduler
from bot.reminders.reach import Route, RouteKind, RoutingPolicy, route_by
from bot.store import registrations
from bot.store.inbox import InboxUpdate
from bot.store.models import ChannelIdentity, Registration
from bot.store.outbox import OutboxMessage
from bot.store.recipients import recipients
from bot.store.unreachable import UnreachableChat
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle
from tests.reminders.conftest import at

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
HEAD_TG = 5012345678


@dataclass
class Rig:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services
    next_id: int = 900_000_001
    answers: list[dict[str, Any]] = field(default_factory=list)  # what the webhook answered

    def _payload(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
        data["update_id"] = self.next_id
        self.next_id += 1
        return data

    async def post(self, payload: dict[str, Any], secret: str = SECRET) -> int:
        response = await self.client.post(
            "/webhooks/telegram",
            content=json.dumps(payload),
            headers={SECRET_HEADER: secret},
        )
        if response.status_code == 200:
            self.answers.append(response.json())
        return response.status_code

    async def settle(self) -> None:
        """Run the inbox and the outbox until both are empty."""
        await settle(self.services)

    async def say(self, text: str) -> dict[str, Any]:
        payload = self._payload("message.json")
        payload["message"]["text"] = text
        payload["message"]["message_id"] = payload["update_id"]
        assert await self.post(payload) == 200
        await self.settle()
        return payload

    async def press(self, label: str) -> None:
        data = self.button(label)
        payload = self._payload("callback_query.json")
        payload["callback_query"]["data"] = data
        payload["callback_query"]["id"] = str(payload["update_id"])
        assert await self.post(payload) == 200
        await self.settle()

    def button(self, label: str) -> str:
        for message in reversed(self.fake.delivered(HEAD_TG)):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if label.lower() in button["text"].lower():
                        return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} in {self.fake.texts(HEAD_TG)[-1:]}")

    @property
    def last(self) -> str:
        return self.fake.texts(HEAD_TG)[-1]


@pytest.fixture
async def rig(world: World) -> AsyncIterator[Rig]:
    with world.sessions.begin() as session:
        session.add(
            ChannelIdentity(
                channel="telegram",
                external_id=str(HEAD_TG),
                person_id=world.people["head"],
                linked_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot", webhook_secret=SECRET
        )
        await channel.start()
        running = services(  # as `thidua serve` builds them: buttons answered by the webhook
            world,
            {"telegram": channel},
            limits={"telegram": FAST},
            background=False,
            answer_buttons=False,
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Rig(world, fake, client, running)
        await channel.close()


async def test_a_whole_registration_over_the_webhook(rig: Rig) -> None:
    await rig.say("Đăng ký thi đua")
    assert vi.REG_ASK_COLLECTIVE in rig.last
    await rig.press("Tập thể lao động xuất sắc")
    await rig.say("1")  # numbered choice: Lao động tiên tiến
    await rig.say("12")
    await rig.say("xong")
    await rig.say("thêm chỉ tiêu")
    await rig.say("Thu ngân sách trên địa bàn")
    await rig.say("triệu đồng")
    await rig.say("1.234,5")
    await rig.say("30/11")
    await rig.press("Xong")
    assert "Danh hiệu tập thể: Tập thể lao động xuất sắc" in rig.last
    await rig.press("Xác nhận và nộp")
    assert "phiên bản 1" in rig.last

    with rig.world.sessions() as session:
        reg = session.scalars(select(Registration)).one()
        assert (reg.status, reg.collective_title) == (registrations.SUBMITTED, "TTLDXS")
        outbox = session.scalars(select(OutboxMessage)).all()
    assert outbox and all(row.status == "sent" for row in outbox)
    # Every pressed button stopped spinning: the webhook's answer carried answerCallbackQuery
    # (Telegram runs it), and no request of ours was spent on it.
    pressed = [a for a in rig.answers if a.get("method") == "answerCallbackQuery"]
    assert len(pressed) == 3 and all(a["callback_query_id"] for a in pressed)
    assert rig.fake.answered_callbacks == []
    # Every reply of the conversation reached the chat once, in order.
    assert len(rig.fake.texts(HEAD_TG)) == len(outbox)


async def test_a_redelivered_update_is_acknowledged_and_not_processed_twice(rig: Rig) -> None:
    payload = await rig.say("Đăng ký thi đua")
    sent = len(rig.fake.texts(HEAD_TG))
    assert await rig.post(copy.deepcopy(payload)) == 200
    await rig.settle()
    assert len(rig.fake.texts(HEAD_TG)) == sent


async def test_a_wrong_or_missing_secret_is_refused(rig: Rig) -> None:
    payload = rig._payload("message.json")
    assert await rig.post(payload, secret="wrong") == 403
    response = await rig.client.post("/webhooks/telegram", content=json.dumps(payload))
    assert response.status_code == 403
    await rig.settle()
    assert rig.fake.texts(HEAD_TG) == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
async def test_a_bad_body_is_acknowledged_and_breaks_nothing(rig: Rig, body: bytes) -> None:
    """Answered 200 so that Telegram does not send it again (and hold the chat behind it)."""
    response = await rig.client.post(
        "/webhooks/telegram", content=body, headers={SECRET_HEADER: SECRET}
    )
    assert response.status_code == 200
    await rig.say("/help")
    assert rig.last == rig.fake.texts(HEAD_TG)[-1]
    assert len(rig.fake.texts(HEAD_TG)) == 1  # the bot still answers, once


async def test_an_update_of_a_kind_we_do_not_handle_is_acknowledged(rig: Rig) -> None:
    assert await rig.post({"update_id": 5, "channel_post": {"text": "tin kênh"}}) == 200
    await rig.settle()
    assert rig.fake.texts(HEAD_TG) == []


async def test_429_storm_delays_but_loses_and_duplicates_nothing(rig: Rig) -> None:
    rig.fake.fail_429("sendMessage", retry_after=1, times=3)
    await rig.say("/help")
    assert rig.fake.texts(HEAD_TG) == []  # told to wait: nothing sent yet
    for _ in range(4):  # each 429 pauses the channel for retry_after; time moves on
        rig.world.clock.current += timedelta(seconds=2)
        await rig.settle()
    assert len(rig.fake.texts(HEAD_TG)) == 1
    with rig.world.sessions() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert row.status == "sent"
    assert row.attempts == 4  # three 429s, then delivered exactly once


async def test_an_update_the_database_refused_is_answered_on_a_later_try(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database failed under the turn (SQLite's busy timeout ran out; a PostgreSQL
    connection dropped): the update goes back to the inbox and is answered once the
    back-off is over, not dropped and not answered with an error."""
    router = rig.services.worker._turns.router
    turn = router.turn
    refusals: list[str] = []

    def locked(session: Any, message: Any, now: datetime) -> Any:
        if not refusals:
            refusals.append(message.text)
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
        return turn(session, message, now)

    monkeypatch.setattr(router, "turn", locked)
    before = len(rig.fake.texts(HEAD_TG))
    await rig.say("Đăng ký thi đua")
    assert refusals == ["Đăng ký thi đua"]
    assert len(rig.fake.texts(HEAD_TG)) == before  # not answered yet, and not dropped
    with rig.world.sessions() as session:
        [waiting] = session.scalars(select(InboxUpdate)).all()
    assert waiting.processed_at is None and waiting.attempts == 1
    rig.world.clock.advance(seconds=5)  # past the back-off
    await rig.settle()
    texts = rig.fake.texts(HEAD_TG)[before:]
    assert vi.REG_ASK_COLLECTIVE in texts[-1]
    assert vi.INTERNAL_ERROR not in texts
    assert len(texts) == len(set(texts)) == 2  # answered once


async def test_a_chat_that_blocked_the_bot_is_reachable_again_once_it_writes(rig: Rig) -> None:
    """A 403 "bot was blocked by the user" marks the chat unreachable, and the reminder pass
    passes over it; the person's next message (which they can only send having unblocked the
    bot) clears the mark in its turn, so replies and reminders reach them again."""
    find_route = route_by(RoutingPolicy(), {"telegram"})

    def reminder_route() -> Route | None:
        head = rig.world.people["head"]
        with rig.world.sessions() as session:
            return find_route(recipients(session, [head])[head], rig.world.clock())

    def unreachable() -> list[str]:
        with rig.world.sessions() as session:
            return list(session.scalars(select(UnreachableChat.chat_id)))

    rig.fake.block(HEAD_TG)
    await rig.say("/help")
    assert rig.fake.texts(HEAD_TG) == []
    assert unreachable() == [str(HEAD_TG)]
    assert reminder_route() is None  # the head would go on the office's list of people not reached

    rig.fake.unblock(HEAD_TG)
    await rig.say("/help")  # webhook -> inbox -> worker -> turn
    assert unreachable() == []
    assert len(rig.fake.texts(HEAD_TG)) == 1  # this reply went out
    assert reminder_route() == Route("telegram", str(HEAD_TG), RouteKind.DIRECT)

    # The reminder pass itself now reaches the chat.
    rig.world.clock.current = at(date(2026, 3, 31))
    chaser = Chaser(WorkCalendar(), find_route)
    assert ReminderScheduler(rig.world.sessions, chaser, now=rig.world.clock).tick() is not None
    await rig.settle()
    assert any(text.startswith("⏰ Nhắc việc") for text in rig.fake.texts(HEAD_TG))
