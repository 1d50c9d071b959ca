"""Progress reports (báo cáo tiến độ): one per registration and period, versioned on every save.

Same discipline as registrations: the report row carries a version, a save names the version it
started from and is a conditional UPDATE, a lost race raises `Conflict` before anything is
written. There is no separate version table: each save's audit row holds the report before and
after, which is the history the office asks for. Attachments are rows pointing at content
hashes; the bytes live in the FileStore.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from bot.store import org
from bot.store.conversations import Conflict
from bot.store.models import (
    AuditLog,
    Person,
    ProgressReport,
    Registration,
    ReportAttachment,
    ReportValue,
    Target,
)

Draft = dict[str, Any]

# Drafted by an officer, waiting for the unit head. Not the registrations' "pending_confirmation":
# progress_reports.status is 16 characters wide.
PENDING_HEAD = "pending_head"
RETURNED = "returned"  # the head sent it back to the officer, with a reason (in the audit)
SUBMITTED = "submitted"
REPORTABLE = ("submitted", "approved")  # registration statuses a unit may report against


# Built once, run with parameters: building and keying a statement costs more than running it.
_REPORTABLE = (
    select(Registration)
    .where(Registration.unit_id == bindparam("unit_id"), Registration.status.in_(REPORTABLE))
    .order_by(Registration.id)
    # A report needs the targets (joined: one statement, not a second SELECT), not the titles.
    .options(lazyload(Registration.lines), joinedload(Registration.targets))
)
_REPORT_OF = select(ProgressReport).where(
    ProgressReport.registration_id == bindparam("registration_id"),
    ProgressReport.period_id == bindparam("period_id"),
)
_REPORTS_OF = select(ProgressReport).where(
    ProgressReport.registration_id.in_(bindparam("registration_ids", expanding=True))
)


def reportable_registrations(session: Session, unit_id: int) -> list[Registration]:
    return list(session.scalars(_REPORTABLE, {"unit_id": unit_id}).unique())


def report_of(session: Session, registration_id: int, period_id: int) -> ProgressReport | None:
    params = {"registration_id": registration_id, "period_id": period_id}
    return session.scalar(_REPORT_OF, params)


def reports_of(
    session: Session, registration_ids: list[int]
) -> dict[tuple[int, int], ProgressReport]:
    """The reports filed against these registrations, by (registration id, period id)."""
    if not registration_ids:
        return {}
    found = session.scalars(_REPORTS_OF, {"registration_ids": registration_ids})
    return {(r.registration_id, r.period_id): r for r in found}


def with_status(session: Session, status: str, unit_id: int) -> list[ProgressReport]:
    return list(
        session.scalars(
            select(ProgressReport)
            .join(Registration, Registration.id == ProgressReport.registration_id)
            .where(ProgressReport.status == status, Registration.unit_id == unit_id)
            .order_by(ProgressReport.id)
        )
    )


def to_draft(report: ProgressReport) -> Draft:
    """The stored report as the JSON draft the report flow edits."""
    return {
        "report_id": report.id,
        "base_version": report.version,
        "status": report.status,
        "values": {str(v.target_id): str(v.actual_value) for v in report.values},
        "narrative": report.narrative,
        "files": [
            {"sha": a.content_hash, "name": a.filename, "type": a.content_type, "size": a.size}
            for a in sorted(report.attachments, key=lambda a: a.id)
        ],
        "drafted_by": report.submitted_by,
    }


def snapshot(report: ProgressReport) -> Draft:
    return {
        "registration_id": report.registration_id,
        "period_id": report.period_id,
        "version": report.version,
        "status": report.status,
        "late": report.late,
        "narrative": report.narrative,
        "values": {str(v.target_id): str(v.actual_value) for v in report.values},
        "files": [a.content_hash for a in sorted(report.attachments, key=lambda a: a.id)],
    }


class _Unset:
    """The caller did not look the stored report up (see `write_report`'s `existing`)."""


UNSET = _Unset()


def write_report(
    session: Session,
    draft: Draft,
    *,
    status: str,
    late: bool,
    person_id: int | None,
    now: datetime,
    force: bool = False,
    existing: ProgressReport | _Unset | None = UNSET,
) -> SavedReport:
    """Store the draft as the report's next version, with an audit row holding before/after.

    Raises Conflict (having written nothing) when someone saved since `base_version`,
    unless `force` (the person saw the conflict and chose to save theirs on top).
    `existing` is `report_of(reg_id, period_id)` when the caller has just read it in this
    transaction (one query less); the version check below guards against a later save anyway.
    """
    reg_id = draft["reg_id"]
    target_ids = set(session.scalars(_TARGET_IDS, {"registration_id": reg_id}))
    if isinstance(existing, _Unset):
        existing = report_of(session, reg_id, draft["period_id"])

    def fill(report: ProgressReport) -> None:
        report.status = status
        report.narrative = draft.get("narrative", "")
        report.submitted_by = person_id
        if status == SUBMITTED:
            report.late = late
            report.submitted_at = now.astimezone(UTC)
        _replace_values(report, draft.get("values", {}), target_ids)
        report.attachments.clear()
        for item in draft.get("files", []):
            report.attachments.append(
                ReportAttachment(
                    content_hash=item["sha"],
                    filename=item["name"][:255],
                    content_type=item.get("type", "application/octet-stream")[:128],
                    size=int(item["size"]),
                )
            )

    report, created = _claim(session, draft, existing, fill, force=force)
    before = None
    if not created:
        # Nothing but the version has changed yet: this is the stored report as it was.
        before = {**snapshot(report), "version": report.version - 1}
        fill(report)
        session.flush()
        _reread_values(session, report)
    org.audit(
        session,
        person_id=person_id,
        action=f"report.{status}",
        entity="progress_report",
        entity_id=report.id,
        before=before,
        after=snapshot(report),
        now=now,
    )
    draft["report_id"], draft["base_version"], draft["status"] = (
        report.id,
        report.version,
        report.status,
    )
    return SavedReport(report.id, report.version, report.status, bool(report.late))


def return_to_officer(
    session: Session,
    report_id: int,
    expected_version: int,
    *,
    person_id: int | None,
    now: datetime,
    reason: str,
) -> ProgressReport | None:
    """The head sends a report waiting for them back to its officer, as a new version; None
    when it changed meanwhile (confirmed, edited, returned already): nothing is written."""
    bumped = session.execute(
        update(ProgressReport)
        .where(
            ProgressReport.id == report_id,
            ProgressReport.version == expected_version,
            ProgressReport.status == PENDING_HEAD,
        )
        .values(status=RETURNED, version=ProgressReport.version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(bumped, "rowcount", 0) != 1:
        return None
    report = session.get(ProgressReport, report_id, populate_existing=True)
    assert report is not None
    before = {**snapshot(report), "version": expected_version, "status": PENDING_HEAD}
    org.audit(
        session,
        person_id=person_id,
        action=f"report.{RETURNED}",
        entity="progress_report",
        entity_id=report.id,
        before=before,
        after={**snapshot(report), "reason": reason},
        now=now,
    )
    return report


@dataclass(frozen=True)
class SavedReport:
    """What a write stored: the report's id, its new version, status and lateness."""

    id: int
    version: int
    status: str
    late: bool


def _insert_new(session: Session, report: ProgressReport) -> None:
    """Insert a new report built by `fill`, with its values and attachments. The INSERT runs
    in a savepoint: two people filing the same period at once trip the unique key there, and
    only the savepoint rolls back."""
    with session.begin_nested():
        session.add(report)
        session.flush()
    _reread_values(session, report)


_TARGET_IDS = select(Target.id).where(Target.registration_id == bindparam("registration_id"))
_VALUES = select(ReportValue.id, ReportValue.actual_value).where(
    ReportValue.report_id == bindparam("report_id")
)


def _reread_values(session: Session, report: ProgressReport) -> None:
    """The values as the database now holds them (Numeric(20, 4): 85 comes back 85.0000).

    One query instead of refreshing the report and both its collections: every other column
    written comes back exactly as it was set.
    """
    rows = session.execute(_VALUES, {"report_id": report.id})
    stored = {row_id: value for row_id, value in rows}
    for row in report.values:
        set_committed_value(row, "actual_value", stored[row.id])


def _claim(
    session: Session,
    draft: Draft,
    existing: ProgressReport | None,
    fill: Callable[[ProgressReport], None],
    *,
    force: bool,
) -> tuple[ProgressReport, bool]:
    """The row to write with its version already bumped, and whether it is a new row.

    A new row is inserted already `fill`ed, values and attachments with it (see `_insert_new`).
    Only a row someone else inserted first makes that a Conflict; any other error is raised
    as is.
    """
    reg_id, period_id = draft["reg_id"], draft["period_id"]
    if draft.get("report_id") is None and existing is None:
        report = ProgressReport(registration_id=reg_id, period_id=period_id, version=1, late=False)
        report.values, report.attachments = [], []
        fill(report)
        try:
            _insert_new(session, report)
        except IntegrityError:
            raced = report_of(session, reg_id, period_id)
            if raced is None:
                raise
            raise conflict_for(session, raced) from None
        return report, True
    if existing is None:  # the draft's report vanished: nothing to race with, start again
        draft["report_id"] = None
        return _claim(session, draft, report_of(session, reg_id, period_id), fill, force=force)
    session.refresh(existing)
    if draft.get("report_id") is None and not force:
        raise conflict_for(session, existing)
    expected = existing.version if force else int(draft.get("base_version", 0))
    result = session.execute(
        update(ProgressReport)
        .where(ProgressReport.id == existing.id, ProgressReport.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(existing)
    if getattr(result, "rowcount", 0) != 1:
        raise conflict_for(session, existing)
    return existing, False


def _replace_values(report: ProgressReport, values: dict[str, str], target_ids: set[int]) -> None:
    """Update in place by target (a delete and re-insert would trip the unique constraint).

    Values for targets the registration no longer has (edited since the draft began) are dropped.
    """
    wanted = {int(k): Decimal(v) for k, v in values.items() if int(k) in target_ids}
    kept = []
    for row in report.values:
        if row.target_id in wanted:
            row.actual_value = wanted.pop(row.target_id)
            kept.append(row)
    report.values[:] = kept
    for target_id, value in wanted.items():
        report.values.append(ReportValue(target_id=target_id, actual_value=value))


def conflict_for(session: Session, report: ProgressReport) -> Conflict:
    """Who saved the report last and when, from its newest audit row."""
    row = session.scalar(
        select(AuditLog)
        .where(AuditLog.entity == "progress_report", AuditLog.entity_id == report.id)
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    by, at = "", None
    if row is not None:
        at = org.aware(row.at)
        person = session.get(Person, row.person_id) if row.person_id else None
        by = person.full_name if person else ""
    return Conflict(report.version, by, at)


def completion_by_unit(session: Session, movement_id: int) -> dict[int, float]:
    """Each reporting unit's mean share of its targets reached (latest report per target), in %.

    A unit that has reported nothing is absent (the chart says "not reported", not 0 %); a
    target left out of its reports counts 0. A target counts at most 150 % so one runaway
    figure does not hide the rest.
    """
    rows = session.execute(
        select(Registration.unit_id, Target.id, Target.target_value, ReportValue.actual_value)
        .join(Target, Target.registration_id == Registration.id)
        .join(ReportValue, ReportValue.target_id == Target.id, isouter=True)
        .join(ProgressReport, ProgressReport.id == ReportValue.report_id, isouter=True)
        .where(Registration.movement_id == movement_id)
        .order_by(ProgressReport.submitted_at)
    )
    latest: dict[tuple[int, int], tuple[Decimal, Decimal | None]] = {}
    for unit_id, target_id, target_value, reported in rows:
        actual: Decimal | None = reported
        if actual is not None or (unit_id, target_id) not in latest:
            latest[(unit_id, target_id)] = (target_value, actual)
    reporting = {unit_id for (unit_id, _t), (_g, actual) in latest.items() if actual is not None}
    shares: dict[int, list[float]] = defaultdict(list)
    for (unit_id, _target), (goal, actual) in latest.items():
        if unit_id in reporting and goal and goal > 0:
            share = float((actual or Decimal(0)) / goal) * 100
            shares[unit_id].append(min(share, 150.0))
    return {unit: sum(values) / len(values) for unit, values in shares.items() if values}
