"""What each unit has filed against one deadline: a movement's registration, one report period.

Plain rows for the questions the office and cluster leads ask of the records ("đơn vị nào chưa
nộp báo cáo quý 1"): one statement per deadline, whatever the number of units, and no lines,
targets or values loaded. The paper declarations ("Đã nộp bằng văn bản") are keyed by the
reminders' subject keys, so an answer counts them as the weekly summary does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import ProgressReport, Registration
from bot.store.reminders import PaperSubmission


@dataclass(frozen=True)
class Filed:
    """One unit's row against a deadline (its registration, or its report for a period)."""

    unit_id: int
    status: str
    submitted_at: datetime | None
    late: bool = False


def registration_key(movement_id: int) -> str:
    """The reminders' subject key of a movement's registration (bot.reminders.standing)."""
    return f"dk:{movement_id}"


def report_key(period_id: int) -> str:
    """The reminders' subject key of a report period (bot.reminders.standing)."""
    return f"bc:{period_id}"


def pledge_key(movement_id: int, cluster_id: int) -> str:
    """The reminders' subject key of a cluster's pledge (bot.reminders.standing)."""
    return f"gu:{movement_id}:{cluster_id}"


def registrations(session: Session, movement_id: int) -> dict[int, Filed]:
    """Each unit's registration for the movement, by unit (a unit has at most one)."""
    rows = session.execute(
        select(Registration.unit_id, Registration.status, Registration.submitted_at).where(
            Registration.movement_id == movement_id
        )
    )
    return {unit: Filed(unit, status, at) for unit, status, at in rows}


def reports(session: Session, period_id: int) -> dict[int, Filed]:
    """Each unit's report for the period, by unit."""
    rows = session.execute(
        select(
            Registration.unit_id,
            ProgressReport.status,
            ProgressReport.submitted_at,
            ProgressReport.late,
        )
        .join(Registration, Registration.id == ProgressReport.registration_id)
        .where(ProgressReport.period_id == period_id)
    )
    return {unit: Filed(unit, status, at, bool(late)) for unit, status, at, late in rows}


def on_paper(session: Session, subject: str) -> set[int]:
    """The units that declared this subject filed on paper."""
    rows = session.scalars(
        select(PaperSubmission.unit_id).where(PaperSubmission.subject == subject)
    )
    return set(rows)
