"""Files handed to the browser. A stored attachment (a report's, a nomination's hồ sơ) streams
from the file store under its own name, never rendered by the browser. A workbook is made in a
temporary file (openpyxl writes to a path), streamed from it, and removed once sent. Both are
named in Vietnamese through Content-Disposition's `filename*` (RFC 6266), with an ASCII name
beside it for clients that read only `filename`."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from bot.store.files import FileStore
from bot.web.dashboard import PageError

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


class Stored(Protocol):
    """An attachment row as the stores keep them (reports', nominations')."""

    @property
    def content_hash(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...


def stored_file(files: FileStore | None, found: Stored | None) -> FileResponse:
    """A stored attachment as a download; 404 when there is none, or the store is off or
    lacks its file."""
    if found is None or files is None or not files.has(found.content_hash):
        raise PageError(404)
    content_hash, filename, content_type = found.content_hash, found.filename, found.content_type
    return FileResponse(
        files.path_for(content_hash),
        media_type=content_type or "application/octet-stream",
        headers={"Content-Disposition": attachment(filename), "X-Content-Type-Options": "nosniff"},
    )
