"""An injected clock walks the whole 2026 movement year through the reminder scheduler.

The province of tests/forms: Sở Nội vụ (head and officer) registers two days late and reports
Q1 late; Sở Y tế never registers; Sở Tư pháp leads the khối. The registration deadline is the
Monday after Tết, so the warnings before it all fall on the last working day before Tết; the
process is down over 6–8 April and restarted, and the Q1 report's repeats cross the Giỗ Tổ Hùng
Vương and 1 May holidays. Every reminder is listed: nothing expected is missing, nothing else
is sent, nothing twice, nothing on a day off or in quiet hours.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from bot.reminders.calendar import WorkCalendar
from bot.store.models import Cluster, Movement, ProgressReport, Registration, ReportPeriod
from tests.forms.conftest import World
from tests.reminders.conftest import at, scheduler, sent

TICKS = (time(6, 30), time(8, 0), time(22, 0))
DOWN = (at(date(2026, 4, 6), time(0, 0)), at(date(2026, 4, 8), time(14, 0)))


def _prepare(world: World) -> tuple[int, int, int]:
    with world.sessions.begin() as session:
        session.execute(
            update(Movement)
            .where(Movement.id == world.movement_id)
            .values(registration_deadline=date(2026, 2, 23), pledge_deadline=None)
        )
        period = session.scalar(select(ReportPeriod.id).where(ReportPeriod.code == "Q1"))
        k1 = session.scalar(select(Cluster.id).where(Cluster.code == "K1"))
    assert period is not None and k1 is not None
    return world.movement_id, period, k1


def _register(world: World, when: datetime) -> int:
    with world.sessions.begin() as session:
        reg = Registration(
            unit_id=world.units["SNV"],
            movement_id=world.movement_id,
            status="submitted",
            version=1,
            submitted_at=when,
        )
        session.add(reg)
        session.flush()
        return reg.id


def _report(world: World, registration_id: int, period_id: int, when: datetime) -> None:
    with world.sessions.begin() as session:
        session.add(
            ProgressReport(
                registration_id=registration_id,
                period_id=period_id,
                status="submitted",
                late=True,
                submitted_at=when,
            )
        )


def _walk(world: World) -> None:
    _movement, period, _k1 = _prepare(world)
    worker = scheduler(world)
    registration_id = 0
    day = date(2026, 1, 1)
    while day <= date(2026, 12, 31):
        moments = [at(day, t) for t in TICKS]
        if day == DOWN[1].date():
            moments.insert(2, DOWN[1])
        for moment in moments:
            if DOWN[0] <= moment < DOWN[1]:
                continue
            if moment == DOWN[1]:
                worker = scheduler(world)  # the restarted process
            if moment == at(date(2026, 2, 25), time(22, 0)):
                registration_id = _register(world, at(date(2026, 2, 25), time(10, 0)))
            if moment == at(date(2026, 5, 5), time(22, 0)):
                _report(world, registration_id, period, at(date(2026, 5, 5), time(10, 0)))
            world.clock.current = moment
            worker.tick()
        day += timedelta(days=1)


def test_a_whole_year_sends_every_expected_reminder_once_and_nothing_else(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    _walk(world)
    with world.sessions() as session:
        period = session.scalar(select(ReportPeriod.id).where(ReportPeriod.code == "Q1"))
        k1 = session.scalar(select(Cluster.id).where(Cluster.code == "K1"))
    reg, rep = f"dk:{world.movement_id}", f"bc:{period}"
    log = sent(world)

    def days(rule: str, who: str, subject: str) -> list[tuple[str, date]]:
        return [
            (slot, when.date()) for r, p, s, slot, when in log if (r, p, s) == (rule, who, subject)
        ]

    d = date
    # Registration: -7, -3 and -1 all fall on Tết or the weekend before the deadline and
    # become one warning on Friday 13 February; then the day itself and the day after.
    snv_registration = [("-1", d(2026, 2, 13)), ("+0", d(2026, 2, 23)), ("+1", d(2026, 2, 24))]
    assert days("unit", "head", reg) == snv_registration
    assert days("unit", "officer", reg) == snv_registration
    # Q1 report: -3 (7 April) fell while the process was down and is not sent late; +1 (a
    # Saturday) and +3 share Monday 13 April; +17 (Giỗ Tổ, observed 27 April) moves to the 28th.
    snv_report = [
        ("-7", d(2026, 4, 3)),
        ("-1", d(2026, 4, 9)),
        ("+0", d(2026, 4, 10)),
        ("+3", d(2026, 4, 13)),
        ("+10", d(2026, 4, 20)),
        ("+17", d(2026, 4, 28)),
        ("+24", d(2026, 5, 4)),
    ]
    assert days("unit", "head", rep) == snv_report
    assert days("unit", "officer", rep) == snv_report
    # Sở Y tế never registers: the day's warnings, then weekly repeats, eight of them.
    syt = [("-1", d(2026, 2, 13)), ("+0", d(2026, 2, 23)), ("+1", d(2026, 2, 24))]
    syt += [("+3", d(2026, 2, 26))]
    syt += [(f"+{3 + 7 * n}", d(2026, 2, 26) + timedelta(weeks=n)) for n in range(1, 9)]
    assert days("unit", "head3", reg) == syt
    # The khối lead hears of Sở Nội vụ's late report from day 3, the office from day 7
    # (1 May is Labour Day: that repeat moves to Monday 4 May).
    assert days("cluster", "head2", f"{rep}/c{k1}") == [
        ("+3", d(2026, 4, 13)),
        ("+10", d(2026, 4, 20)),
        ("+17", d(2026, 4, 28)),
        ("+24", d(2026, 5, 4)),
    ]
    assert days("office", "office", rep) == [
        ("+7", d(2026, 4, 17)),
        ("+14", d(2026, 4, 24)),
        ("+21", d(2026, 5, 4)),
    ]
    # Nothing else is sent to these people about these subjects.
    people_rules = Counter((r, p, s) for r, p, s, _slot, _when in log)
    assert people_rules[("unit", "head", reg)] == len(snv_registration)
    assert people_rules[("unit", "head", rep)] == len(snv_report)
    # No reminder key twice, none on a day off or in quiet hours.
    keys = Counter((r, p, s, slot) for r, p, s, slot, _when in log)
    assert max(keys.values()) == 1
    calendar = WorkCalendar()
    assert all(calendar.may_send(when) for *_key, when in log)
    # A weekly summary to the office and to the khối lead every week with a working day: not
    # the week of Tết (none), week 1 (it began before the walk) nor week 15 (its Monday fell
    # in the downtime; it is not sent days late).
    summaries = [slot for r, p, _s, slot, _w in log if r == "summary" and p == "office"]
    weeks = {f"2026-W{n:02d}" for n in range(1, 54)} - {"2026-W01", "2026-W08", "2026-W15"}
    assert sorted(summaries) == sorted(weeks)
    lead_summaries = [slot for r, p, _s, slot, _w in log if r == "summary" and p == "head2"]
    assert lead_summaries == summaries
