"""Pushing a hand-off notice to one person: the chat that reaches them, quiet hours, once.

The core says who and what (bot.core.flows.handoffs); this decides how, in the turn's own
transaction: the person's last-used chat, as reminders are routed (bot.reminders.reach), a row
in the reminder log under the notice's key (so the same notice is never pushed twice, and one
that reached nobody is on the office's list of people not reached), and an outbox row held
back to the morning when the hand-off happens in the quiet hours of the night.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.messages import Reply
from bot.reminders.calendar import WorkCalendar
from bot.reminders.reach import RouteFinder
from bot.store import outbox
from bot.store import reminders as rows
from bot.store.recipients import recipients

RULE, _SLOT = rows.HANDOFF, rows.HANDOFF_SLOT


class HandoffPusher:
    """The core's `Push`: queues one notice to a person's own chat, or records that none
    reaches them."""

    def __init__(self, calendar: WorkCalendar, route: RouteFinder) -> None:
        self._calendar = calendar
        self._route = route

    def __call__(
        self,
        session: Session,
        person_id: int,
        key: str,
        reply: Reply,
        unit_id: int | None,
        now: datetime,
    ) -> bool:
        """True when a chat reaches the person (queued now, or already for this key)."""
        found = recipients(session, [person_id]).get(person_id)
        route = self._route(found, now) if found is not None else None
        entry = rows.Entry(
            rows.Key(RULE, person_id, key[:64], _SLOT),
            status=rows.SENT if route else rows.UNREACHED,
            due_at=now,
            unit_id=unit_id,
            channel=route.channel if route else "",
            route=route.kind if route else "",
        )
        written = rows.record_many(session, [entry], now=now)
        if route is None:
            return False
        if entry.key in written:
            queued = outbox.Queued(
                route.channel,
                route.chat_id,
                reply,
                f"handoff:{written[entry.key]}",
                not_before=self.morning_after(now),
            )
            outbox.enqueue_many(session, [queued], now=now)
        return True

    def morning_after(self, now: datetime) -> datetime:
        """`now`, or the end of the quiet hours it falls in: deferred, never dropped."""
        if not self._calendar.is_quiet(now):
            return now
        local = self._calendar.local(now)
        end = datetime.combine(local.date(), self._calendar.quiet_end, tzinfo=self._calendar.tz)
        if end <= local:
            end = datetime.combine(
                local.date() + timedelta(days=1), self._calendar.quiet_end, tzinfo=self._calendar.tz
            )
        return end
