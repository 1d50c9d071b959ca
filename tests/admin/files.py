"""Writing the import files an office would fill in (xlsx from the template, or csv)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from openpyxl import load_workbook

from tests.admin.conftest import Admin

Cells = Sequence[object]

UNIT_HEADER = ["mã đơn vị", "tên đơn vị", "loại", "mã đơn vị cấp trên"]
UNITS: list[Cells] = [
    ["BTDKT", "Ban Thi đua - Khen thưởng", "ban", "SNV"],  # its parent comes later in the file
    ["SNV", "Sở Nội vụ", "sở, ban, ngành", ""],
    ["HKH", "UBND huyện Hương Khê", "huyện", ""],
    ["STC", "Sở Tài chính", "sở, ban, ngành", ""],
    ["SYT", "Sở Y tế", "sở, ban, ngành", ""],
]


def write_csv(
    path: Path,
    header: Cells,
    rows: Sequence[Cells],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def fill_template(path: Path, rows: Sequence[Cells]) -> Path:
    """Append rows under the header of a template written by `thidua … template`."""
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def import_units(admin: Admin, folder: Path) -> None:
    code, out = admin.run("units", "import", write_csv(folder / "units.csv", UNIT_HEADER, UNITS))
    assert code == 0, out
