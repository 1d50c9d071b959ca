"""Zalo OA workers sharing one token row spend the single-use refresh token once.

Each `ZaloOAChannel` here stands for a worker process (`thidua serve --workers N`): its own
store object and its own in-process lock, one database row between them, on SQLite and
PostgreSQL. The fake OA refuses a refresh token used twice, as Zalo does.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import SendStatus
from bot.channels.zalo_oa import ZaloOAChannel
from bot.messages import Reply
from bot.store.tokens import DatabaseTokenStore, PlatformToken
from tests.fakes.zalo_oa_api import FakeZaloOA

USER = "8412345678901234"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def worker(fake: FakeZaloOA, sessions: sessionmaker[Session]) -> ZaloOAChannel:
    return ZaloOAChannel(
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        oa_secret=fake.oa_secret,
        tokens=DatabaseTokenStore(sessions, "zalo_oa"),
        api_base=fake.url,
        oauth_base=fake.url,
    )


async def test_workers_with_an_expiring_token_refresh_it_once(
    sessions: sessionmaker[Session],
) -> None:
    async with FakeZaloOA() as fake:
        first = fake.initial_tokens(valid_for=timedelta(minutes=1))  # inside the margin
        DatabaseTokenStore(sessions, "zalo_oa").save(
            first.access_token, first.refresh_token, first.expires_at
        )
        workers = [worker(fake, sessions) for _ in range(3)]
        try:
            results = await asyncio.gather(
                *(w.send(USER, Reply(f"Tin {i}")) for i, w in enumerate(workers * 2))
            )
        finally:
            for w in workers:
                await w.close()
        assert [r.status for r in results] == [SendStatus.SENT] * 6
        assert fake.refreshes == 1
        assert len(fake.sent(USER)) == 6
        with sessions() as session:
            row = session.scalars(select(PlatformToken)).one()
        assert row.refresh_token == fake.refresh_token
        assert row.refresh_lease_until is None  # the saved pair gave the lease back


def test_a_lease_is_held_until_it_runs_out_or_is_given_back(
    sessions: sessionmaker[Session],
) -> None:
    one = DatabaseTokenStore(sessions, "zalo_oa", initial_refresh="R0")
    two = DatabaseTokenStore(sessions, "zalo_oa", initial_refresh="R0")
    assert one.claim_refresh(T0, LEASE)  # first start: the row is created, then leased
    assert not two.claim_refresh(T0 + timedelta(seconds=5), LEASE)
    assert two.claim_refresh(T0 + LEASE, LEASE)  # a crashed refresher's lease ran out
    two.release_refresh()
    assert one.claim_refresh(T0 + LEASE + timedelta(seconds=1), LEASE)
    loaded = one.load()
    assert loaded is not None and loaded.refresh_token == "R0"


async def test_a_failed_refresh_gives_the_lease_back(sessions: sessionmaker[Session]) -> None:
    async with FakeZaloOA() as fake:
        store = DatabaseTokenStore(sessions, "zalo_oa")
        store.save("old-access", "spent-refresh", datetime.now(UTC))  # expired, refused by Zalo
        channel = worker(fake, sessions)
        try:
            result = await channel.send(USER, Reply("Tin"))
        finally:
            await channel.close()
        assert result.status is SendStatus.TRANSIENT  # kept and retried by the outbox
        assert fake.refreshes == 0
        assert store.claim_refresh(datetime.now(UTC), LEASE)  # not left leased
