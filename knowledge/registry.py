"""The document registry: texts the assistant knows of, loaded or not, and what replaced what.

Data, not code: `sources/registry.yaml` (built by `make registry` from the project's TSV). It
answers two questions the loaded texts cannot: a superseded text's successors up to the one in
force on a given day (NĐ 91/2017 → NĐ 98/2023 → NĐ 152/2025), and what a document a question
names by number is when its text is not in the index (status, where to read it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.documents import DocumentMeta
from knowledge.lookup import named_numbers, number_key

BUNDLED_REGISTRY = Path(__file__).parent / "sources" / "registry.yaml"

IN_FORCE = "in_force"
SUPERSEDED = "superseded"
UNKNOWN = "unknown"

NumberKey = tuple[int, int, str]


@dataclass(frozen=True)
class RegisteredDocument:
    """One entry of the registry; `replaced_by` is another entry's key."""

    key: str
    number: str
    doc_type: str = ""
    title: str = ""
    issuer: str = ""
    issued: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    status: str = UNKNOWN
    replaced_by: str = ""
    url: str = ""  # the text itself
    search_site: str = ""  # where to look it up by number when no address is known
    note: str = ""

    @property
    def name(self) -> str:
        """'Nghị định 98/2023/NĐ-CP', 'Luật Thi đua, khen thưởng số 06/2022/QH15'."""
        if self.doc_type and self.title.startswith(self.doc_type):
            return f"{self.title} số {self.number}" if self.number else self.title
        return " ".join(part for part in (self.doc_type, self.number) if part) or self.title

    def in_force(self, on: date) -> bool | None:
        """True or False when the registry knows; None when it does not."""
        if self.effective_from and on < self.effective_from:
            return False
        if self.effective_to and on >= self.effective_to:
            return False
        if self.status == SUPERSEDED:
            return self.effective_to is not None
        if self.status == IN_FORCE:
            return True
        return None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegisteredDocument:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if f.name in ("issued", "effective_from", "effective_to"):
                values[f.name] = _as_date(raw)
            else:
                values[f.name] = "" if raw is None else str(raw).strip()
        values["status"] = values["status"] or UNKNOWN
        return cls(**values)


@dataclass(frozen=True)
class NamedDocuments:
    """What a question names by number: texts in the index, texts only the registry knows,
    and numbers nobody knows (as typed)."""

    loaded: tuple[DocumentMeta, ...] = ()
    registered: tuple[RegisteredDocument, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        return bool(self.registered or self.unknown)


class DocumentRegistry:
    """Entries by key and by number; successors followed to the text in force."""

    def __init__(self, entries: Iterable[RegisteredDocument]) -> None:
        self._by_key = {e.key: e for e in entries}
        self._by_number: dict[tuple[int, int], list[RegisteredDocument]] = {}
        for entry in self._by_key.values():
            parts = number_key(entry.number)
            if parts:
                self._by_number.setdefault(parts[:2], []).append(entry)

    @classmethod
    def load(cls, path: Path) -> DocumentRegistry:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(RegisteredDocument.from_dict(d) for d in data.get("documents", []))

    @classmethod
    def bundled(cls) -> DocumentRegistry:
        return cls.load(BUNDLED_REGISTRY) if BUNDLED_REGISTRY.exists() else cls(())

    def __iter__(self) -> Iterator[RegisteredDocument]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, key: str) -> RegisteredDocument | None:
        return self._by_key.get(key)

    def find(self, number: str) -> RegisteredDocument | None:
        """The entry numbered `number` ('91/2017/NĐ-CP', 'Nghị định 98/2023/NĐ-CP', '152/2025')."""
        parts = number_key(number)
        return self._by_parts(parts) if parts else None

    def _by_parts(self, parts: NumberKey) -> RegisteredDocument | None:
        candidates = self._by_number.get(parts[:2], [])
        for entry in candidates:
            own = number_key(entry.number)
            if own is not None and (not parts[2] or not own[2] or own[2] == parts[2]):
                return entry
        return None

    def successors(self, start: RegisteredDocument | str, on: date) -> list[RegisteredDocument]:
        """The texts that replaced `start` one after the other, up to the one in force `on`
        (a successor not yet in force that day ends the chain before it)."""
        entry = self.get(start) if isinstance(start, str) else start
        chain: list[RegisteredDocument] = []
        seen = {entry.key} if entry else set()
        while entry is not None and entry.replaced_by and entry.replaced_by not in seen:
            following = self.get(entry.replaced_by)
            if following is None or (following.effective_from and on < following.effective_from):
                break
            chain.append(following)
            seen.add(following.key)
            entry = following
        return chain

    def successors_of(self, doc: DocumentMeta, on: date) -> list[RegisteredDocument]:
        """Successors of a loaded text: through its registry entry, else its `replaced_by`."""
        entry = self.find(doc.doc_number) if doc.doc_number else None
        if entry is not None and entry.replaced_by:
            return self.successors(entry, on)
        following = self.find(doc.replaced_by) if doc.replaced_by else None
        if following is None:
            return []
        if following.effective_from and on < following.effective_from:
            return []
        return [following, *self.successors(following, on)]

    def named(self, question: str, loaded: Iterable[DocumentMeta]) -> NamedDocuments:
        """The documents `question` names by number, sorted into loaded, registered, unknown."""
        docs = [d for d in loaded if d.doc_number]
        found_loaded: list[DocumentMeta] = []
        registered: list[RegisteredDocument] = []
        unknown: list[str] = []
        for parts, shown in named_numbers(question):
            match = [d for d in docs if _same(number_key(d.doc_number), parts)]
            if match:
                found_loaded.extend(d for d in match if d not in found_loaded)
                continue
            entry = self._by_parts(parts)
            if entry is not None:
                if entry not in registered:
                    registered.append(entry)
            elif shown not in unknown:
                unknown.append(shown)
        return NamedDocuments(tuple(found_loaded), tuple(registered), tuple(unknown))


def _same(own: NumberKey | None, named: NumberKey) -> bool:
    """'98/2023' names '98/2023/NĐ-CP'; '98/2023/TT-BTC' does not."""
    if own is None or own[:2] != named[:2]:
        return False
    return not named[2] or not own[2] or own[2] == named[2]


def _as_date(raw: object) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    return date.fromisoformat(str(raw).strip())


__all__ = [
    "BUNDLED_REGISTRY",
    "IN_FORCE",
    "SUPERSEDED",
    "UNKNOWN",
    "DocumentRegistry",
    "NamedDocuments",
    "RegisteredDocument",
]
