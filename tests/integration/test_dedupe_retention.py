"""Dedupe rows are kept at least 48 hours against redelivery, then purged by the worker.

The inbox worker purges `processed_updates` and handled `inbox` rows older than the
retention every few minutes of its injected clock; the test moves the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.refusals import file_too_large_text
from bot.channels.zalo_bot import ZaloBotChannel
from bot.delivery.receiving import store_update
from bot.delivery.worker import InboxWorker
from bot.store import inbox
from bot.store.inbox import InboxUpdate, ProcessedUpdate
from tests.fakes.zalo_bot_api import text_event
from tests.forms.conftest import World, build_world


@dataclass
class Rig:
    world: World
    channel: ZaloBotChannel
    worker: InboxWorker

    def receive(self, update: dict[str, Any]) -> None:
        payload = {"ok": True, "result": update}
        store_update(self.world.sessions, self.channel, payload, self.now())

    def now(self) -> datetime:
        return self.world.clock()

    def keys(self) -> list[str]:
        with self.world.sessions() as session:
            return sorted(session.scalars(select(ProcessedUpdate.update_key)))

    def inbox(self) -> list[str]:
        with self.world.sessions() as session:
            return sorted(session.scalars(select(InboxUpdate.update_key)))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    channel = ZaloBotChannel("1:zalo-TEST-token", base_url="http://127.0.0.1:9")
    worker = InboxWorker(
        world.turns(),
        {"zalo_bot": channel},
        file_too_large=file_too_large_text,
        purge_every=timedelta(minutes=10),
    )
    yield Rig(world, channel, worker)
    world.engine.dispose()


def key(update: dict[str, Any]) -> str:
    return f"zb:message.text.received:{update['message']['message_id']}"


async def test_a_redelivery_within_48_hours_is_ignored_and_older_rows_are_purged(
    rig: Rig,
) -> None:
    first = text_event("zb-a", "/help")
    rig.receive(first)
    assert await rig.worker.run_once() == 1
    assert rig.keys() == rig.inbox() == [key(first)]

    rig.world.clock.advance(hours=47, minutes=59)  # still remembered: the redelivery is a no-op
    rig.receive(first)
    assert await rig.worker.run_once() == 0
    assert rig.keys() == rig.inbox() == [key(first)]

    rig.world.clock.advance(minutes=11)  # 48 h 10 min after it was handled; a purge is due
    second = text_event("zb-b", "/help")
    rig.receive(second)
    assert await rig.worker.run_once() == 1
    assert rig.keys() == rig.inbox() == [key(second)]


def test_the_purge_runs_every_few_minutes_and_keeps_unhandled_updates(rig: Rig) -> None:
    assert rig.worker.purge_if_due() == (0, 0)  # the first round purges
    old = text_event("zb-c", "/help")
    with rig.world.sessions.begin() as session:  # handled long ago, but the key stays 48 h
        inbox.mark_processed(session, channel="zalo_bot", update_key=key(old), now=rig.now())
    waiting = text_event("zb-d", "/help")
    rig.receive(waiting)  # received but never handled (its worker is down)

    rig.world.clock.advance(hours=49)
    assert rig.worker.purge_if_due() == (1, 0)
    assert rig.keys() == []
    assert rig.inbox() == [key(waiting)]  # an update still waiting is never dropped

    with rig.world.sessions.begin() as session:
        inbox.mark_processed(session, channel="zalo_bot", update_key=key(old), now=rig.now())
    rig.world.clock.advance(minutes=5)  # only 5 minutes since the last purge: not yet
    assert rig.worker.purge_if_due() is None
    rig.world.clock.advance(hours=49)
    assert rig.worker.purge_if_due() == (1, 0)


def test_a_retention_under_48_hours_is_refused(rig: Rig) -> None:
    with pytest.raises(ValueError, match="at least"):
        InboxWorker(
            rig.world.turns(),
            {},
            file_too_large=file_too_large_text,
            retention=timedelta(hours=24),
        )
