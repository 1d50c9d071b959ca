"""The working calendar and the pure reminder plan: Tết, weekends, quiet hours, collisions."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.reminders.calendar import VN_TZ, WorkCalendar
from bot.reminders.planning import ReminderPolicy, Slot, due, plan

CAL = WorkCalendar()


def at(day: date, clock: time = time(8, 0)) -> datetime:
    return datetime.combine(day, clock, tzinfo=VN_TZ)


def test_tet_weekends_and_swapped_days() -> None:
    assert not CAL.is_working_day(date(2026, 2, 17))
    assert not CAL.is_working_day(date(2026, 2, 21))  # a Saturday
    assert not CAL.is_working_day(date(2026, 8, 31))  # off in exchange for Saturday 22/8
    assert CAL.is_working_day(date(2026, 8, 22))  # that Saturday is worked
    assert CAL.working_day_on_or_before(date(2026, 2, 22)) == date(2026, 2, 13)
    assert CAL.working_day_on_or_after(date(2026, 2, 14)) == date(2026, 2, 23)
    assert CAL.shift(date(2026, 2, 23), -3, working=True) == date(2026, 2, 11)
    assert CAL.shift(date(2026, 2, 23), -3, working=False) == date(2026, 2, 20)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1


def test_quiet_hours_and_the_next_moment_a_message_may_go() -> None:
    friday_night = at(date(2026, 3, 27), time(22, 30))
    assert CAL.is_quiet(friday_night) and not CAL.may_send(friday_night)
    assert CAL.next_allowed(friday_night) == at(date(2026, 3, 30), time(7, 0))
    assert CAL.next_allowed(at(date(2026, 3, 30), time(6, 59))) == at(date(2026, 3, 30), time(7, 0))
    assert CAL.next_allowed(at(date(2026, 3, 30), time(20, 59))) == at(
        date(2026, 3, 30), time(20, 59)
    )
    assert CAL.window_end(at(date(2026, 3, 30))) == at(date(2026, 3, 30), time(21, 0))
    late = WorkCalendar(quiet_start=time(22, 0), quiet_end=time(6, 0), send_at=time(9, 30))
    assert late.may_send(at(date(2026, 3, 27), time(21, 30)))
    assert late.at_send_time(date(2026, 3, 30)) == at(date(2026, 3, 30), time(9, 30))


def test_offsets_on_days_off_move_towards_the_deadline_side_and_merge() -> None:
    slots = plan(date(2026, 2, 23), ReminderPolicy().unit_offsets(), CAL, until=date(2026, 3, 5))
    assert [(s.name, s.day) for s in slots] == [
        ("-1", date(2026, 2, 13)),  # -7, -3 and -1 fall on Tết or its weekend
        ("+0", date(2026, 2, 23)),
        ("+1", date(2026, 2, 24)),
        ("+3", date(2026, 2, 26)),
        ("+10", date(2026, 3, 5)),
    ]
    counted = plan(date(2026, 2, 23), (-3, 0, 2), CAL, working_days=True)
    assert [(s.name, s.day) for s in counted] == [
        ("-3", date(2026, 2, 11)),
        ("+0", date(2026, 2, 23)),
        ("+2", date(2026, 2, 25)),
    ]


def test_only_the_latest_slot_still_in_its_window_is_sent() -> None:
    slots = plan(date(2026, 3, 31), (-3, -1, 0), CAL)
    early = due(slots, set(), at(date(2026, 3, 27), time(7, 0)), CAL)
    assert early.send is None and early.skip == ()  # the first slot is at 08:00
    on_time = due(slots, set(), at(date(2026, 3, 30), time(9, 0)), CAL)
    assert on_time.send == slots[1] and on_time.skip == (slots[0],)
    assert due(slots, {"-3", "-1"}, at(date(2026, 3, 30), time(9, 0)), CAL).send is None
    missed = due(slots, {"-3"}, at(date(2026, 3, 30), time(21, 30)), CAL)
    assert missed.send is None and missed.skip == (slots[1],)  # its day passed: not sent late
    snooze = Slot(0, date(2026, 3, 31), at(date(2026, 3, 31), time(10, 15)), label="z1")
    assert (
        snooze.name == "z1"
        and due([snooze], set(), at(date(2026, 3, 31), time(11, 0)), CAL).send == snooze
    )


def test_weekly_repeats_follow_the_last_offset() -> None:
    policy = ReminderPolicy(offsets=(-2, 1), repeat_every_days=7, repeat_times=2)
    assert policy.unit_offsets() == (-2, 1, 8, 15)
    assert policy.overdue_offsets(3) == (3, 10, 17)
    assert ReminderPolicy(offsets=(0,), repeat_every_days=0).unit_offsets() == (0,)
