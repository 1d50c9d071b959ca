"""Every state a standing can take, worked out by the database (bot.reminders.standing): a
registration filed in the deadline's last second or the next one, returned, waiting for the
head or missing; a report late, returned, waiting, filed on time, unfiled or declared on
paper; a pledge signed, unsigned or not opened — on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from bot.reminders import standing as st
from bot.reminders.calendar import VN_TZ
from bot.store.models import (
    Cluster,
    Pledge,
    PledgeSignature,
    ProgressReport,
    Registration,
    ReportPeriod,
    Unit,
)
from bot.store.reminders import PaperSubmission
from tests.forms.conftest import World
from tests.reminders.conftest import at

LAST_SECOND = datetime(2026, 3, 31, 23, 59, 59, tzinfo=VN_TZ)  # registration due 31/03/2026
NEXT_SECOND = datetime(2026, 4, 1, 0, 0, 0, tzinfo=VN_TZ)


@pytest.fixture(params=["sqlite", "pg"])
def any_world(request: pytest.FixtureRequest) -> World:
    found: World = request.getfixturevalue(f"{request.param}_world")
    return found


def _province(world: World) -> dict[str, int]:
    """Two more units, two more periods, and one filing of each kind; the periods' ids."""
    u = world.units
    with world.sessions.begin() as session:
        for code, name in (("SCT", "Sở Công Thương"), ("SGD", "Sở Giáo dục")):
            unit = Unit(code=code, name=name)
            session.add(unit)
            session.flush()
            u[code] = unit.id
        q1 = session.scalars(
            select(ReportPeriod).where(ReportPeriod.movement_id == world.movement_id)
        ).one()
        periods = {"Q1": q1.id}
        for code, month in (("Q2", 4), ("Q3", 7)):
            period = ReportPeriod(
                movement_id=world.movement_id,
                code=code,
                name=f"Quý {code[1]}",
                kind="tiến độ",
                start_date=date(2026, month, 1),
                end_date=date(2026, month + 2, 30),
                deadline=date(2026, month + 3, 10),
            )
            session.add(period)
            session.flush()
            periods[code] = period.id
        regs = {}
        for unit, status, sent in (
            ("SNV", "approved", LAST_SECOND),
            ("STP", "submitted", NEXT_SECOND),
            ("SYT", "returned", LAST_SECOND),
            ("SCT", "pending_confirmation", None),
        ):
            reg = Registration(
                unit_id=u[unit],
                movement_id=world.movement_id,
                status=status,
                version=2,
                submitted_at=sent,
            )
            session.add(reg)
            session.flush()
            regs[unit] = reg.id
        for unit, period, status, late in (
            ("SNV", "Q1", "submitted", True),
            ("STP", "Q1", "returned", False),
            ("SNV", "Q3", "pending_head", False),
            ("STP", "Q3", "submitted", False),
            ("SYT", "Q1", "submitted", False),  # a returned registration reports nothing
        ):
            session.add(
                ProgressReport(
                    registration_id=regs[unit],
                    period_id=periods[period],
                    status=status,
                    late=late,
                    submitted_at=None if status == "pending_head" else NEXT_SECOND,
                )
            )
        session.add(
            PaperSubmission(
                unit_id=u["STP"], subject=f"bc:{periods['Q2']}", person_id=None, at=NEXT_SECOND
            )
        )
        cluster = session.scalars(select(Cluster).where(Cluster.code == "K1")).one()
        pledge = Pledge(
            cluster_id=cluster.id, movement_id=world.movement_id, content="…", opened_at=NEXT_SECOND
        )
        pledge.signatures = [
            PledgeSignature(unit_id=u["SNV"], signed_by=world.people["head"], signed_at=NEXT_SECOND)
        ]
        session.add(pledge)
    return periods


def test_each_unit_stands_as_it_filed(any_world: World) -> None:
    world = any_world
    periods = _province(world)
    code = {v: k for k, v in world.units.items()}
    period = {f"bc:{v}": k for k, v in periods.items()}
    with world.sessions() as session:
        running = st.active_movements(session, date(2026, 6, 15))
        found = st.standings(session, running)
    got = {
        (s.subject.kind, period.get(s.subject.key, ""), code[s.unit_id]): (s.state, s.unopened)
        for s in found
    }
    assert len(got) == len(found)
    plain = {
        ("registration", "", "SNV"): st.SUBMITTED,
        ("registration", "", "STP"): st.LATE,
        ("registration", "", "SYT"): st.RETURNED,
        ("registration", "", "SCT"): st.PENDING,
        ("registration", "", "SGD"): st.MISSING,
        ("report", "Q1", "SNV"): st.LATE,
        ("report", "Q1", "STP"): st.RETURNED,
        ("report", "Q2", "SNV"): st.MISSING,
        ("report", "Q2", "STP"): st.PAPER,
        ("report", "Q3", "SNV"): st.PENDING,
        ("report", "Q3", "STP"): st.SUBMITTED,
        ("pledge", "", "SNV"): st.SUBMITTED,  # K1 opened, SNV signed
        ("pledge", "", "STP"): st.MISSING,  # … its lead has not
    }
    expected = {key: (state, False) for key, state in plain.items()}
    expected[("pledge", "", "SYT")] = (st.MISSING, True)  # K2's lead has not opened it
    assert got == expected  # the office's own unit (BTDKT) owes nothing


def test_the_sheets_hold_the_same_states_by_deadline(any_world: World) -> None:
    world = any_world
    _province(world)
    with world.sessions() as session:
        running = st.active_movements(session, at(date(2026, 6, 15), time(9)).date())
        flat = {(s.subject.key, s.unit_id): s.state for s in st.standings(session, running)}
        sheets = st.sheets(session, running)
    by_sheet = {(s.subject.key, u): state for s in sheets for u, state in s.states.items()}
    assert by_sheet == flat
    assert len({s.subject.key for s in sheets}) == len(sheets)
