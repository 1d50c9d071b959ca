"""Two reminder workers on one PostgreSQL database, and a pass repeated after a crash."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, time, timedelta

from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from bot.reminders.loop import LOCK_KEY, ReminderScheduler
from bot.store import reminders as rows
from bot.store.outbox import OutboxMessage
from tests.forms.conftest import World
from tests.reminders.conftest import at, scheduler, sent


def _race(world: World, moments: list[datetime]) -> list[object]:
    """Both workers tick at each moment at once; returns what each pass reported."""
    workers = [scheduler(world), scheduler(world)]
    reports: list[object] = []
    for moment in moments:
        world.clock.current = moment
        barrier = threading.Barrier(len(workers))

        def run(worker: ReminderScheduler, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            reports.append(worker.tick())

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return reports


def test_two_workers_on_postgresql_send_nothing_twice(pg_world: World) -> None:
    world = pg_world
    start = date(2026, 3, 23)
    moments = [
        at(start + timedelta(days=n), t) for n in range(0, 24) for t in (time(8, 0), time(8, 1))
    ]
    _race(world, moments)
    log = sent(world)
    keys = Counter((r, p, s, slot) for r, p, s, slot, _w in log)
    assert log and max(keys.values()) == 1
    with world.sessions() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
        distinct = session.scalar(select(func.count(func.distinct(OutboxMessage.idempotency_key))))
        recorded = session.scalar(select(func.count()).where(rows.ReminderLog.status == rows.SENT))
    assert queued == distinct == recorded == len(log)


def _passes(role: str) -> float:
    return REGISTRY.get_sample_value("thidua_reminder_passes_total", {"role": role}) or 0.0


def test_a_worker_stands_aside_while_another_holds_the_lock(pg_world: World) -> None:
    world = pg_world
    world.clock.current = at(date(2026, 3, 31))
    led, aside = _passes("led"), _passes("aside")
    with world.sessions.begin() as other:
        held = other.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        assert held.scalar() is True
        assert scheduler(world).tick() is None
    assert (_passes("led"), _passes("aside")) == (led, aside + 1)  # /metrics tells who leads
    report = scheduler(world).tick()
    assert report is not None and report.sent > 0
    assert (_passes("led"), _passes("aside")) == (led + 1, aside + 1)


def test_a_pass_repeated_after_a_crash_sends_nothing_more(sqlite_world: World) -> None:
    world = sqlite_world
    world.clock.current = at(date(2026, 3, 31))
    first = scheduler(world).tick()
    assert first is not None and first.sent > 0
    again = scheduler(world).tick()  # the same moment, a new process
    assert again is not None and again.sent == 0
    with world.sessions() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert queued == first.sent
