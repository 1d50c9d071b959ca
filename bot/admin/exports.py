"""`thidua export registrations|reports`: a movement's records as an Excel workbook for the office.

Two layouts: `flat` (one sheet, one row per target, easy to filter and pivot) and `per-unit`
(a summary sheet, then one sheet per unit, easy to print and send back to the unit). Every unit
that owes a record has a row, «Chưa nộp» when it has none, so the office sees who is missing;
every table's header row is frozen and carries the filter buttons.

`units` narrows either export to those units (the dashboard gives a cluster lead their
cluster's, a unit head their own); None is the whole province, as the command line writes it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.i18n import vi
from bot.store import participants, progress_reports
from bot.store.models import (
    Movement,
    ProgressReport,
    Registration,
    Target,
    TitleCatalog,
    Unit,
)
from bot.store.org import aware

LAYOUTS = ("flat", "per-unit")
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
Cell = str | int | float | Decimal | date | datetime | None


class ExportError(Exception):
    """The export cannot be made; the message says why, in Vietnamese."""


def export_registrations(
    session: Session,
    movement_ref: str,
    out: Path,
    *,
    layout: str,
    tz: tzinfo,
    units: Collection[int] | None = None,
) -> int:
    """Write the movement's registrations (and a «Chưa nộp» row for each unit without one);
    returns how many registrations were written."""
    movement = find_movement(session, movement_ref)
    titles = {
        code: name for code, name in session.execute(select(TitleCatalog.code, TitleCatalog.name))
    }
    pairs = list(
        session.execute(
            select(Registration, Unit)
            .join(Unit, Unit.id == Registration.unit_id)
            .where(Registration.movement_id == movement.id, *_within(units))
            .order_by(Unit.code)
        )
    )
    registered = {unit.id for _, unit in pairs}
    entries: list[tuple[Unit, Registration | None]] = [(unit, reg) for reg, unit in pairs]
    entries += [
        (u, None)
        for u in participants.taking_part(session)
        if u.id not in registered and (units is None or u.id in units)
    ]
    entries.sort(key=lambda entry: entry[0].code)
    workbook = Workbook()
    if layout == "flat":
        sheet = _first_sheet(workbook, vi.EXPORT_REGISTRATIONS_SHEET)
        _header(sheet, vi.EXPORT_REGISTRATION_HEADERS)
        for unit, registration in entries:
            if registration is None:
                sheet.append([unit.code, unit.name, vi.EXPORT_NOT_SUBMITTED])
                continue
            head: list[Cell] = [
                unit.code,
                unit.name,
                _status(registration.status),
                registration.version,
                titles.get(registration.collective_title, registration.collective_title),
                _individual_titles(registration, titles),
            ]
            tail: list[Cell] = [_moment(registration.submitted_at, tz)]
            for target in _targets_or_none(registration):
                sheet.append(head + _target_cells(target) + tail)
    else:
        summary = _first_sheet(workbook, vi.EXPORT_SUMMARY_SHEET)
        _header(summary, vi.EXPORT_REGISTRATION_SUMMARY_HEADERS)
        names: set[str] = set()
        for unit, registration in entries:
            if registration is None:
                summary.append([unit.code, unit.name, vi.EXPORT_NOT_SUBMITTED])
                continue
            collective = titles.get(registration.collective_title, registration.collective_title)
            submitted = _moment(registration.submitted_at, tz)
            status = _status(registration.status)
            summary.append([unit.code, unit.name, status, collective, submitted])
            sheet = workbook.create_sheet(_sheet_name(unit.code, names))
            for label, value in (
                (vi.EXPORT_LABEL_UNIT, f"{unit.name} ({unit.code})"),
                (vi.EXPORT_LABEL_MOVEMENT, movement.title),
                (vi.EXPORT_LABEL_STATUS, status),
                (vi.EXPORT_LABEL_COLLECTIVE, collective),
                (vi.EXPORT_LABEL_SUBMITTED, submitted),
            ):
                sheet.append([label, value])
                sheet.cell(sheet.max_row, 1).font = Font(bold=True)
            sheet.append([])
            _header(sheet, vi.EXPORT_INDIVIDUAL_HEADERS, table=False)
            for line in registration.lines:
                title = titles.get(line.title_code, line.title_code)
                sheet.append([title, line.names, line.count or None])
            sheet.append([])
            _header(sheet, vi.EXPORT_TARGET_HEADERS)
            for target in registration.targets:
                sheet.append(_target_cells(target))
    _finish(workbook, out)
    return len(pairs)


def export_reports(
    session: Session,
    movement_ref: str,
    out: Path,
    *,
    layout: str,
    tz: tzinfo,
    units: Collection[int] | None = None,
) -> int:
    """Write the movement's progress reports, and a «Chưa nộp» row for each period a unit with
    a registration has not reported; returns how many reports were written."""
    movement = find_movement(session, movement_ref)
    owing = list(
        session.execute(
            select(Registration, Unit)
            .join(Unit, Unit.id == Registration.unit_id)
            .where(
                Registration.movement_id == movement.id,
                Registration.status.in_(progress_reports.REPORTABLE),
                *_within(units),
            )
        )
    )
    filed = {
        (report.registration_id, report.period_id): report
        for report in session.scalars(
            select(ProgressReport)
            .join(Registration, Registration.id == ProgressReport.registration_id)
            .where(Registration.movement_id == movement.id, *_within(units))
        )
    }
    periods = sorted(movement.periods, key=lambda period: (period.deadline, period.code))
    workbook = Workbook()
    flat = layout == "flat"
    headers = vi.EXPORT_REPORT_HEADERS if flat else vi.EXPORT_REPORT_HEADERS[2:]
    if flat:
        sheet = _first_sheet(workbook, vi.EXPORT_REPORTS_SHEET)
        _header(sheet, headers)
    else:
        summary = _first_sheet(workbook, vi.EXPORT_SUMMARY_SHEET)
        _header(summary, vi.EXPORT_REPORT_SUMMARY_HEADERS)
    names: set[str] = set()
    written = 0
    for registration, unit in sorted(owing, key=lambda pair: pair[1].code):
        if not flat:
            sheet = workbook.create_sheet(_sheet_name(unit.code, names))
            _header(sheet, headers)
        prefix: list[Cell] = [unit.code, unit.name] if flat else []
        for period in periods:
            report = filed.get((registration.id, period.id))
            common: list[Cell] = [period.name, period.deadline, *_report_state(report, tz)]
            if not flat:
                summary.append([unit.code, unit.name, *common])
            if report is None:
                sheet.append(prefix + common)
                continue
            written += 1
            actual = {value.target_id: value.actual_value for value in report.values}
            extra: list[Cell] = [report.narrative, len(report.attachments)]
            for target in _targets_or_none(registration):
                sheet.append(prefix + common + _progress_cells(target, actual) + extra)
    _finish(workbook, out)
    return written


KINDS: dict[str, Callable[..., int]] = {
    "registrations": export_registrations,
    "reports": export_reports,
}


def _within(units: Collection[int] | None) -> list[ColumnElement[bool]]:
    """The condition keeping only `units` (none at all for the whole province)."""
    return [] if units is None else [Registration.unit_id.in_(sorted(units))]


def _report_state(report: ProgressReport | None, tz: tzinfo) -> list[Cell]:
    """Status, late, submitted: «Chưa nộp» and nothing else for a period not reported."""
    if report is None:
        return [vi.EXPORT_NOT_SUBMITTED, None, None]
    return [
        _status(report.status),
        vi.EXPORT_YES if report.late else vi.EXPORT_NO,
        _moment(report.submitted_at, tz),
    ]


def find_movement(session: Session, ref: str) -> Movement:
    """The movement named by its code (as the office writes it) or by its number."""
    text = ref.strip()
    movement = session.scalars(select(Movement).where(Movement.code == text)).one_or_none()
    if movement is None and text.isdigit():
        movement = session.get(Movement, int(text))
    if movement is None:
        raise ExportError(vi.EXPORT_NO_MOVEMENT.format(movement=text))
    return movement


def _first_sheet(workbook: Workbook, title: str) -> Worksheet:
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = title
    return sheet


def _header(sheet: Worksheet, labels: Sequence[str], *, table: bool = True) -> None:
    """A bold header row; the sheet's table (`table`) has it frozen and filtering its rows."""
    sheet.append(list(labels))
    row = sheet.max_row
    for column in range(1, len(labels) + 1):
        sheet.cell(row, column).font = Font(bold=True)
    if table:
        sheet.freeze_panes = f"A{row + 1}"
        sheet.auto_filter.ref = f"A{row}:{get_column_letter(len(labels))}{row}"


