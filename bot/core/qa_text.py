"""Whether a text is in force, worded for a cadre, and the reply about a text not loaded.

A superseded text names the chain of texts that replaced it up to the one in force today
(Nghị định 91/2017/NĐ-CP → 98/2023/NĐ-CP → 152/2025/NĐ-CP), from the document registry; a
question naming a document the knowledge base does not hold gets what the registry knows of
it (status, where to read it) instead of another document's sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from bot.i18n import vi
from knowledge.answer import Answer
from knowledge.documents import Citation, DocumentMeta
from knowledge.lookup import Absence
from knowledge.quoting import Excerpt
from knowledge.registry import (
    IN_FORCE,
    SUPERSEDED,
    DocumentRegistry,
    NamedDocuments,
    RegisteredDocument,
)


def _day(value: date) -> str:
    return f"{value.day}/{value.month}/{value.year}"


def chain_text(chain: list[RegisteredDocument]) -> str:
    """'Nghị định 98/2023/NĐ-CP, nay là Nghị định 152/2025/NĐ-CP (có hiệu lực từ 1/7/2025)'."""
    names = [entry.name for entry in chain]
    last = chain[-1]
    if len(chain) > 1 and last.effective_from:
        names[-1] = vi.CHAIN_FROM.format(name=last.name, date=_day(last.effective_from))
    return vi.CHAIN_NOW.join(names)


def document_status(doc: DocumentMeta, today: date, registry: DocumentRegistry) -> str:
    """'' for a loaded text in force; otherwise why not, with what replaced it since."""
    if doc.in_force(today):
        return ""
    if doc.effective_from and today < doc.effective_from:
        return vi.STATUS_NOT_YET.format(date=_day(doc.effective_from))
    ended = (
        vi.STATUS_ENDED.format(date=_day(doc.effective_to))
        if doc.effective_to
        else vi.STATUS_ENDED_UNDATED
    )
    chain = registry.successors_of(doc, today)
    if chain:
        return vi.STATUS_REPLACED.format(status=ended, chain=chain_text(chain))
    if doc.replaced_by:
        return vi.STATUS_REPLACED.format(status=ended, chain=doc.replaced_by)
    return ended


def entry_status(entry: RegisteredDocument, today: date, registry: DocumentRegistry) -> str:
    """The status of a text the registry knows, on `today`."""
    if entry.effective_from and today < entry.effective_from:
        return vi.STATUS_NOT_YET.format(date=_day(entry.effective_from))
    in_force = entry.in_force(today)
    if in_force:
        if entry.effective_to:
            return vi.STATUS_IN_FORCE_UNTIL.format(date=_day(entry.effective_to))
        return vi.STATUS_IN_FORCE
    if in_force is None and entry.status not in (IN_FORCE, SUPERSEDED):
        return vi.STATUS_UNKNOWN
    ended = (
        vi.STATUS_ENDED.format(date=_day(entry.effective_to))
        if entry.effective_to
        else vi.STATUS_ENDED_UNDATED
    )
    chain = registry.successors(entry, today)
    return vi.STATUS_REPLACED.format(status=ended, chain=chain_text(chain)) if chain else ended


def _described(entry: RegisteredDocument) -> str:
    """'Nghị định 98/2023/NĐ-CP «Quy định chi tiết …» (Chính phủ, 31/12/2023)'."""
    name = entry.name
    if entry.title and entry.title not in name:
        name = f"{name} «{entry.title}»"
    details = [part for part in (entry.issuer, _day(entry.issued) if entry.issued else "") if part]
    return f"{name} ({', '.join(details)})" if details else name


def not_loaded_text(
    named: NamedDocuments,
    today: date,
    registry: DocumentRegistry,
    loaded: Iterable[DocumentMeta],
) -> str:
    """The reply to a question naming only documents the knowledge base does not hold."""
    numbers = {doc.doc_number for doc in loaded if doc.doc_number}
    paragraphs: list[str] = []
    for entry in named.registered:
        lines = [
            vi.NOT_LOADED.format(name=_described(entry)),
            vi.NOT_LOADED_STATUS.format(status=entry_status(entry, today, registry)),
        ]
        current = registry.successors(entry, today)
        if current and any(registry.find(n) == current[-1] for n in numbers):
            lines.append(vi.NOT_LOADED_SUCCESSOR.format(name=current[-1].name))
        if entry.url:
            lines.append(vi.READ_AT.format(url=entry.url))
        elif entry.search_site and entry.number:
            lines.append(vi.SEARCH_AT.format(number=entry.number, site=entry.search_site))
        paragraphs.append("\n".join(lines))
    for number in named.unknown:
        paragraphs.append(
            f"{vi.UNKNOWN_DOCUMENT.format(number=number)}\n{vi.UNKNOWN_DOCUMENT_SEARCH}"
        )
    paragraphs.append(vi.NOT_LOADED_LOGGED)
    return "\n\n".join(paragraphs)


def missing_notes(named: NamedDocuments, today: date, registry: DocumentRegistry) -> list[str]:
    """Lines under an answer from the texts a question names that the index holds, for the
    other texts it names that it does not."""
    notes = [
        vi.NOT_LOADED_NOTE.format(name=e.name, status=entry_status(e, today, registry))
        for e in named.registered
    ]
    notes.extend(vi.UNKNOWN_DOCUMENT_NOTE.format(number=n) for n in named.unknown)
    return notes


def excerpt_basis(excerpt: Excerpt) -> str:
    """'khoản 1 Điều 75 Luật …', 'điểm c khoản 1 Điều 27 …', 'các khoản 1, 2 và 4 Điều 80 …':
    the Điều always, the khoản and điểm the quote is."""
    citation = excerpt.passages[0].chunk.citation
    clauses = excerpt.clauses
    if len(clauses) > 1 and citation.article:
        listed = ", ".join(clauses[:-1]) + vi.AND + clauses[-1]
        return vi.BASIS_CLAUSES.format(
            clauses=listed, article=citation.article, document=citation.document.display_name()
        )
    clause = clauses[0] if clauses else ""
    return replace(citation, clause=clause, point=excerpt.point if clause else "").basis()


def absent_text(absence: Absence) -> str:
    """The reply to a question naming a provision the loaded texts do not hold."""
    where = Citation(
        absence.document or DocumentMeta(doc_id="", title=""),
        article=absence.article,
        clause=absence.clause,
        point=absence.point,
    )
    if absence.document is None:
        lines = [vi.ABSENT_ANYWHERE.format(provision=where.location())]
    else:
        lines = [vi.ABSENT_PROVISION.format(provision=where.basis())]
    if absence.points:
        lines.append(
            vi.ABSENT_POINTS.format(
                clause=absence.clause, article=absence.article, count=absence.points
            )
        )
    elif absence.clauses:
        lines.append(vi.ABSENT_CLAUSES.format(article=absence.article, count=absence.clauses))
    elif absence.articles:
        lines.append(vi.ABSENT_ARTICLES.format(count=absence.articles))
    lines.append(vi.ABSENT_HINT)
    return "\n".join(lines)


def written_text(answer: Answer, today: date, registry: DocumentRegistry) -> str:
    """A model's checked answer, then our own basis: each clause it cites, by its marker."""
    lines = [answer.written, "", vi.WRITTEN_BASIS]
    for number, passage in answer.cited:
        citation = passage.chunk.citation
        lines.append(vi.WRITTEN_BASIS_ITEM.format(number=number, basis=citation.basis()))
        status = document_status(citation.document, today, registry)
        if status:
            lines.append(vi.WRITTEN_NOT_IN_FORCE.format(status=status))
    return "\n".join(lines)
