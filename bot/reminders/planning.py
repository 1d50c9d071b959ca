"""Pure: when a deadline's reminders fall, and which of them is due at a given moment.

A slot is an offset from the deadline in days (calendar or working days, per movement). A slot
on a day off moves to a working day: before the deadline to the working day before (a warning
must come before the deadline, not after it), from the deadline on to the working day after.
Two slots landing on one day are one reminder. A slot whose day passed without it being sent
(the process was down) is skipped, not sent late: only the latest slot still in its sending
window goes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.reminders.calendar import WorkCalendar

DEFAULT_OFFSETS = (-7, -3, -1, 0, 1, 3)


@dataclass(frozen=True)
class ReminderPolicy:
    """A movement's rhythm of reminders; every number here is data (reminder_policies)."""

    offsets: tuple[int, ...] = DEFAULT_OFFSETS
    repeat_every_days: int = 7  # after the last offset, while still overdue; 0: never
    repeat_times: int = 8
    working_days: bool = False
    escalate_cluster_after: int = 3  # overdue this many days: the cluster lead hears of it
    escalate_office_after: int = 7  # …and this many: the office gets the list

    def overdue_offsets(self, first: int) -> tuple[int, ...]:
        """`first`, then the weekly repeats after it."""
        step = self.repeat_every_days
        repeats = self.repeat_times if step > 0 else 0
        return (first, *(first + step * n for n in range(1, repeats + 1)))

    def unit_offsets(self) -> tuple[int, ...]:
        base = tuple(sorted(set(self.offsets)))
        if not base or self.repeat_every_days <= 0:
            return base
        return (*base[:-1], *self.overdue_offsets(base[-1]))


@dataclass(frozen=True)
class Slot:
    offset: int
    day: date
    moment: datetime
    label: str = ""  # a name of its own (a snooze, a week) instead of the offset

    @property
    def name(self) -> str:
        return self.label or f"{self.offset:+d}"


def plan(
    deadline: date,
    offsets: Iterable[int],
    calendar: WorkCalendar,
    *,
    working_days: bool = False,
    until: date | None = None,
) -> list[Slot]:
    """The slots of one deadline, in time order, at most one a day, none after `until`."""
    by_day: dict[date, Slot] = {}
    for offset in sorted(set(offsets)):
        day = calendar.shift(deadline, offset, working=working_days)
        if offset <= 0:
            day = calendar.working_day_on_or_before(day)
        else:
            day = calendar.working_day_on_or_after(day)
        if until is not None and day > until:
            continue
        # The later offset wins a shared day: its wording ("today is the deadline") is the
        # more urgent, and the text is worded from the real day anyway.
        by_day[day] = Slot(offset, day, calendar.at_send_time(day))
    return [by_day[day] for day in sorted(by_day)]


@dataclass(frozen=True)
class Due:
    send: Slot | None
    skip: tuple[Slot, ...]


def due(slots: Sequence[Slot], done: set[str], now: datetime, calendar: WorkCalendar) -> Due:
    """Which slot to send at `now` and which passed unsent; `done` holds slot names recorded."""
    passed = [s for s in slots if s.moment <= now and s.name not in done]
    if not passed:
        return Due(None, ())
    latest = passed[-1]
    if calendar.may_send(now) and now < calendar.window_end(latest.moment):
        return Due(latest, tuple(passed[:-1]))
    if now >= calendar.window_end(latest.moment):
        return Due(None, tuple(passed))
    return Due(None, ())  # quiet hours of its own day: wait, it is still today's
