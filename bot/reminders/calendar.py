"""The province's working calendar: when a reminder may reach a cadre.

Weekends, Vietnamese public holidays (Tết by the lunar calendar, with the substitute days off
and the Saturdays worked in exchange, as the `holidays` package keeps them) and the quiet hours
of each night are never used to push a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and sending hours; every moment in and out is timezone-aware."""

    tz: ZoneInfo = VN_TZ
    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    send_at: time = time(8, 0)
    extra_days_off: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("VN", language="vi")

    def is_working_day(self, day: date) -> bool:
        return day not in self.extra_days_off and bool(self._holidays.is_working_day(day))

    def working_day_on_or_before(self, day: date) -> date:
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def shift(self, day: date, days: int, *, working: bool) -> date:
        """`day` moved by `days` calendar days, or by that many working days."""
        if not working or days == 0:
            return day + timedelta(days=days)
        step = 1 if days > 0 else -1
        left = abs(days)
        while left:
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(n))
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def at_send_time(self, day: date) -> datetime:
        return datetime.combine(day, self.send_at, tzinfo=self.tz)

    def is_quiet(self, moment: datetime) -> bool:
        clock = self.local(moment).time()
        if self.quiet_start > self.quiet_end:
            return clock >= self.quiet_start or clock < self.quiet_end
        return self.quiet_start <= clock < self.quiet_end

    def may_send(self, moment: datetime) -> bool:
        """A working day, outside quiet hours."""
        return self.is_working_day(self.local(moment).date()) and not self.is_quiet(moment)

    def window_end(self, moment: datetime) -> datetime:
        """When the sending window that contains (or follows) `moment` closes: the quiet start
        of that working day. A reminder still unsent then has missed its day."""
        start = self.next_allowed(moment)
        day = self.local(start).date()
        end = datetime.combine(day, self.quiet_start, tzinfo=self.tz)
        return end if end > start else end + timedelta(days=1)

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself when a message may go out then, else the next such moment."""
        local = self.local(moment)
        for _ in range(400):  # a year of days off cannot happen; the bound keeps it finite
            if self.may_send(local):
                return local
            day = local.date()
            if self.is_working_day(day) and local.time() < self.quiet_end:
                local = datetime.combine(day, self.quiet_end, tzinfo=self.tz)
                continue
            day = self.working_day_on_or_after(day + timedelta(days=1))
            local = datetime.combine(day, self.quiet_end, tzinfo=self.tz)
        raise ValueError("no working day within 400 days")
