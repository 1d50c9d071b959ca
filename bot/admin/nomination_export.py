"""`thidua export nominations`: a movement's nominations as the council meeting's list.

One sheet lists every nomination grouped by title or form (in the catalogue's order, a bold
line heading each group), with its unit, nominee, summary, number of files, status, and the
Law's checks (bot.core.nomination_checks) as the clerk would have noted them; a second sheet
tallies nominations per unit and award. Built with bot.admin.exports' sheet helpers, so it
looks like the office's other exports (bold frozen header, filters, dates, widths).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.exports import _finish, _first_sheet, _header, find_movement
from bot.core.flows import nomination_text
from bot.core.nomination_record import award_names, nominee_name
from bot.i18n import nominations_vi as nv
from bot.store import nominations
from bot.store.models import TitleCatalog, Unit
from bot.store.nominations import Nomination


def _order(session: Session) -> dict[str, int]:
    """Award code -> its place: the titles in the catalogue's order, then the forms."""
    codes = list(session.scalars(select(TitleCatalog.code).order_by(TitleCatalog.sort_order)))
    codes += [code for code in award_names(session) if code not in codes]
    return {code: i for i, code in enumerate(codes)}


def export_nominations(session: Session, movement_ref: str, out: Path) -> int:
    """Write the movement's nominations and their tally; returns how many were written."""
    movement = find_movement(session, movement_ref)
    names = award_names(session)
    order = _order(session)
    units = {u.id: u for u in session.scalars(select(Unit))}
    found = nominations.of_movement(session, movement.id)
    found.sort(key=lambda n: (order.get(n.award_code, len(order)), units[n.unit_id].code, n.id))
    workbook = Workbook()
    sheet = _first_sheet(workbook, nv.EXPORT_SHEET)
    _header(sheet, nv.EXPORT_HEADERS)
    counts = Counter(n.award_code for n in found)
    current = None
    for number, nom in enumerate(found, start=1):
        award = names.get(nom.award_code, nom.award_code)
        if nom.award_code != current:
            current = nom.award_code
            sheet.append([None, nv.EXPORT_GROUP.format(award=award, count=counts[current])])
            sheet.cell(sheet.max_row, 2).font = Font(bold=True)
        sheet.append(_row(session, number, nom, award, units[nom.unit_id]))
    _tally(workbook, found, names, order, units)
    _finish(workbook, out)
    return len(found)


def _row(session: Session, number: int, nom: Nomination, award: str, unit: Unit) -> list[object]:
    draft = nominations.to_draft(nom)
    found = nomination_text.findings(session, draft)
    return [
        number,
        award,
        unit.code,
        unit.name,
        nominee_name(session, draft),
        nom.summary,
        len(nom.attachments),
        nv.STATUS_LABELS.get(nom.status, nom.status),
        nom.reason or None,
        len(found),
        "\n".join(f.text for f in found) or None,
    ]


def _tally(
    workbook: Workbook,
    found: list[Nomination],
    names: dict[str, str],
    order: dict[str, int],
    units: dict[int, Unit],
) -> None:
    """Units down, awards across, a total column and a total row."""
    sheet = workbook.create_sheet(nv.EXPORT_TALLY_SHEET)
    codes = sorted({n.award_code for n in found}, key=lambda c: order.get(c, len(order)))
    _header(sheet, [nv.EXPORT_TALLY_UNIT, *(names.get(c, c) for c in codes), nv.EXPORT_TALLY_TOTAL])
    per_unit = Counter((n.unit_id, n.award_code) for n in found)
    for unit_id in sorted({n.unit_id for n in found}, key=lambda u: units[u].code):
        cells = [per_unit[(unit_id, code)] or None for code in codes]
        total = sum(per_unit[(unit_id, code)] for code in codes)
        sheet.append([units[unit_id].name, *cells, total])
    per_award = Counter(n.award_code for n in found)
    sheet.append([nv.EXPORT_TALLY_TOTAL, *(per_award[c] for c in codes), len(found)])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
