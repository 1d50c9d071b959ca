"""After linking, a Telegram chat's command menu is the person's own: setMyCommands with the
chat's scope, sent by the outbox sender after the reply that says the chat is linked.

The real app, inbox worker, router, outbox sender and python-telegram-bot client, against the
fake Bot API on 127.0.0.1; the worker and the sender are stepped by the test (no timing).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.services import Services
from bot.i18n import vi
from bot.store import org
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"


@dataclass
class Rig:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services
    next_id: int = 910_000_001

    async def say(self, chat: int, text: str) -> None:
        """A private message from the Telegram account `chat`, through the webhook."""
        data = json.loads((PAYLOADS / "start_code.json").read_text(encoding="utf-8"))
        data["update_id"] = data["message"]["message_id"] = self.next_id
        self.next_id += 1
        data["message"]["from"]["id"] = data["message"]["chat"]["id"] = chat
        data["message"]["text"] = text
        data["message"]["entities"][0]["length"] = len(text.split()[0])
        response = await self.client.post(
            "/webhooks/telegram", content=json.dumps(data), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        await settle(self.services)

    def invite(self, user: str) -> str:
        with self.world.sessions.begin() as session:
            return org.create_invite(session, self.world.people[user], self.world.clock()).code


@pytest.fixture
async def rig(world: World) -> AsyncIterator[Rig]:
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot", webhook_secret=SECRET
        )
        await channel.start()
        running = services(
            world, {"telegram": channel}, limits={"telegram": FAST}, background=False
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Rig(world, fake, client, running)
        await channel.close()


def names(commands: list[dict[str, str]]) -> list[str]:
    return [c["command"] for c in commands]


async def test_linking_sets_the_chats_menu_for_the_persons_role(rig: Rig) -> None:
    head, office, cadre = 5012345611, 5012345612, 5012345613
    await rig.say(head, f"/start {rig.invite('head')}")
    assert rig.fake.texts(head)[-1].startswith("Đã liên kết: Nguyễn Văn Hùng")
    assert rig.fake.scoped_calls == [(str(head), rig.fake.chat_commands[str(head)])]
    menu = rig.fake.chat_commands[str(head)]
    assert names(menu)[0] == "xacnhan"
    assert {"dangky", "baocao", "giaouoc", "tieptuc", "help"} <= set(names(menu))
    assert "duyet" not in names(menu)
    assert menu[0]["description"] == vi.CHAT_COMMANDS["xacnhan"]

    await rig.say(office, f"/start {rig.invite('office')}")
    assert names(rig.fake.chat_commands[str(office)])[0] == "duyet"
    assert "xacnhan" not in names(rig.fake.chat_commands[str(office)])

    await rig.say(cadre, f"/start {rig.invite('cadre')}")
    assert names(rig.fake.chat_commands[str(cadre)]) == ["help"]
    assert rig.fake.commands == []  # the bot-wide list is not touched
    assert len(rig.fake.texts(head)) == 1  # the menu is no message


async def test_a_refused_menu_does_not_hold_back_the_chat(rig: Rig) -> None:
    chat = 5012345614
    rig.fake.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    await rig.say(chat, f"/start {rig.invite('head')}")
    await rig.say(chat, "/xacnhan")
    assert rig.fake.texts(chat)[-1] == vi.CONFIRM_NOTHING
    assert str(chat) not in rig.fake.chat_commands
