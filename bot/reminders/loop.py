"""The reminder loop: one leader at a time runs a pass of bot.reminders.chase, every minute.

On PostgreSQL the leader is whoever takes a transaction-scoped advisory lock first; the others
skip that round (a pass takes well under a minute, so rounds do not pile up). On SQLite every
transaction holds the file's write lock, so passes of several processes take turns. Either way
each reminder key is a unique row written with its outbox row, so a pass repeated after a crash
or by a second worker sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.reminders.chase import Chaser
from bot.reminders.reminder_pass import TickReport
from bot.store.db import run_db

log = logging.getLogger(__name__)

LOCK_KEY = 0x7468_6964_7561  # "thidua": the advisory lock id of the reminder leader


class ReminderScheduler:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        chaser: Chaser,
        *,
        now: Callable[[], datetime],
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._chaser = chaser
        self._now = now
        self._on_queued = on_queued

    def tick(self, at: datetime | None = None) -> TickReport | None:
        """One pass at `at` (default: now); None when another worker is the leader."""
        now = at or self._now()
        with self._sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql" and not _lead(session):
                metrics.REMINDER_PASSES.labels("aside").inc()
                return None
            report = self._chaser.tick(session, now)
        metrics.REMINDER_PASSES.labels("led").inc()
        count(report)  # committed
        return report

    async def run_forever(self, stop: asyncio.Event, every_s: float = 60.0) -> None:
        while not stop.is_set():
            try:
                report = await run_db(self._sessions, self.tick)
                if report and report.sent and self._on_queued is not None:
                    self._on_queued()  # the sender claims the new rows now, not at its next poll
                if report and (report.sent or report.skipped or report.unreached):
                    log.info(
                        "reminders: %d queued, %d skipped, %d unreached",
                        report.sent,
                        report.skipped,
                        report.unreached,
                    )
            except Exception:  # a bad row must not stop the reminders for good
                log.exception("reminder pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every_s)


def count(report: TickReport) -> None:
    """A committed pass in the metrics (their "sent" is counted by the sender)."""
    for outcome, number in (
        ("queued", report.sent),
        ("skipped", report.skipped),
        ("unreached", report.unreached),
    ):
        if number:
            metrics.REMINDERS.labels(outcome).inc(number)


def _lead(session: Session) -> bool:
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    return bool(taken.scalar())
