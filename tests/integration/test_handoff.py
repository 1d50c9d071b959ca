"""Rows handed over in memory on SQLite: leased where they are written or freed, never lost.

The webhook's commit leases each chat's next update to this process's worker, a group of turns
leases its chats' next updates and replies, and a recorded send leases its chat's next message;
the claims over every open row then run only when woken for them and every `idle_s`. These
tests run the real worker and sender loops (webhook, router, PTB client, fake Bot API) and
check that the handed-over path alone keeps each chat's order, that a row written outside it
is not starved by it, and that rows handed over but never started are given back on stop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.gateway import InboxWorker
from bot.messages import Reply
from bot.outbox import OutboxSender, RateLimits
from bot.store import delivery
from bot.store.delivery import OutboxMessage
from bot.web.app import TELEGRAM_SECRET_HEADER, create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World, build_world
from tests.integration.services import web_services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHATS = [7_300_001, 7_300_002, 7_300_003]


@dataclass
class Loop:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    worker: InboxWorker
    sender: OutboxSender
    update_id: int = 500

    async def post(self, chat: int, text: str) -> None:
        self.update_id += 1
        body = json.dumps(message_update(chat, text, update_id=self.update_id))
        response = await self.client.post(
            "/webhooks/telegram", content=body, headers={TELEGRAM_SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200

    async def replies(self, chat: int, count: int, within_s: float = 10.0) -> list[str]:
        for _ in range(int(within_s / 0.02)):
            if len(self.fake.texts(chat)) >= count:
                break
            await asyncio.sleep(0.02)
        return self.fake.texts(chat)


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[Loop]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        await channel.start()
        channels = {"telegram": channel}
        limits = {"telegram": RateLimits(per_chat_burst=100, per_chat_period_s=1.0)}
        services = web_services(
            world,
            channels,
            sender=OutboxSender(world.sessions, channels, now=world.clock, limits=limits),
            secrets={"telegram": SECRET},
            background=False,  # the test runs the loops, with its own idle_s
        )
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Loop(world, fake, client, services.worker, services.sender)
        await channel.close()
    world.engine.dispose()


async def run_loops(loop: Loop, stop: asyncio.Event, idle_s: float) -> asyncio.Future[Any]:
    loop.worker.send_with(loop.sender)
    running = asyncio.gather(
        loop.worker.run_forever(stop, idle_s=idle_s), loop.sender.run_forever(stop, idle_s=idle_s)
    )
    await asyncio.sleep(0.2)  # their first sweep (claims over every open row) is done
    return running


async def test_handoffs_alone_answer_every_chat_in_order(parts: Loop) -> None:
    """With sweeps 60 s apart, every reply here comes through a handoff: a chat's second and
    third messages arrive while its first is in work and follow it, in order."""
    stop = asyncio.Event()
    running = await run_loops(parts, stop, idle_s=60)
    try:
        for n in range(3):
            await asyncio.gather(*(parts.post(chat, f"câu {chat} {n}") for chat in CHATS))
        for chat in CHATS:
            texts = await parts.replies(chat, 3)
            assert texts == [f"[Hỏi đáp] câu {chat} {n}" for n in range(3)]
    finally:
        stop.set()
        await running


async def test_a_row_written_elsewhere_is_sent_while_handoffs_keep_the_sender_busy(
    parts: Loop,
) -> None:
    """A notification queued by another process (no wake-up reaches this one) waits for a
    sweep; a steady stream of handed-over replies must not postpone that sweep for ever."""
    stop = asyncio.Event()
    running = await run_loops(parts, stop, idle_s=0.2)
    elsewhere = 7_300_999
    try:
        with parts.world.sessions.begin() as session:
            delivery.enqueue(
                session,
                channel="telegram",
                chat_id=str(elsewhere),
                replies=[Reply("Nhắc hạn báo cáo")],
                key="another-process",
                now=parts.world.clock(),
            )
        sent_during_stream = False
        for n in range(60):  # ~1.5 s of messages, one every 25 ms
            await parts.post(CHATS[n % 3], f"tin {n}")
            await asyncio.sleep(0.025)
            sent_during_stream = sent_during_stream or bool(parts.fake.texts(elsewhere))
        assert sent_during_stream
        assert parts.fake.texts(elsewhere) == ["Nhắc hạn báo cáo"]
    finally:
        stop.set()
        await running


async def test_rows_handed_over_but_not_started_are_given_back_on_stop(parts: Loop) -> None:
    world = parts.world
    now = world.clock()
    chat = ("telegram", str(CHATS[0]))
    with world.sessions.begin() as session:
        delivery.enqueue(
            session, channel=chat[0], chat_id=chat[1], replies=[Reply("một")], key="k", now=now
        )
        assert delivery.receive(
            session,
            channel=chat[0],
            update_key="tg:1",
            chat_id=chat[1],
            payload=message_update(CHATS[0], "hai", update_id=1),
            now=now,
        )
        replies = delivery.claim_outbox_heads(session, [chat], now=now)
        updates = delivery.claim_inbox_heads(session, [chat], now=now)
    parts.sender.accept(replies)
    parts.worker.accept(updates)
    stop = asyncio.Event()
    stop.set()  # stopped before either loop started what it was given
    await asyncio.gather(parts.worker.run_forever(stop), parts.sender.run_forever(stop))
    with world.sessions.begin() as session:  # claimable at once, not after their lease
        assert [r.id for r in delivery.claim_due(session, now=now)] == [replies[0].id]
        assert [u.id for u in delivery.claim_inbox(session, now=now)] == [updates[0].id]
    assert parts.fake.texts(CHATS[0]) == []


async def test_a_handed_row_whose_lease_ran_out_in_memory_is_sent_once(parts: Loop) -> None:
    """Rows wait in memory when a channel is paced; a claim that finds one's lease run out
    meanwhile must not start it a second time in the same process."""
    world = parts.world
    with world.sessions.begin() as session:
        delivery.enqueue(
            session,
            channel="telegram",
            chat_id=str(CHATS[1]),
            replies=[Reply("ba")],
            key="k",
            now=world.clock(),
        )
        replies = delivery.claim_outbox_heads(
            session, [("telegram", str(CHATS[1]))], now=world.clock()
        )
    parts.sender.accept(replies)
    world.clock.advance(seconds=delivery.LEASE.total_seconds() + 1)
    assert await parts.sender.run_once() == 1  # from memory; the claim found it again
    assert await parts.sender.run_once() == 0
    assert parts.fake.texts(CHATS[1]) == ["ba"]


async def test_a_sender_with_a_backlog_is_handed_nothing_more(parts: Loop) -> None:
    world = parts.world
    sender = OutboxSender(world.sessions, {}, now=world.clock, batch=1)
    parts.worker.send_with(sender)
    with world.sessions.begin() as session:
        delivery.enqueue(
            session,
            channel="telegram",
            chat_id="1",
            replies=[Reply("x")],
            key="k",
            now=world.clock(),
        )
        sender.accept(delivery.claim_outbox_heads(session, [("telegram", "1")], now=world.clock()))
    assert not sender.has_room()
    await parts.post(CHATS[2], "câu hỏi")
    assert await parts.worker.run_once() == 1
    with world.sessions() as session:  # the reply stays for a claim, not leased to the sender
        [row] = session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == str(CHATS[2])))
    assert (row.status, row.lease_until) == ("pending", None)


async def test_a_handed_row_of_a_paused_channel_waits_for_the_pause(parts: Loop) -> None:
    """A 429 pauses the whole channel; a row handed over meanwhile goes back to the database
    with the pause as its time, and is sent once the pause is over."""
    world = parts.world
    parts.fake.fail_429(retry_after=30)

    def queue(chat: int, text: str) -> list[delivery.Claimed]:
        with world.sessions.begin() as session:
            delivery.enqueue(
                session,
                channel="telegram",
                chat_id=str(chat),
                replies=[Reply(text)],
                key=text,
                now=world.clock(),
            )
            return delivery.claim_outbox_heads(
                session, [("telegram", str(chat))], now=world.clock()
            )

    parts.sender.accept(queue(CHATS[0], "một"))
    assert await parts.sender.run_once() == 0  # 429: the channel pauses for 30 s
    parts.sender.accept(queue(CHATS[1], "hai"))
    assert await parts.sender.run_once() == 0
    with world.sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == str(CHATS[1])))
        held = row.one()
    assert (held.status, held.lease_until) == ("pending", None)
    assert held.not_before > world.clock()
    world.clock.advance(seconds=31)
    assert await parts.sender.run_once() == 2
    assert parts.fake.texts(CHATS[0]) == ["một"]
    assert parts.fake.texts(CHATS[1]) == ["hai"]