def _targets_or_none(registration: Registration) -> list[Target | None]:
    """One row per target, or one row with empty target cells when there is none."""
    return list(registration.targets) or [None]


def _target_cells(target: Target | None) -> list[Cell]:
    if target is None:
        return [None] * 7
    return [
        target.position,
        target.description,
        target.measure,
        target.unit_of_measure,
        target.baseline,
        target.target_value,
        target.due_date,
    ]


def _progress_cells(target: Target | None, actual: dict[int, Decimal]) -> list[Cell]:
    if target is None:
        return [None] * 6
    value = actual.get(target.id)
    ratio = None
    if value is not None and target.target_value:
        ratio = round(float(value / target.target_value * 100), 1)
    return [
        target.position,
        target.description,
        target.unit_of_measure,
        target.target_value,
        value,
        ratio,
    ]


def _individual_titles(registration: Registration, titles: dict[str, str]) -> str:
    parts = []
    for line in registration.lines:
        title = titles.get(line.title_code, line.title_code)
        detail = line.names or (str(line.count) if line.count else "")
        parts.append(f"{title}: {detail}" if detail else title)
    return "; ".join(parts)


def _status(status: str) -> str:
    return vi.STATUS_LABELS.get(status, status)


def _moment(value: datetime | None, tz: tzinfo) -> datetime | None:
    """Excel has no time zones: show the province's wall-clock time."""
    return None if value is None else aware(value).astimezone(tz).replace(tzinfo=None)


def _sheet_name(code: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "-", code)[:28] or "-"
    name, number = base, 1
    while name.lower() in taken:
        number += 1
        name = f"{base}~{number}"
    taken.add(name.lower())
    return name


def _finish(workbook: Workbook, out: Path) -> None:
    """The filters' extent, date formats and column widths, then save (creating the folder)."""
    for sheet in workbook.worksheets:
        if sheet.auto_filter.ref:  # the filter reaches the table's last row
            start, end = str(sheet.auto_filter.ref).split(":")
            sheet.auto_filter.ref = f"{start}:{end.rstrip('0123456789')}{sheet.max_row}"
        widths: dict[str, int] = {}
        for row in sheet.iter_rows():
            for cell in row:
                _format(cell)
                length = min(60, len(str(cell.value)) if cell.value is not None else 0)
                letter = str(cell.column_letter)
                widths[letter] = max(widths.get(letter, 8), length + 2)
        for letter, width in widths.items():
            sheet.column_dimensions[letter].width = width
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)


def _format(cell: Any) -> None:
    if isinstance(cell.value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(cell.value, date):
        cell.number_format = DATE_FORMAT
