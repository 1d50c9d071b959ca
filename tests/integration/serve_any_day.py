"""`thidua serve` as the cluster test runs it: the real command, with every day a working day.

    python -m tests.integration.serve_any_day serve

The reminders the test seeds must be due whenever it runs, a Sunday or Tết included; the
settings make every hour a sending hour (quiet hours of no length, send time midnight), and
this makes every day a working day. Nothing else differs from `python -m bot serve`.
"""

from __future__ import annotations

from datetime import date

from bot.cli import main
from bot.reminders.calendar import WorkCalendar


def _every_day(_calendar: WorkCalendar, _day: date) -> bool:
    return True


if __name__ == "__main__":
    WorkCalendar.is_working_day = _every_day  # type: ignore[method-assign]
    main()
