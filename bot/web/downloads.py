"""Workbooks handed to the browser: made in a temporary file (openpyxl writes to a path), streamed
from it, and removed once sent; named in Vietnamese through Content-Disposition's `filename*`
(RFC 6266), with an ASCII name beside it for clients that read only `filename`."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


def scratch_file(suffix: str) -> Path:
    """A new empty temporary file's path (the caller writes it, `xlsx_download` removes it)."""
    handle, name = tempfile.mkstemp(prefix="thidua-", suffix=suffix)
    os.close(handle)
    return Path(name)


def ascii_name(name: str) -> str:
    """'Đăng ký thi đua - PT2026.xlsx' -> 'Dang ky thi dua - PT2026.xlsx'."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _UNSAFE.sub("_", plain).strip() or "download"


def attachment(name: str) -> str:
    """The Content-Disposition of a download named `name` (any characters, none of them able to
    break out of the header)."""
    printable = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    encoded = quote(printable, safe="")
    return f"attachment; filename=\"{ascii_name(printable)}\"; filename*=UTF-8''{encoded}"


def xlsx_download(path: Path, name: str) -> FileResponse:
    """The workbook at `path`, streamed in chunks, then deleted."""
    return FileResponse(
        path,
        media_type=XLSX,
        headers={"Content-Disposition": attachment(name)},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
