"""A Telegram group over the real webhook: a second person's press on the first one's button is
refused in the press's own answer (a toast only the presser sees) and changes nothing.

The real app, inbox worker, router, outbox sender and python-telegram-bot client, against the
fake Bot API on 127.0.0.1; the test steps the worker and the sender (on SQLite and
PostgreSQL). Over long polling the worker answers every press, the refusal included.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.polling import run_polling
from bot.delivery.services import Services
from bot.i18n import vi
from bot.store.models import ChannelIdentity, Conversation
from bot.store.outbox import OutboxMessage
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update, message_update
from tests.forms.conftest import World, build_world
from tests.integration.services import FAST, services, settle
from tests.integration.test_telegram_polling import until

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
BOT = "ThiDuaTestBot"
GROUP = -1002233445566
MAI_TG = 5011111111  # Trần Thị Mai, officer of Sở Nội vụ
HOA_TG = 5033333333  # Võ Thị Hoa, head of Sở Y tế


class Group:
    """Two people of two units in one Telegram group, talking to the bot over its webhook."""

    def __init__(self, world: World, fake: FakeTelegram, client: httpx.AsyncClient) -> None:
        self.world, self.fake, self.client = world, fake, client
        self.next_id = 910_000_001
        self.answers: list[dict[str, Any]] = []  # what the webhook answered

    def _payload(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
        data["update_id"] = self.next_id
        self.next_id += 1
        return data

    async def _post(self, payload: dict[str, Any], running: Services) -> None:
        response = await self.client.post(
            "/webhooks/telegram", content=json.dumps(payload), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        self.answers.append(response.json())
        await settle(running)

    async def say(self, user: int, text: str, running: Services) -> None:
        payload = self._payload("group_mention.json")
        payload["message"]["from"]["id"] = user
        payload["message"]["chat"]["id"] = GROUP
        payload["message"]["text"] = f"@{BOT} {text}"
        payload["message"]["message_id"] = payload["update_id"]
        await self._post(payload, running)

    async def press(self, user: int, label: str, running: Services) -> str:
        """`user` presses the newest button in the group whose text contains `label`; the
        press's callback id."""
        payload = self._payload("callback_query.json")
        query = payload["callback_query"]
        query["from"]["id"] = user
        query["message"]["chat"] = {"id": GROUP, "title": "Cụm thi đua", "type": "supergroup"}
        query["data"] = self.fake.callback_data(GROUP, label)
        query["id"] = str(payload["update_id"])
        await self._post(payload, running)
        return str(query["id"])

    def texts(self) -> list[str]:
        return self.fake.texts(GROUP)


@pytest.fixture
async def rig(world: World) -> AsyncIterator[tuple[Group, Services]]:
    with world.sessions.begin() as session:
        for tg, person in ((MAI_TG, "officer"), (HOA_TG, "head3")):
            session.add(
                ChannelIdentity(
                    channel="telegram",
                    external_id=str(tg),
                    person_id=world.people[person],
                    linked_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            )
    async with FakeTelegram(token=TOKEN, bot_username=BOT) as fake:
        channel = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url), bot_username=BOT, webhook_secret=SECRET
        )
        await channel.start()
        running = services(  # as `thidua serve` builds them: presses answered by the webhook
            world,
            {"telegram": channel},
            limits={"telegram": FAST},
            background=False,
            answer_buttons=False,
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Group(world, fake, client), running
        await channel.close()


def _forms(world: World) -> list[tuple[str, str, str, int]]:
    with world.sessions() as session:
        rows = session.scalars(select(Conversation).where(Conversation.chat_id == str(GROUP)))
        return sorted((c.user_id, c.flow, c.step, c.version) for c in rows)


def _outbox(world: World) -> int:
    with world.sessions() as session:
        return len(session.scalars(select(OutboxMessage)).all())


async def test_a_second_persons_press_in_a_group_is_refused_in_its_answer(
    rig: tuple[Group, Services],
) -> None:
    group, running = rig
    await group.say(MAI_TG, "đăng ký thi đua", running)
    assert vi.REG_ASK_COLLECTIVE in group.texts()[-1]
    mine = await group.press(MAI_TG, "Tập thể lao động xuất sắc", running)
    assert vi.REG_ASK_INDIVIDUAL.split("{", 1)[0] in group.texts()[-1]
    forms, sent, queued = _forms(group.world), len(group.texts()), _outbox(group.world)
    assert [f[0] for f in forms] == [str(MAI_TG)]

    for label in ("Huỷ", "Xong", "Quay lại"):
        theirs = await group.press(HOA_TG, label, running)
        # The webhook left the press open; the worker answered it with the refusal.
        assert group.answers[-1] == {"ok": True}
        assert group.fake.callback_texts[theirs] == "Nút này dành cho Trần Thị Mai."
        assert theirs in group.fake.answered_callbacks
        assert (_forms(group.world), len(group.texts()), _outbox(group.world)) == (
            forms,
            sent,
            queued,
        )

    # Mai's own press goes on with her form, as she left it.
    assert mine in group.fake.answered_callbacks and mine not in group.fake.callback_texts
    await group.press(MAI_TG, "Xong", running)
    assert vi.REG_ASK_TARGETS.split("{", 1)[0] in group.texts()[-1]
    assert len(group.fake.answered_callbacks) == 5


async def test_over_long_polling_the_refusal_is_the_press_answer_too(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    with world.sessions.begin() as session:
        for tg, person in ((MAI_TG, "officer"), (HOA_TG, "head3")):
            session.add(
                ChannelIdentity(
                    channel="telegram",
                    external_id=str(tg),
                    person_id=world.people[person],
                    linked_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            )
    async with FakeTelegram(token=TOKEN, bot_username=BOT) as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username=BOT)
        parts = services(world, {"telegram": channel}, limits={"telegram": FAST})
        stop = asyncio.Event()
        running = asyncio.create_task(run_polling(parts, stop))
        try:
            asked = message_update(
                GROUP, f"@{BOT} đăng ký thi đua", user_id=MAI_TG, chat_type="supergroup"
            )
            fake.push_update(asked)
            await until(lambda: vi.REG_ASK_COLLECTIVE in "".join(fake.texts(GROUP)), "her form")
            sent = len(fake.texts(GROUP))
            press = callback_update(GROUP, fake.callback_data(GROUP, "Huỷ"), user_id=HOA_TG)
            fake.push_update(press)
            press_id = press["callback_query"]["id"]
            await until(lambda: press_id in fake.callback_texts, "the refusal")
            assert fake.callback_texts[press_id] == "Nút này dành cho Trần Thị Mai."
            assert len(fake.texts(GROUP)) == sent
            assert _forms(world)[0][:3] == (str(MAI_TG), "registration", "collective")
        finally:
            stop.set()
            await running
    world.engine.dispose()
