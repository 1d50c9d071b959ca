"""A question over Telegram answered by the model: the inbox worker runs the turn, which
rolls back to wait on the model off the event loop and outside any transaction, while the chat
shows the bot typing (sendChatAction); then the turn runs again and the checked answer goes
out through the outbox. The real python-telegram-bot client, LangChain's ChatOpenAI, the fake
Bot API and the fake model on 127.0.0.1; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from bot import wiring
from bot.channels.telegram import TelegramChannel, make_bot
from bot.config import Settings
from bot.core.router import Router
from bot.delivery.receiving import store_update
from bot.delivery.turns import Turns
from tests import answers_kit
from tests.fakes.openai_api import ChatRequest, FakeLLM
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle
from tests.llm.test_answers import FAITHFUL, QUESTION

TOKEN = "7012345678:AAH-test-SECRET-token"
CHAT = 5012345678
BOT = "ThiDuaTestBot"


async def test_the_chat_shows_typing_while_the_model_writes(
    world: World, bundled_data_dir: Path
) -> None:
    index = answers_kit.bundled_index(bundled_data_dir)
    async with (
        FakeTelegram(token=TOKEN, bot_username=BOT) as telegram,
        FakeLLM(delay_s=0.2) as model,
    ):
        typing_seen: list[int] = []

        def script(_request: ChatRequest) -> str:
            typing_seen.append(len(telegram.calls_to("sendChatAction")))
            return FAITHFUL

        model.script = script
        settings = Settings(llm_url=model.url, llm_model="m", llm_timeout_s=5.0)
        qa = wiring.build_qa(settings, index, world.sessions, world.clock)
        turns = Turns(world.sessions, Router(qa), world.clock)
        channel = TelegramChannel(make_bot(TOKEN, base_url=telegram.url), bot_username=BOT)
        await channel.start()
        running = services(
            world, {"telegram": channel}, limits={"telegram": FAST}, background=False, turns=turns
        )
        store_update(
            world.sessions,
            channel,
            message_update(CHAT, QUESTION, update_id=930_000_001),
            world.clock(),
        )
        await settle(running)
        await channel.close()

    [typing] = telegram.calls_to("sendChatAction")[:1]
    assert (str(typing.params["chat_id"]), typing.params["action"]) == (str(CHAT), "typing")
    assert len(typing_seen) == 1 and typing_seen[0] >= 1  # shown before the model answered
    [answer] = telegram.texts(CHAT)
    assert answer.startswith(FAITHFUL)
    assert "Căn cứ:\n[1] Điều 27 Luật Thi đua, khen thưởng" in answer
