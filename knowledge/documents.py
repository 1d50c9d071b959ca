"""Documents, chunks and citations: the vocabulary every other part of the project speaks.

Metadata is flattened to Chroma-friendly scalars here, at the boundary, so no caller
ever handles Chroma's dicts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date

_MISSING = ""


def _fmt_date(value: date | None) -> str:
    return f"{value.day}/{value.month}/{value.year}" if value else ""


@dataclass(frozen=True)
class DocumentMeta:
    """One legal or guidance text, with the dates that decide whether it is in force."""

    doc_id: str
    title: str
    doc_number: str = _MISSING
    doc_type: str = _MISSING
    issuer: str = _MISSING
    issued: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    replaced_by: str = _MISSING
    source_url: str = _MISSING
    completeness: str = _MISSING

    def in_force(self, on: date) -> bool:
        """A text is in force from its effective date until (not including) its end date."""
        if self.effective_from and on < self.effective_from:
            return False
        return not (self.effective_to and on >= self.effective_to)

    @property
    def is_partial(self) -> bool:
        """'toàn văn', 'toàn văn các điều' or 'full…' is whole; anything else given is not."""
        value = self.completeness.strip().lower()
        return bool(value) and not value.startswith(("full", "toàn văn"))

    def display_name(self) -> str:
        """'Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)'."""
        name = self.title
        if self.doc_number and self.doc_number not in name:
            name = f"{name} số {self.doc_number}"
        details = [part for part in (self.issuer, _fmt_date(self.issued)) if part]
        return f"{name} ({', '.join(details)})" if details else name

    def status_note(self, on: date) -> str:
        """Empty when in force; otherwise the Vietnamese sentence saying why not."""
        if self.in_force(on):
            return ""
        if self.effective_from and on < self.effective_from:
            return f"chưa có hiệu lực (có hiệu lực từ {_fmt_date(self.effective_from)})"
        note = f"đã hết hiệu lực từ {_fmt_date(self.effective_to)}"
        return f"{note}, thay bằng {self.replaced_by}" if self.replaced_by else note

    def to_metadata(self) -> dict[str, str]:
        """Flat scalars for a vector store; dates as ISO strings, missing as ''."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, date) else (value or "")
        return out

    @classmethod
    def from_metadata(cls, data: dict[str, object]) -> DocumentMeta:
        kwargs: dict[str, object] = {}
        for f in fields(cls):
            raw = data.get(f.name, "")
            raw = "" if raw is None else str(raw)
            if f.name in ("issued", "effective_from", "effective_to"):
                kwargs[f.name] = date.fromisoformat(raw) if raw else None
            else:
                kwargs[f.name] = raw
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Citation:
    """Where a chunk sits: document, Điều, khoản, điểm and the heading path above it."""

    document: DocumentMeta
    article: str = _MISSING
    clause: str = _MISSING
    point: str = _MISSING
    headings: tuple[str, ...] = field(default=())

    def location(self) -> str:
        """'điểm a khoản 1 Điều 24' (only the parts that exist)."""
        parts = []
        if self.point:
            parts.append(f"điểm {self.point}")
        if self.clause:
            parts.append(f"khoản {self.clause}")
        if self.article:
            parts.append(f"Điều {self.article}")
        return " ".join(parts)

    def basis(self) -> str:
        """'khoản 1 Điều 24 Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)'."""
        where = self.location()
        if not where and self.headings:
            where = f"mục «{self.headings[-1]}»,"
        doc = self.document.display_name()
        return f"{where} {doc}" if where else doc


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval: a Điều (or a khoản of a long Điều), a section, or a passage."""

    id: str
    text: str
    citation: Citation
    title: str = _MISSING  # context line embedded with the text, e.g. "Luật X - Điều 24. ..."

    @property
    def embed_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the two scores it came from.

    `embedded` is False when the query was not embedded (typed without diacritics, or BM25
    alone was decisive): `dense` is then 0 and means nothing."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0
    embedded: bool = True
