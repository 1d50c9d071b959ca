"""The office runs the movements; its own unit owes nothing and is never chased."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.store import reminders as rows
from bot.store.models import ChannelIdentity, Person, PersonRole
from bot.store.roles import Role
from tests.forms.conftest import World
from tests.reminders.conftest import CONSOLE_ROUTES, at


def test_the_office_unit_head_gets_no_reminder_while_the_units_do(sqlite_world: World) -> None:
    world = sqlite_world
    with world.sessions.begin() as session:
        chief = Person(full_name="Trưởng Ban TĐKT", unit_id=world.units["BTDKT"])
        chief.roles = [PersonRole(role=Role.UNIT_HEAD.value)]
        session.add(chief)
        session.flush()
        session.add(
            ChannelIdentity(
                channel="console", external_id="chief", person_id=chief.id, linked_at=world.clock()
            )
        )
    now = at(date(2026, 4, 1), time(9, 0))  # the day after the registration deadline
    with world.sessions.begin() as session:
        report = Chaser(WorkCalendar(), CONSOLE_ROUTES).tick(session, now)
    assert report.sent > 0
    with world.sessions() as session:
        units = set(session.scalars(select(rows.ReminderLog.unit_id)))
    assert world.units["SYT"] in units and world.units["STP"] in units
    assert world.units["BTDKT"] not in units
