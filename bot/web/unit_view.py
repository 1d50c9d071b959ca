"""What a unit's page shows beyond its registrations: the law-based warnings, each report's
values against its targets and its attachments, the unit's pledges and the reminders it was
sent — read in a handful of queries, whatever the unit's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.flows import registration_checks
from bot.i18n import web_vi
from bot.store import registrations
from bot.store import reminders as reminder_rows
from bot.store.models import (
    Cluster,
    ClusterMember,
    Movement,
    Person,
    Pledge,
    ProgressReport,
    Registration,
    ReportAttachment,
    ReportPeriod,
)

REMINDERS_SHOWN = 30  # the latest; the audit of older ones is the office's export


@dataclass(frozen=True)
class ValueRow:
    target: str
    planned: str
    actual: str
    share: str  # "85 %", "" without a target value


@dataclass(frozen=True)
class PledgeRow:
    cluster: str
    movement: str
    signed_at: datetime | None
    members: int
    signed: int


@dataclass(frozen=True)
class ReminderRow:
    at: datetime
    subject: str
    person: str
    status: str
    channel: str


def warnings(reg: Registration, movement: Movement | None) -> list[str]:
    """The Law's warnings the registration form showed the unit (registration_checks)."""
    draft = registrations.to_draft(reg)
    return registration_checks.warnings(draft, movement.end_date if movement else None)


def values(reg: Registration, report: ProgressReport) -> list[ValueRow]:
    """Each target of the registration beside what the report says of it."""
    actual = {v.target_id: v.actual_value for v in report.values}
    rows = []
    for target in sorted(reg.targets, key=lambda t: t.position):
        got = actual.get(target.id)
        share = ""
        if got is not None and target.target_value:
            share = f"{got / target.target_value * 100:.0f} %"
        unit = f" {target.unit_of_measure}" if target.unit_of_measure else ""
        rows.append(
            ValueRow(
                target.description,
                f"{_number(target.target_value)}{unit}",
                f"{_number(got)}{unit}" if got is not None else "—",
                share,
            )
        )
    return rows


def attachment_of(session: Session, unit_id: int, attachment_id: int) -> ReportAttachment | None:
    """The attachment, only when it belongs to one of the unit's reports."""
    return session.scalar(
        select(ReportAttachment)
        .join(ProgressReport, ProgressReport.id == ReportAttachment.report_id)
        .join(Registration, Registration.id == ProgressReport.registration_id)
        .where(ReportAttachment.id == attachment_id, Registration.unit_id == unit_id)
    )


def pledges(session: Session, unit_id: int) -> list[PledgeRow]:
    """The pledges of the unit's clusters, and when (whether) the unit signed."""
    clusters = select(ClusterMember.cluster_id).where(ClusterMember.unit_id == unit_id)
    found = session.execute(
        select(Pledge, Cluster.name, Movement.title)
        .join(Cluster, Cluster.id == Pledge.cluster_id)
        .join(Movement, Movement.id == Pledge.movement_id)
        .where(Pledge.cluster_id.in_(clusters))
        .order_by(Pledge.opened_at.desc())
    )
    rows = []
    for pledge, cluster, movement in found:
        members = session.scalars(
            select(ClusterMember.unit_id).where(ClusterMember.cluster_id == pledge.cluster_id)
        ).all()
        mine = next((s for s in pledge.signatures if s.unit_id == unit_id), None)
        rows.append(
            PledgeRow(
                cluster,
                movement,
                mine.signed_at if mine else None,
                len(members),
                len(pledge.signatures),
            )
        )
    return rows


def reminders(session: Session, unit_id: int) -> list[ReminderRow]:
    """The latest reminders and hand-off notices about the unit: to whom, and what became
    of each (queued, nobody reachable, its window missed)."""
    log = reminder_rows.ReminderLog
    found = session.execute(
        select(log, Person.full_name)
        .join(Person, Person.id == log.person_id)
        .where(log.unit_id == unit_id)
        .order_by(log.created_at.desc(), log.id.desc())
        .limit(REMINDERS_SHOWN)
    ).all()
    names = _subject_names(session, {row.subject for row, _name in found})
    return [
        ReminderRow(
            row.created_at,
            names.get(row.subject)
            or (web_vi.REMINDER_HANDOFF if row.rule == reminder_rows.HANDOFF else row.subject),
            name,
            web_vi.REMINDER_STATES.get(row.status, row.status),
            row.channel,
        )
        for row, name in found
    ]


def _subject_names(session: Session, keys: set[str]) -> dict[str, str]:
    """ "dk:3", "bc:7", "gu:3:2" (bot.reminders.standing's keys) as a cadre reads them."""
    names: dict[str, str] = {}
    for key in keys:
        kind, _, rest = key.partition(":")
        ident = rest.split(":", 1)[0]
        if not ident.isdigit():
            continue
        if kind == "dk" and (movement := session.get(Movement, int(ident))):
            names[key] = web_vi.REMINDER_REGISTRATION.format(movement=movement.title)
        elif kind == "bc" and (period := session.get(ReportPeriod, int(ident))):
            names[key] = web_vi.REMINDER_REPORT.format(period=period.name)
        elif kind == "gu" and (movement := session.get(Movement, int(ident))):
            names[key] = web_vi.REMINDER_PLEDGE.format(movement=movement.title)
    return names


def _number(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "·").replace(".", ",").replace("·", ".")
