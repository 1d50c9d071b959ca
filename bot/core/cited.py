"""The provisions a curated answer rests on: named by the office, checked against the index.

«khoản 1 Điều 75 Luật Thi đua, khen thưởng» or «06/2022/QH15 Điều 75 khoản 1» names a
document (by number or title), a Điều and optionally a khoản and điểm; each must exist in the
loaded text. What the provision says is kept as a hash: when the document is re-ingested with
that text changed, or stops being in force, the answer resting on it is withdrawn for review.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.core.qa_text import document_status
from bot.i18n import vi
from bot.messages import SourceRef
from knowledge.documents import Chunk, Citation, DocumentMeta
from knowledge.lookup import article_key, find_reference
from knowledge.registry import DocumentRegistry

_CLAUSE_START = re.compile(r"^\s*(\d+)\.\s")
_POINT_START = re.compile(r"^\s*([a-zđ])\)\s")


class CiteError(ValueError):
    """A citation that cannot be used; the message says why, in Vietnamese."""


@dataclass(frozen=True)
class Provision:
    """A Điều, khoản or điểm of a loaded document, with its text as indexed."""

    doc: DocumentMeta
    article: str
    clause: str
    point: str
    text: str
    chunk_id: str

    @property
    def citation(self) -> Citation:
        return Citation(self.doc, self.article, self.clause, self.point)

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    def to_json(self) -> dict[str, str]:
        return {
            "doc_id": self.doc.doc_id,
            "doc_number": self.doc.doc_number,
            "article": self.article,
            "clause": self.clause,
            "point": self.point,
            "hash": self.hash,
        }

    def source_ref(self, today: date, registry: DocumentRegistry) -> SourceRef:
        return SourceRef(
            id=self.chunk_id,
            doc_number=self.doc.doc_number,
            title=self.doc.title,
            article=self.article,
            clause=self.clause,
            point=self.point,
            in_force=self.doc.in_force(today),
            score=1.0,
            text=self.text,
            basis=self.citation.basis(),
            status_note=document_status(self.doc, today, registry),
        )


def text_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def parse(
    spec: str,
    chunks: Sequence[Chunk],
    documents: Iterable[DocumentMeta],
    today: date,
    registry: DocumentRegistry,
) -> Provision:
    """The provision `spec` names, in force today; CiteError when it is not usable."""
    docs = list(documents)
    ref = find_reference(spec, docs)
    named = ref.documents
    if not ref.article or not named:
        raise CiteError(vi.CITE_UNPARSED.format(spec=spec))
    if len(named) > 1:
        names = ", ".join(d.display_name() for d in docs if d.doc_id in named)
        raise CiteError(vi.CITE_AMBIGUOUS.format(spec=spec, documents=names))
    doc = next(d for d in docs if d.doc_id == named[0])
    found = find(chunks, doc, ref.article, ref.clause, ref.point)
    if found is None:
        where = Citation(doc, ref.article, ref.clause, ref.point).location()
        raise CiteError(vi.CITE_MISSING.format(where=where, document=doc.display_name()))
    status = document_status(doc, today, registry)
    if status:
        raise CiteError(vi.CITE_NOT_IN_FORCE.format(document=doc.display_name(), status=status))
    return found


def find(
    chunks: Sequence[Chunk], doc: DocumentMeta, article: str, clause: str = "", point: str = ""
) -> Provision | None:
    """The provision's text from the document's chunks (an article is one chunk or one per
    khoản; a khoản or điểm inside a chunk is cut out of its lines)."""
    in_article = [
        c
        for c in chunks
        if c.citation.document.doc_id == doc.doc_id
        and article_key(c.citation.article) == article_key(article)
    ]
    if not in_article:
        return None
    if not clause:
        text = "\n".join(c.text for c in in_article)
        return Provision(doc, article, "", "", text, in_article[0].id)
    own = [c for c in in_article if c.citation.clause.strip() == clause]
    if own:
        chunk, text = own[0], "\n".join(c.text for c in own)
    else:
        chunk = in_article[0]
        text = _block("\n".join(c.text for c in in_article), _CLAUSE_START, clause)
    if point and text:
        text = _block(text, _POINT_START, point, stop_at=_CLAUSE_START)
    if not text:
        return None
    return Provision(doc, article, clause, point, text, chunk.id)


def _block(
    text: str, start: re.Pattern[str], label: str, stop_at: re.Pattern[str] | None = None
) -> str:
    """The lines from the one `start` labels as `label` to the next such line (or `stop_at`)."""
    out: list[str] = []
    for line in text.splitlines():
        match = start.match(line)
        if out and (match or (stop_at is not None and stop_at.match(line))):
            break
        if out or (match and match.group(1) == label):
            out.append(line)
    return "\n".join(out)


def check(
    stored: Mapping[str, Any],
    chunks: Sequence[Chunk],
    documents: Mapping[str, DocumentMeta],
    today: date,
    registry: DocumentRegistry,
) -> str:
    """'' when a stored citation still holds; otherwise why the answer must be reviewed."""
    try:
        found = current(stored, chunks, documents, today, registry)
    except CiteError as error:
        return str(error)
    if found.hash != stored.get("hash"):
        return vi.CURATED_CHANGED.format(basis=found.citation.basis())
    return ""


def current(
    stored: Mapping[str, Any],
    chunks: Sequence[Chunk],
    documents: Mapping[str, DocumentMeta],
    today: date,
    registry: DocumentRegistry,
) -> Provision:
    """A stored citation's provision as the index holds it today; CiteError when the document
    is gone or no longer in force, or the provision is not in it any more."""
    doc = documents.get(str(stored.get("doc_id", "")))
    location = Citation(
        doc or DocumentMeta(doc_id="", title=str(stored.get("doc_number", ""))),
        str(stored.get("article", "")),
        str(stored.get("clause", "")),
        str(stored.get("point", "")),
    )
    if doc is None:
        raise CiteError(vi.CURATED_GONE.format(basis=location.basis()))
    status = document_status(doc, today, registry)
    if status:
        raise CiteError(vi.CURATED_SUPERSEDED.format(basis=location.basis(), status=status))
    found = find(chunks, doc, location.article, location.clause, location.point)
    if found is None:
        raise CiteError(vi.CURATED_MISSING.format(basis=location.basis()))
    return found


def provisions(
    stored: Iterable[Mapping[str, Any]],
    chunks: Sequence[Chunk],
    documents: Mapping[str, DocumentMeta],
) -> list[Provision]:
    """The stored citations as provisions of the current index (those still found)."""
    out = []
    for item in stored:
        doc = documents.get(str(item.get("doc_id", "")))
        if doc is None:
            continue
        found = find(
            chunks,
            doc,
            str(item.get("article", "")),
            str(item.get("clause", "")),
            str(item.get("point", "")),
        )
        if found is not None:
            out.append(found)
    return out
