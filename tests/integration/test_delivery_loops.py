"""The inbox worker and the outbox sender as they run in the server, against the fake Bot API.

The loops claim whenever they are woken (a webhook stored an update, a turn queued replies, a
send finished) and otherwise every `idle_s`. With `idle_s` at a minute, every reply below
comes through the wake-ups alone: each chat is answered in order, and a row another process
queued (which no wake-up reaches) goes out with the next claim. The sender's verdicts on the
platform's answers (429 pauses the channel, 5xx backs off, 403 marks the chat unreachable) are
stepped with the injected clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.services import Services
from bot.messages import Reply
from bot.store import outbox
from bot.store.outbox import OutboxMessage
from bot.store.unreachable import UnreachableChat
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World
from tests.integration.services import FAST, services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHATS = [7_300_001, 7_300_002, 7_300_003]


@dataclass
class Loop:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services
    update_id: int = 500

    async def post(self, chat: int, text: str) -> None:
        self.update_id += 1
        body = json.dumps(message_update(chat, text, update_id=self.update_id))
        response = await self.client.post(
            "/webhooks/telegram", content=body, headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200

    async def replies(self, chat: int, count: int, within_s: float = 10.0) -> list[str]:
        """The chat's texts once it has `count` of them (bounded: fails rather than hangs)."""
        for _ in range(int(within_s / 0.02)):
            if len(self.fake.texts(chat)) >= count:
                break
            await asyncio.sleep(0.02)
        return self.fake.texts(chat)

    def queue(self, chat: int, text: str) -> None:
        """A row queued by another process: nothing wakes this one's sender."""
        with self.world.sessions.begin() as session:
            outbox.enqueue(
                session,
                channel="telegram",
                chat_id=str(chat),
                replies=[Reply(text)],
                key=f"elsewhere:{chat}:{text}",
                now=self.world.clock(),
            )

    def rows(self, chat: int) -> list[OutboxMessage]:
        with self.world.sessions() as session:
            found = select(OutboxMessage).where(OutboxMessage.chat_id == str(chat))
            return list(session.scalars(found.order_by(OutboxMessage.id)))


@pytest.fixture
async def parts(world: World) -> AsyncIterator[Loop]:
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(
            make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot", webhook_secret=SECRET
        )
        await channel.start()
        channels = {"telegram": channel}
        running = services(
            world,
            channels,
            limits={"telegram": FAST},
            background=False,  # the test runs the loops, with its own idle_s
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Loop(world, fake, client, running)
        await channel.close()


def run_loops(parts: Loop, stop: asyncio.Event, idle_s: float) -> Awaitable[object]:
    return asyncio.gather(
        parts.services.worker.run_forever(stop, idle_s=idle_s),
        parts.services.sender.run_forever(stop, idle_s=idle_s),
    )


async def test_wake_ups_alone_answer_every_chat_in_order(parts: Loop) -> None:
    """With idle claims a minute apart, a chat's second and third messages arrive while its
    first is in work and follow it, in order."""
    stop = asyncio.Event()
    running = run_loops(parts, stop, idle_s=60)
    try:
        for n in range(3):
            await asyncio.gather(*(parts.post(chat, f"câu {chat} {n}") for chat in CHATS))
        for chat in CHATS:
            texts = await parts.replies(chat, 3)
            assert texts == [f"[Hỏi đáp] câu {chat} {n}" for n in range(3)]
    finally:
        stop.set()
        await running


async def test_a_row_queued_by_another_process_goes_out_with_the_next_claim(parts: Loop) -> None:
    """A reminder queued by another process wakes nobody here; the next claim, woken for this
    process's own replies, takes it too instead of it waiting for an idle claim."""
    stop = asyncio.Event()
    running = run_loops(parts, stop, idle_s=60)
    elsewhere = 7_300_999
    try:
        await parts.post(CHATS[0], "trước")
        assert await parts.replies(CHATS[0], 1) == ["[Hỏi đáp] trước"]  # the loops are idle now
        parts.queue(elsewhere, "Nhắc hạn báo cáo")
        await parts.post(CHATS[1], "sau")
        assert await parts.replies(CHATS[1], 1) == ["[Hỏi đáp] sau"]
        assert await parts.replies(elsewhere, 1) == ["Nhắc hạn báo cáo"]
    finally:
        stop.set()
        await running
    assert parts.fake.texts(elsewhere) == ["Nhắc hạn báo cáo"]  # once


async def test_a_429_pauses_the_channel_and_other_chats_wait_for_the_pause(parts: Loop) -> None:
    """Telegram's flood limit is per bot: a row of another chat claimed during the pause goes
    back with the pause's end as its time, and both are sent once the pause is over."""
    sender = parts.services.sender
    parts.fake.fail_429(retry_after=30)
    parts.queue(CHATS[0], "một")
    assert await sender.run_once() == 0  # 429: the channel pauses for 30 s
    parts.queue(CHATS[1], "hai")
    assert await sender.run_once() == 0
    [held] = parts.rows(CHATS[1])
    assert (held.status, held.lease_until) == ("pending", None)
    assert held.not_before > parts.world.clock()
    assert len(parts.fake.calls_to("sendMessage")) == 1  # the held row was not even tried
    parts.world.clock.advance(seconds=29)
    assert await sender.run_once() == 0  # still paused
    parts.world.clock.advance(seconds=2)
    assert await sender.run_once() == 2
    assert parts.fake.texts(CHATS[0]) == ["một"]
    assert parts.fake.texts(CHATS[1]) == ["hai"]


async def test_a_5xx_is_retried_with_back_off_and_delivered_once(parts: Loop) -> None:
    sender = parts.services.sender
    parts.fake.fail_5xx(status=502, times=2)
    parts.queue(CHATS[0], "một")
    parts.queue(CHATS[0], "hai")
    assert await sender.run_once() == 0  # 502; the chat's next row waits behind it
    [first, second] = parts.rows(CHATS[0])
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.not_before > parts.world.clock()
    assert second.attempts == 0
    assert await sender.run_once() == 0  # not due yet: nothing is tried
    assert len(parts.fake.calls_to("sendMessage")) == 1
    for _ in range(2):
        parts.world.clock.advance(seconds=5)
        await sender.run_once()
    parts.world.clock.advance(seconds=5)
    while await sender.run_once():
        pass
    assert parts.fake.texts(CHATS[0]) == ["một", "hai"]  # in order, each once
    assert [row.status for row in parts.rows(CHATS[0])] == ["sent", "sent"]


async def test_a_403_marks_the_chat_unreachable_and_fails_its_queued_rows(parts: Loop) -> None:
    sender = parts.services.sender
    parts.fake.block(CHATS[2])
    parts.queue(CHATS[2], "một")
    parts.queue(CHATS[2], "hai")
    parts.queue(CHATS[0], "cho người khác")
    assert await sender.run_once() == 1  # the other chat is not held up
    assert await sender.run_once() == 0
    assert [row.status for row in parts.rows(CHATS[2])] == ["blocked", "blocked"]
    assert len(parts.fake.calls_to("sendMessage")) == 2  # "hai" was never tried
    with parts.world.sessions() as session:
        [mark] = session.scalars(select(UnreachableChat)).all()
    assert (mark.channel, mark.chat_id) == ("telegram", str(CHATS[2]))
    assert parts.fake.texts(CHATS[0]) == ["cho người khác"]
