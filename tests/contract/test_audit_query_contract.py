"""Reading the audit log back (bot.store.audit) on SQLite and PostgreSQL alike: the unit cut
(its people's acts, what was done to the unit, its people, registrations and reports), the
person cut, the span of time, newest first, paging and each row's unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.store import audit
from bot.store.models import Movement, Person, ProgressReport, Registration, ReportPeriod, Unit
from bot.store.org import audit as write

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_the_audit_log_cut_by_unit_person_and_time(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        snv, syt = Unit(code="SNV", name="Sở Nội vụ"), Unit(code="SYT", name="Sở Y tế")
        session.add_all([snv, syt])
        session.flush()
        hung = Person(full_name="Nguyễn Văn Hùng", unit_id=snv.id)
        hoa = Person(full_name="Võ Thị Hoa", unit_id=syt.id)
        session.add_all([hung, hoa])
        movement = Movement(
            code="PT",
            title="PT",
            year=2026,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            registration_deadline=date(2026, 3, 31),
            pledge_deadline=date(2026, 3, 31),
        )
        movement.periods = [
            ReportPeriod(
                code="Q1",
                name="Quý 1",
                kind="tiến độ",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 3, 31),
                deadline=date(2026, 4, 10),
            )
        ]
        session.add(movement)
        session.flush()
        reg = Registration(unit_id=snv.id, movement_id=movement.id, status="submitted", version=1)
        session.add(reg)
        session.flush()
        report = ProgressReport(
            registration_id=reg.id, period_id=movement.periods[0].id, status="submitted"
        )
        session.add(report)
        session.flush()
        ids = {"snv": snv.id, "syt": syt.id, "hung": hung.id, "hoa": hoa.id}
        rows = [  # (hours after START, actor, action, entity, entity id)
            (0, hung.id, "registration.submitted", "registration", reg.id),
            (1, None, "report.submitted", "progress_report", report.id),
            (2, hoa.id, "identity.link", "channel_identity", 7),
            (3, None, "invite.create", "person", hung.id),
            (4, None, "import", "unit", None),
            (5, None, "movement.update", "unit", syt.id),
        ]
        for hours, actor, action, entity, entity_id in rows:
            write(
                session,
                person_id=actor,
                action=action,
                entity=entity,
                entity_id=entity_id,
                before=None,
                after={"n": hours},
                now=START + timedelta(hours=hours),
            )

    def actions(query: audit.AuditQuery, offset: int = 0, limit: int = 50) -> list[str]:
        with sessions() as session:
            return [r.action for r in audit.page(session, query, offset=offset, limit=limit)]

    everything = audit.AuditQuery()
    assert actions(everything) == [r[2] for r in reversed(rows)]
    snv_only = audit.AuditQuery(unit_ids=frozenset({ids["snv"]}))
    assert actions(snv_only) == ["invite.create", "report.submitted", "registration.submitted"]
    syt_only = audit.AuditQuery(unit_ids=frozenset({ids["syt"]}))
    assert actions(syt_only) == ["movement.update", "identity.link"]
    assert actions(audit.AuditQuery(person_ids=frozenset({ids["hoa"]}))) == ["identity.link"]
    assert actions(audit.AuditQuery(unit_ids=frozenset())) == []
    span = audit.AuditQuery(since=START + timedelta(hours=1), until=START + timedelta(hours=3))
    assert actions(span) == ["identity.link", "report.submitted"]
    assert actions(everything, offset=4, limit=4) == ["report.submitted", "registration.submitted"]
    with sessions() as session:
        assert audit.count(session, snv_only) == 3
        found = audit.page(session, everything, offset=0, limit=50)
        units = audit.units_of(session, found)
    by_action = {row.action: units.get(row.id) for row in found}
    assert by_action == {
        "registration.submitted": ids["snv"],
        "report.submitted": ids["snv"],
        "identity.link": ids["syt"],  # the actor's unit
        "invite.create": ids["snv"],  # the person's unit
        "import": None,
        "movement.update": ids["syt"],
    }
