"""A turn that outlasts its lease keeps its update: the worker's heartbeat renews the lease of
the update in hand, so another worker does not take it (and run it a second time).

The photo's getFile is slow at the fake Bot API; meanwhile the world's clock moves on, half a
lease at a time, to six times the lease. The real worker loop runs with a lease of 0.4 s, so
it beats every 0.1 s (of the wall clock; its lease is reckoned on the world's).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.store import inbox
from bot.store.inbox import InboxUpdate
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import photo_update
from tests.forms.conftest import World
from tests.integration.services import FAST, services

TOKEN = "7012345678:AAH-test-SECRET-token"
CHAT = 5012345678
LEASE = timedelta(seconds=0.4)


def lease_of(world: World) -> tuple[str | None, object]:
    with world.sessions() as session:
        [row] = session.scalars(select(InboxUpdate)).all()
        return row.lease_owner, row.lease_until


async def test_a_slow_turn_keeps_its_lease_and_no_other_worker_takes_it(world: World) -> None:
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        fake.method_delays["getFile"] = 6.0
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        await channel.start()
        running = services(
            world, {"telegram": channel}, limits={"telegram": FAST}, background=False, lease=LEASE
        )
        worker = running.worker
        with world.sessions.begin() as session:
            update = {**photo_update(fake, CHAT, b"\xff\xd8 anh"), "update_id": 4242}
            inbox.store(
                session,
                channel="telegram",
                update_key="tg:4242",
                chat_id=str(CHAT),
                payload=update,
                now=world.clock(),
            )
        stop = asyncio.Event()
        loop = asyncio.create_task(worker.run_forever(stop, idle_s=0.05))
        try:
            for _ in range(200):  # claimed, and the download under way
                if fake.calls_to("getFile"):
                    break
                await asyncio.sleep(0.01)
            claimed_at = world.clock()
            assert lease_of(world) == (worker.owner, claimed_at + LEASE)
            for _ in range(12):  # half a lease at a time: each step waits for a heartbeat
                world.clock.advance(seconds=0.2)
                beat = world.clock() + LEASE
                for _ in range(200):
                    if lease_of(world)[1] == beat:
                        break
                    await asyncio.sleep(0.01)
                assert lease_of(world) == (worker.owner, beat)
            assert world.clock() - claimed_at > 5 * LEASE
            with world.sessions.begin() as session:
                assert inbox.claim(session, now=world.clock(), owner="another") == []
            for _ in range(600):
                if lease_of(world)[0] is None:
                    break
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await loop
            await channel.close()
    with world.sessions() as session:
        [row] = session.scalars(select(InboxUpdate)).all()
        assert row.processed_at is not None and row.attempts == 1  # run once, by its owner
    assert len(fake.calls_to("getFile")) == 1
