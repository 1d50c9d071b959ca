"""A movement's nomination deadline, set by the office, is chased by the reminder engine: the
units registered in the movement until their head has sent a nomination."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.store import nominations
from bot.store.models import Registration
from bot.store.reply_json import reply_from_json
from tests.forms.conftest import World
from tests.reminders.conftest import at, outbox, scheduler, sent


def test_registered_units_are_chased_until_they_send(sqlite_world: World) -> None:
    world = sqlite_world
    with world.sessions.begin() as session:
        for code in ("SNV", "STP", "SYT"):
            session.add(
                Registration(
                    unit_id=world.units[code],
                    movement_id=world.movement_id,
                    status="submitted",
                    version=1,
                )
            )
        nominations.save_settings(
            session, world.movement_id, deadline=date(2026, 12, 10), quotas={}
        )

    def nominate(unit: str, status: str, day: date) -> None:
        draft = {
            "movement_id": world.movement_id,
            "year": 2026,
            "unit_id": world.units[unit],
            "kind": "unit",
            "award": "TTLDXS",
            "summary": "Hoàn thành xuất sắc",
            "files": [],
        }
        with world.sessions.begin() as session:
            nominations.write_nomination(
                session, draft, status=status, person_id=None, now=at(day, time(10, 0))
            )

    worker = scheduler(world)
    day = date(2026, 12, 1)
    while day <= date(2026, 12, 12):
        world.clock.current = at(day)
        worker.tick()
        if day == date(2026, 12, 4):
            nominate("SNV", nominations.SUBMITTED, day)
            nominate("SYT", nominations.PENDING_HEAD, day)
        day += timedelta(days=1)

    subject = f"dn:{world.movement_id}"

    def days(who: str) -> list[date]:
        return [
            w.date() for r, p, s, _slot, w in sent(world) if (r, p, s) == ("unit", who, subject)
        ]

    assert days("head") == [date(2026, 12, 3)]  # Sở Nội vụ sent on the 4th
    assert days("officer") == [date(2026, 12, 3)]
    stp = [date(2026, 12, d) for d in (3, 7, 9, 10, 11)]  # -7, -3, -1, 0, +1
    assert days("head2") == stp
    assert days("head3") == stp  # Sở Y tế's waits for its head: the head is chased
    first = reply_from_json(outbox(world, "head2")[0].payload)
    assert "đề nghị khen thưởng «Thi đua thực hiện thắng lợi nhiệm vụ năm 2026»" in first.text
    assert first.buttons[0][0].payload == "/denghi"
    pending = reply_from_json(outbox(world, "head3")[-1].payload)
    assert pending.buttons[0][0].payload == "/xacnhandn"


def test_no_deadline_no_reminder(sqlite_world: World) -> None:
    world = sqlite_world
    with world.sessions.begin() as session:
        session.add(
            Registration(
                unit_id=world.units["STP"], movement_id=world.movement_id, status="submitted"
            )
        )
    worker = scheduler(world)
    for n in range(12):
        world.clock.current = at(date(2026, 12, 1) + timedelta(days=n))
        worker.tick()
    assert not [s for _r, _p, s, _slot, _w in sent(world) if s.startswith("dn:")]
