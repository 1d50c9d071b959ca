"""Import files (xlsx or csv) read into plain rows keyed by column, and templates written out.

Headers are matched without regard to case, accents or a note in parentheses, so «Mã đơn vị»,
«ma don vi» and «Mã đơn vị (bắt buộc)» are the same column. Row numbers are the spreadsheet's:
the header row is whatever line it sits on, usually 1, so the first data row is usually 2.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.admin.values import clean, fold
from bot.i18n import vi

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_NOTE = re.compile(r"\(.*?\)|\*")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    note: str = ""
    aliases: tuple[str, ...] = ()

    def matches(self, header: str) -> bool:
        wanted = {fold(self.label), *(fold(alias) for alias in self.aliases)}
        return fold(_NOTE.sub("", header)) in wanted


@dataclass(frozen=True)
class Row:
    line: int
    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


class TableError(Exception):
    """The file as a whole cannot be used; the message says why, in Vietnamese."""


def read_table(path: Path, columns: Sequence[Column]) -> list[Row]:
    """The non-empty data rows of the first sheet (or the csv), with their line numbers."""
    if not path.is_file():
        raise TableError(vi.TABLE_NO_FILE)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        lines = _excel_lines(path)
    elif suffix == ".csv":
        lines = _csv_lines(path)
    else:
        raise TableError(vi.TABLE_BAD_FORMAT.format(suffix=suffix or "?"))
    header: dict[int, str] | None = None
    rows: list[Row] = []
    for line, cells in lines:
        if not any(cells):
            continue
        if header is None:
            header = _match_header(cells, columns)
            continue
        values = {key: cells[i] if i < len(cells) else "" for i, key in header.items()}
        rows.append(Row(line, values))
    if header is None or not rows:
        raise TableError(vi.TABLE_EMPTY)
    return rows


def _match_header(cells: Sequence[str], columns: Sequence[Column]) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        for column in columns:
            if cell and column.matches(cell):
                if column.key in found.values():
                    raise TableError(vi.TABLE_DUPLICATE_COLUMN.format(column=column.label))
                found[index] = column.key
    missing = [c.label for c in columns if c.required and c.key not in found.values()]
    if missing:
        raise TableError(
            vi.TABLE_MISSING_COLUMNS.format(
                columns=", ".join(f"«{m}»" for m in missing),
                expected=", ".join(f"«{c.label}»" for c in columns),
            )
        )
    return found


def _excel_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zip, XML and key errors for a broken file
        raise TableError(vi.TABLE_UNREADABLE.format(error=error)) from None
    try:
        sheet = workbook.worksheets[0]
        rows = [
            (number, [_cell_text(value) for value in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    yield from rows


def _csv_lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableError(vi.TABLE_NOT_UTF8) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, [clean(cell) for cell in cells]
        start = reader.line_num + 1


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees: 912345678.0 -> '912345678', a date -> '2026-03-31'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return vi.EXPORT_YES if value else vi.EXPORT_NO  # the words our exports write
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return clean(str(value))


def write_template(path: Path, columns: Sequence[Column], title: str) -> None:
    """An empty sheet with the headers (and, in xlsx, a second sheet explaining each column)."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerow([c.label for c in columns])
        return
    if suffix not in EXCEL_SUFFIXES:
        raise TableError(vi.TABLE_BAD_FORMAT.format(suffix=suffix or "?"))
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([c.label for c in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            14, len(column.label) + 4
        )
    last = sheet.cell(row=1, column=len(columns)).column_letter
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last}1"  # Excel widens it to the rows typed below
    guide = workbook.create_sheet(vi.TEMPLATE_GUIDE_SHEET)
    guide.append([vi.TEMPLATE_GUIDE_COLUMN, vi.TEMPLATE_GUIDE_REQUIRED, vi.TEMPLATE_GUIDE_NOTE])
    for column in columns:
        required = vi.TEMPLATE_REQUIRED_YES if column.required else vi.TEMPLATE_REQUIRED_NO
        guide.append([column.label, required, column.note])
    guide.freeze_panes = "A2"
    guide.auto_filter.ref = f"A1:C{guide.max_row}"
    guide.column_dimensions["A"].width = 30
    guide.column_dimensions["C"].width = 100
    workbook.save(path)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class ImportFailed(Exception):
    """Some rows are wrong; nothing of the file is written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad rows")
        self.errors = list(errors)


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
