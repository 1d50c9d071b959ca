"""Files to `LoadedDocument`s: text plus `DocumentMeta`, or passages for .jsonl.

Every way a file can be bad ends in one `IngestError` with a Vietnamese message, so the
pipeline can report it and go on with the other files.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import IngestError
from ingest.extract import ExtractError, docx_text, html_text, pdf_text
from ingest.meta import META_FIELDS, MetaError, build_meta
from ingest.text import DecodeError, decode_bytes, looks_binary, normalize_text, slugify
from knowledge.documents import DocumentMeta

TEXT_EXTENSIONS = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_EXTENSIONS = TEXT_EXTENSIONS | {".docx", ".pdf", ".html", ".htm", ".jsonl"}

_OLD_FORMATS = {".doc": ".docx", ".xls": ".xlsx", ".rtf": ".docx"}


@dataclass(frozen=True)
class Record:
    """One passage of a .jsonl file; fields other than id/text/title are kept in `fields`."""

    id: str
    text: str
    title: str = ""
    line: int = 0
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed file: `text` for prose formats, `records` for .jsonl (then `text` is '')."""

    path: Path
    meta: DocumentMeta
    text: str = ""
    records: tuple[Record, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # front-matter keys beyond the meta


def load_document(
    path: Path | str, *, data: bytes | None = None, **overrides: object
) -> LoadedDocument:
    """Load one file (from `data` when the caller already read it); `overrides` are
    DocumentMeta fields and beat the front matter."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise IngestError(path, unsupported(suffix))
    if data is None:
        data = read_bytes(path)
    if not data.strip():
        raise IngestError(path, "tệp rỗng")
    try:
        return _load(path, suffix, data, overrides)
    except (DecodeError, ExtractError, MetaError) as exc:
        raise IngestError(path, str(exc)) from exc


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The file's bytes, or an IngestError saying why they cannot be read; past `limit` bytes
    the file is refused before it is read (its size is checked, then at most limit + 1 read)."""
    try:
        with path.open("rb") as handle:
            if limit is None:
                return handle.read()
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > limit else handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise IngestError(path, "không tìm thấy tệp") from exc
    except IsADirectoryError as exc:
        raise IngestError(path, "đây là thư mục, không phải tệp") from exc
    except OSError as exc:
        raise IngestError(path, f"không đọc được tệp ({exc.strerror or 'lỗi hệ thống'})") from exc
    if size > limit or len(data) > limit:
        raise IngestError(path, too_large(max(size, len(data)), limit))
    return data


def too_large(size: int, limit: int) -> str:
    """Why a file over the size limit was skipped (sizes in MB or KB, decimal comma)."""
    return (
        f"tệp {_size(size)} vượt giới hạn {_size(limit)} cho mỗi tệp nên đã bỏ qua "
        "(hãy tách thành các tệp nhỏ hơn, hoặc nâng giới hạn)"
    )


def _size(size: int) -> str:
    """'6,9 MB', '9,8 KB': one decimal, with the Vietnamese decimal comma."""
    value, unit = (size / 1024 / 1024, "MB") if size >= 1024 * 1024 else (size / 1024, "KB")
    return f"{value:.1f} {unit}".replace(".", ",")


def unsupported(suffix: str) -> str:
    """Why a file of this type is not ingested, and what to do about an old Office format."""
    if suffix in _OLD_FORMATS:
        return f"định dạng {suffix} cũ không được hỗ trợ, hãy lưu lại thành {_OLD_FORMATS[suffix]}"
    shown = suffix or "không có phần mở rộng"
    accepted = ", ".join(sorted(SUPPORTED_EXTENSIONS))
    return f"định dạng không được hỗ trợ ({shown}); chỉ nhận {accepted}"


def _load(path: Path, suffix: str, data: bytes, overrides: Mapping[str, object]) -> LoadedDocument:
    default_id = slugify(path.stem) or "van-ban"
    front: dict[str, Any] = {}
    records: tuple[Record, ...] = ()
    embedded_title = ""
    if suffix in TEXT_EXTENSIONS:
        front, text = split_front_matter(normalize_text(decode_bytes(data)))
    elif suffix == ".docx":
        raw, embedded_title = docx_text(data)
        text = normalize_text(raw)
    elif suffix == ".pdf":
        raw, embedded_title = pdf_text(data)
        text = normalize_text(raw)
        if not text.strip():
            raise ExtractError("PDF không có lớp chữ (có thể là bản scan), cần nhận dạng chữ (OCR)")
    elif suffix in (".html", ".htm"):
        raw, embedded_title = html_text(normalize_text(decode_bytes(data)))
        text = normalize_text(raw)
    else:  # passages are only NFC-normalised: their line breaks and spacing are kept as given
        records = parse_jsonl(decode_bytes(data))
        text = ""
    if not records and not text.strip():
        raise ExtractError("tệp không có nội dung văn bản")
    if looks_binary(text):
        raise ExtractError("tệp nhị phân, không phải văn bản")
    meta = build_meta(default_id, embedded_title or path.stem, front, overrides)
    extra = {key: value for key, value in front.items() if key not in META_FIELDS}
    return LoadedDocument(path=path, meta=meta, text=text, records=records, extra=extra)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML between a first line '---' and the next '---' (or '...') line; else no front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    ends = [i for i, line in enumerate(lines) if i > 0 and line.strip() in ("---", "...")]
    if not ends:
        raise DecodeError("phần đầu YAML (front matter) không có dòng '---' kết thúc")
    end = ends[0]
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        raise DecodeError("phần đầu YAML (front matter) sai cú pháp") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DecodeError("phần đầu YAML (front matter) phải là các cặp 'khóa: giá trị'")
    return {str(key): value for key, value in data.items()}, "\n".join(lines[end + 1 :]).strip("\n")


def parse_jsonl(text: str) -> tuple[Record, ...]:
    """One JSON object per non-blank line with a unique `id` and a non-empty `text`."""
    records: list[Record] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = _jsonl_record(line, number)
        if record.id in seen:
            raise DecodeError(f"dòng {number}: id {record.id!r} trùng với dòng {seen[record.id]}")
        seen[record.id] = number
        records.append(record)
    if not records:
        raise DecodeError("tệp không có dòng dữ liệu nào")
    return tuple(records)


def _jsonl_record(line: str, number: int) -> Record:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"dòng {number} không phải JSON hợp lệ") from exc
    if not isinstance(obj, dict):
        raise DecodeError(f"dòng {number} phải là một đối tượng JSON {{...}}")
    raw_id, text, title = obj.get("id"), obj.get("text"), obj.get("title", "")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
        raise DecodeError(f"dòng {number} thiếu trường 'id'")
    if not isinstance(text, str) or not text.strip():
        raise DecodeError(f"dòng {number} thiếu trường 'text' hoặc 'text' rỗng")
    if not isinstance(title, str):
        raise DecodeError(f"dòng {number}: trường 'title' phải là chuỗi")
    others = {key: value for key, value in obj.items() if key not in ("id", "text", "title")}
    return Record(
        id=str(raw_id).strip(),
        text=unicodedata.normalize("NFC", text),
        title=unicodedata.normalize("NFC", title),
        line=number,
        fields=others,
    )
