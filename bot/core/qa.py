"""Question -> Reply with its legal basis, or a plain 'not found' that is logged for the office.

A question naming by number only documents the index does not hold is not searched at all:
it is told what the registry knows of them (bot.core.qa_text), and logged. With a language
model, the answer found is written by it from the same clauses and shown only when our check
lets it through (bot.core.written, knowledge.llm).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.core.qa_text import (
    absent_text,
    document_status,
    excerpt_basis,
    missing_notes,
    not_loaded_text,
    written_text,
)
from bot.core.written import ModelAnswers
from bot.i18n import vi
from bot.messages import Incoming, Reply, SourceRef
from knowledge.answer import LLM, Answer
from knowledge.documents import DocumentMeta, Passage
from knowledge.lookup import Absence
from knowledge.registry import DocumentRegistry

MAX_QUESTION_CHARS = 1000
# Reply.meta keys of an answer: who wrote it ("extractive", "llm"; "curated" from the desk),
# and why the model's answer was not shown.
ANSWERED_BY = "answered_by"
LLM_REJECTED = "llm_rejected"


class Retriever(Protocol):
    def search(self, query: str, k: int = 10, *, today: date) -> list[Passage]: ...


class Answerer(Protocol):
    def answer(self, question: str, passages: Sequence[Passage]) -> Answer: ...


class Provisions(Protocol):
    """The provision a question names, when the loaded texts do not hold it."""

    def __call__(self, query: str, *, today: date) -> Absence | None: ...


class UnansweredSink(Protocol):
    def record(
        self,
        *,
        asked_at: datetime,
        channel: str,
        chat_id: str,
        user_id: str,
        question: str,
        confidence: float,
        best_chunk_id: str = "",
        session: Session | None = None,
    ) -> None: ...


def has_words(text: str) -> bool:
    """True when the text holds at least one letter or digit (emoji-only messages do not)."""
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def _narrowed(answer: Answer) -> list[Passage]:
    """Primary passages cited at the khoản/điểm their quoted lines come from, when just one."""
    out = []
    for passage, (clause, point) in zip(answer.primary, answer.quoted_parts, strict=False):
        citation = passage.chunk.citation
        narrowed = replace(
            citation,
            clause=citation.clause or clause,
            point=citation.point or (point if (citation.clause or clause) else ""),
        )
        if narrowed != citation:
            passage = replace(passage, chunk=replace(passage.chunk, citation=narrowed))
        out.append(passage)
    return out + answer.primary[len(out) :]


def to_citation(
    passage: Passage,
    today: date,
    registry: DocumentRegistry | None = None,
    confidence: float | None = None,
) -> SourceRef:
    """`confidence`: the answer's absolute confidence in this passage, shown as its score;
    without it the retrieval score (relative to the other passages) is shown."""
    cite = passage.chunk.citation
    doc = cite.document
    return SourceRef(
        id=passage.chunk.id,
        doc_number=doc.doc_number,
        title=doc.title,
        article=cite.article,
        clause=cite.clause,
        point=cite.point,
        in_force=doc.in_force(today),
        score=round(float(passage.score if confidence is None else confidence), 4),
        text=passage.chunk.text,
        basis=cite.basis(),
        status_note=document_status(doc, today, registry or DocumentRegistry(())),
    )


class QuestionAnswering:
    """Runs retrieval and the answerer, then words the result from the Vietnamese catalogue."""

    def __init__(
        self,
        retriever: Retriever,
        answerer: Answerer,
        unanswered: UnansweredSink,
        now: Callable[[], datetime],
        top_k: int = 5,
        *,
        registry: DocumentRegistry | None = None,
        documents: Callable[[], Iterable[DocumentMeta]] = tuple,
        provisions: Provisions | None = None,
        model: ModelAnswers | None = None,
    ) -> None:
        """`registry`: the documents known beyond the index; `documents`: those in it;
        `provisions`: says which Điều, khoản or điểm a question names that the texts lack;
        `model`: a language model that writes the answer from its clauses, checked (None:
        extractive answers only)."""
        self._retriever = retriever
        self._answerer = answerer
        self._unanswered = unanswered
        self._now = now
        self.top_k = top_k
        self._registry = registry or DocumentRegistry(())
        self._documents = documents
        self._provisions = provisions
        self._model = model

    def ask(
        self, message: Incoming, top_k: int | None = None, *, session: Session | None = None
    ) -> Reply:
        """`session`: the turn's open transaction, which a question without a basis is logged
        in (a second connection would wait on the SQLite write lock that turn holds)."""
        question = unicodedata.normalize("NFC", message.text).strip()
        if not question:
            return Reply(vi.EMPTY_QUESTION, found=False)
        if not has_words(question):
            return Reply(vi.NO_WORDS, found=False)
        prefix = ""
        if len(question) > MAX_QUESTION_CHARS:
            prefix = vi.TOO_LONG.format(length=len(question), limit=MAX_QUESTION_CHARS) + "\n\n"
            question = question[:MAX_QUESTION_CHARS]

        now = self._now()
        today = now.date()
        loaded = list(self._documents())
        named = self._registry.named(question, loaded)

        def unanswered(confidence: float, best_chunk_id: str = "") -> None:
            self._unanswered.record(
                asked_at=now,
                channel=message.channel,
                chat_id=message.chat_id,
                user_id=message.user_id,
                question=question,
                confidence=confidence,
                best_chunk_id=best_chunk_id,
                session=session,
            )

        if named.missing and not named.loaded:
            unanswered(0.0)
            return Reply(
                prefix + not_loaded_text(named, today, self._registry, loaded), found=False
            )

        absence = self._provisions(question, today=today) if self._provisions else None
        if absence is not None:  # never another provision in its place
            unanswered(0.0)
            return Reply(prefix + absent_text(absence), found=False)

        k = top_k or self.top_k
        passages = self._retriever.search(question, k=max(k, 5), today=today)
        answer = self._answerer.answer(question, passages)
        if not answer.found:
            unanswered(float(answer.confidence), passages[0].chunk.id if passages else "")
            return Reply(prefix + vi.NOT_FOUND, found=False)

        if self._model is not None:
            answer = self._model.written(message, question, answer, session)
        if answer.answered_by == LLM:
            ordered = [p for _, p in answer.cited]
            text = prefix + written_text(answer, today, self._registry)
        else:
            ordered = [*_narrowed(answer), *answer.see_also]
            text = prefix + self._format(answer, today)
        citations = tuple(
            to_citation(p, today, self._registry, answer.confidences.get(p.chunk.id))
            for p in ordered[:k]
        )
        notes = missing_notes(named, today, self._registry)
        if notes:
            text = "\n\n".join([text, *notes])
        meta = {ANSWERED_BY: answer.answered_by}
        if answer.rejected:
            meta[LLM_REJECTED] = answer.rejected
        return Reply(text, citations=citations, found=True, meta=meta)

    def _format(self, answer: Answer, today: date) -> str:
        """Per article: its heading, the lines that answer, its basis; then 'Xem thêm'."""
        blocks: list[str] = []
        for excerpt in answer.excerpts:
            lines = [excerpt.heading] if excerpt.heading else []
            lines.extend(excerpt.lines)
            doc = excerpt.passages[0].chunk.citation.document
            lines.append(vi.BASIS.format(basis=excerpt_basis(excerpt)))
            status = document_status(doc, today, self._registry)
            if status:
                lines.append(vi.NOT_IN_FORCE.format(status=status))
            if doc.is_partial:
                lines.append(vi.PARTIAL_TEXT)
            blocks.append("\n".join(lines))
        if answer.see_also:
            lines = [vi.SEE_ALSO]
            for passage in answer.see_also:
                basis = passage.chunk.citation.basis()
                status = document_status(passage.chunk.citation.document, today, self._registry)
                item = vi.SEE_ALSO_ITEM.format(basis=basis)
                lines.append(f"{item} ({status})" if status else item)
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks).strip()
