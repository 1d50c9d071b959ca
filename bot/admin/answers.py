"""`thidua answers export|import`: the office's curated answers as an Excel sheet, both ways.

A row with a code (A3) updates that answer (its text, provisions and wordings; a withdrawn one
is back in use once its provisions check out); a row without one adds an answer. Provisions
are checked against the index like `answers add`; any wrong row writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from bot.admin.tables import Column, ImportFailed, ImportSummary, Row, RowError
from bot.admin.values import parse_date
from bot.core.answering import add_answer, update_answer
from bot.core.cited import CiteError, Provision
from bot.core.curated import CuratedLibrary
from bot.i18n import vi
from bot.store import curated as store
from bot.store.qa_models import CuratedAnswer
from knowledge.documents import Citation, DocumentMeta

COLUMNS = (
    Column("id", vi.COL_ANSWER_ID, note=vi.NOTE_ANSWER_ID),
    Column("question", vi.COL_ANSWER_QUESTION, required=True),
    Column("answer", vi.COL_ANSWER_TEXT, required=True),
    Column("cites", vi.COL_ANSWER_CITES, required=True, note=vi.NOTE_ANSWER_CITES),
    Column("also", vi.COL_ANSWER_ALSO, note=vi.NOTE_ANSWER_ALSO),
    Column("date", vi.COL_ANSWER_DATE, note=vi.NOTE_ANSWER_DATE),
    Column("status", vi.COL_ANSWER_STATUS),
    Column("note", vi.COL_ANSWER_NOTE),
)
_ID = re.compile(r"[Aa]?\s*(\d+)")


def answer_id(text: str) -> int | None:
    """'A3', 'a 3' or '3' -> 3."""
    match = _ID.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def _split(text: str) -> list[str]:
    """Cells hold several items separated by ';' (a cell's line breaks are read as spaces)."""
    return [part.strip() for part in text.split(";") if part.strip()]


def cite_spec(item: dict[str, str]) -> str:
    """A stored citation as `--cite` takes it: 'khoản 1 Điều 75 06/2022/QH15'."""
    doc = DocumentMeta(doc_id="", title="")
    where = Citation(doc, item.get("article", ""), item.get("clause", ""), item.get("point", ""))
    return f"{where.location()} {item.get('doc_number', '')}".strip()


def status_label(row: CuratedAnswer) -> str:
    return vi.ANSWER_STATUS_ACTIVE if row.status == store.ACTIVE else vi.ANSWER_STATUS_WITHDRAWN


def export_answers(session: Session, out: Path) -> int:
    """Every curated answer, one row each; returns how many."""
    rows = store.listing(session)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = vi.ANSWERS_SHEET
    sheet.append([c.label for c in COLUMNS])
    for column in range(1, len(COLUMNS) + 1):
        sheet.cell(1, column).font = Font(bold=True)
    for row in rows:
        also = [q.text for q in row.questions if q.text != row.question]
        sheet.append(
            [
                f"A{row.id}",
                row.question,
                row.answer,
                "; ".join(cite_spec(c) for c in row.citations),
                "; ".join(also),
                row.answered_on,
                status_label(row),
                row.review_note,
            ]
        )
    for letter, width in zip("ABCDEFGH", (8, 50, 80, 45, 50, 14, 14, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        cells[5].number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return len(rows)


@dataclass(frozen=True)
class _Parsed:
    line: int
    id: int | None
    question: str
    answer: str
    provisions: list[Provision]
    also: list[str]
    answered_on: date | None


def import_answers(
    session: Session,
    rows: Sequence[Row],
    *,
    library: CuratedLibrary,
    push_to: Collection[str] = (),
    on_added: Callable[[CuratedAnswer, int], None] = lambda _row, _pushed: None,
) -> ImportSummary:
    """Check every row, then write them all; ImportFailed (writing nothing) on any error."""
    errors: list[RowError] = []
    parsed: list[_Parsed] = []
    for row in rows:
        reasons: list[str] = []
        raw_id = row.get("id")
        found_id = answer_id(raw_id) if raw_id else None
        if raw_id and (found_id is None or store.get(session, found_id) is None):
            reasons.append(vi.ROW_BAD_ANSWER_ID.format(value=raw_id))
        for key, label in (("question", vi.COL_ANSWER_QUESTION), ("answer", vi.COL_ANSWER_TEXT)):
            if not row.get(key):
                reasons.append(vi.ROW_MISSING.format(column=label))
        provisions = []
        specs = _split(row.get("cites"))
        if not specs:
            reasons.append(vi.ROW_MISSING.format(column=vi.COL_ANSWER_CITES))
        for spec in specs:
            try:
                provisions.append(library.provision(spec))
            except CiteError as error:
                reasons.append(vi.ROW_BAD_CITE.format(spec=spec, reason=error))
        answered_on = None
        if row.get("date"):
            try:
                answered_on = parse_date(row.get("date"))
            except ValueError as error:
                reasons.append(str(error))
        errors.extend(RowError(row.line, reason) for reason in reasons)
        parsed.append(
            _Parsed(
                row.line,
                found_id,
                row.get("question"),
                row.get("answer"),
                provisions,
                _split(row.get("also")),
                answered_on,
            )
        )
    if errors:
        raise ImportFailed(errors)
    created = updated = 0
    for item in parsed:
        if item.id is None:
            added = add_answer(
                session,
                library,
                question=item.question,
                text=item.answer,
                provisions=item.provisions,
                also=item.also,
                answered_on=item.answered_on,
                push_to=push_to,
            )
            on_added(added.row, added.pushed)
            created += 1
            continue
        _update(session, library, item, push_to)
        updated += 1
    return ImportSummary(created=created, updated=updated)


def _update(
    session: Session, library: CuratedLibrary, item: _Parsed, push_to: Collection[str]
) -> None:
    row = store.get(session, item.id or 0)
    assert row is not None
    update_answer(
        session,
        library,
        row,
        question=item.question,
        text=item.answer,
        provisions=item.provisions,
        also=item.also,
        answered_on=item.answered_on,
        push_to=push_to,
    )
