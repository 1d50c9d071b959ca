"""Document metadata from front matter and CLI overrides, with Vietnamese date formats."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime

from knowledge.documents import DocumentMeta

META_FIELDS: frozenset[str] = frozenset(f.name for f in fields(DocumentMeta))
DATE_FIELDS: frozenset[str] = frozenset({"issued", "effective_from", "effective_to"})

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class MetaError(ValueError):
    """Raised with a Vietnamese reason; the loader turns it into an IngestError."""


def parse_date(value: object, field_name: str = "ngày") -> date | None:
    """Accept a date, '2022-06-15' or '15/6/2022' (also '15.6.2022'); empty means None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        match = _DMY.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise MetaError(
            f"ngày không hợp lệ ở trường {field_name}: {text!r} (dùng 2022-06-15 hoặc 15/6/2022)"
        ) from exc


def check_override_keys(overrides: Mapping[str, object]) -> None:
    """CLI flags must name DocumentMeta fields; a typo should fail loudly, not be ignored."""
    unknown = sorted(set(overrides) - META_FIELDS)
    if unknown:
        raise TypeError(f"unknown metadata field(s): {', '.join(unknown)}")


def build_meta(
    default_id: str,
    default_title: str,
    front_matter: Mapping[str, object],
    overrides: Mapping[str, object],
) -> DocumentMeta:
    """Overrides beat front matter, which beats the defaults; None and '' mean 'not given'."""
    merged: dict[str, object] = {"doc_id": default_id, "title": default_title}
    for source in (front_matter, overrides):
        merged.update(
            (key, value)
            for key, value in source.items()
            if key in META_FIELDS and value is not None and value != ""
        )
    values: dict[str, object] = {}
    for name in META_FIELDS:
        raw = merged.get(name)
        if name in DATE_FIELDS:
            values[name] = parse_date(raw, name)
        else:
            values[name] = "" if raw is None else " ".join(str(raw).split())
    if not values["doc_id"]:
        raise MetaError("thiếu mã văn bản (doc_id)")
    return DocumentMeta(**values)  # type: ignore[arg-type]
