"""A hand-off over the Telegram webhook, three people in three private chats.

The real app, inbox worker, router, outbox sender and python-telegram-bot client, against the
fake Bot API on 127.0.0.1: the officer submits; the head's chat receives the notice without
the head writing anything; the head presses «✅ Xác nhận và nộp» on it; the office's chat
receives its notice. The worker and the sender are stepped by the test (no timing).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.services import Services
from bot.i18n import vi
from bot.reminders.calendar import WorkCalendar
from bot.reminders.handoffs import HandoffPusher
from bot.reminders.reach import RoutingPolicy, route_by
from bot.store import registrations
from bot.store.models import ChannelIdentity, Registration
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHATS = {"officer": 5012345601, "head": 5012345602, "office": 5012345603}


@dataclass
class Rig:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services
    next_id: int = 900_000_001

    def _payload(self, name: str, user: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
        data["update_id"] = self.next_id
        self.next_id += 1
        body = data.get("message") or data["callback_query"]
        body["from"]["id"] = CHATS[user]
        chat = (body.get("message") or body)["chat"]
        chat["id"] = CHATS[user]
        return data

    async def post(self, payload: dict[str, Any]) -> None:
        response = await self.client.post(
            "/webhooks/telegram", content=json.dumps(payload), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        await settle(self.services)

    async def say(self, user: str, text: str) -> None:
        payload = self._payload("message.json", user)
        payload["message"]["text"] = text
        payload["message"]["message_id"] = payload["update_id"]
        await self.post(payload)

    async def press(self, user: str, label: str) -> None:
        payload = self._payload("callback_query.json", user)
        data = self.fake.callback_data(CHATS[user], label)
        payload["callback_query"]["data"] = data
        payload["callback_query"]["id"] = str(payload["update_id"])
        await self.post(payload)

    def texts(self, user: str) -> list[str]:
        return self.fake.texts(CHATS[user])


@pytest.fixture
async def rig(world: World) -> AsyncIterator[Rig]:
    with world.sessions.begin() as session:
        for user, chat in CHATS.items():
            session.add(
                ChannelIdentity(
                    channel="telegram",
                    external_id=str(chat),
                    person_id=world.people[user],
                    linked_at=datetime(2026, 1, 5, tzinfo=UTC),
                    last_interaction_at=datetime(2026, 3, 1, tzinfo=UTC),
                )
            )
    world.push = HandoffPusher(WorkCalendar(), route_by(RoutingPolicy()))
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot", webhook_secret=SECRET
        )
        await channel.start()
        running = services(
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


async def test_officer_submits_the_head_confirms_from_the_notice_the_office_is_told(
    rig: Rig,
) -> None:
    for text in ("Đăng ký thi đua", "2", "xong", "thêm chỉ tiêu", "Thu ngân sách"):
        await rig.say("officer", text)
    for text in ("triệu đồng", "1.234,5", "30/11", "xong"):
        await rig.say("officer", text)
    assert "ĐĂNG KÝ THI ĐUA — Sở Nội vụ" in rig.texts("officer")[-1]
    await rig.press("officer", "Gửi thủ trưởng")
    assert "Thủ trưởng nhận được yêu cầu ngay" in rig.texts("officer")[-1]

    [notice] = rig.texts("head")  # the head never wrote
    assert "Trần Thị Mai đã gửi bản đăng ký thi đua" in notice
    assert rig.texts("office") == []
    await rig.press("head", vi.BTN_SUBMIT)
    assert "Đã nộp bản đăng ký thi đua" in rig.texts("head")[-1]

    [notice] = rig.texts("office")
    assert notice.startswith("📌 Sở Nội vụ đã nộp bản đăng ký thi đua")
    assert rig.fake.callback_data(CHATS["office"], vi.BTN_VIEW_REVIEW)
    with rig.world.sessions() as session:
        reg = session.scalars(select(Registration)).one()
        assert (reg.status, reg.submitted_by) == (
            registrations.SUBMITTED,
            rig.world.people["head"],
        )
