"""Extractive, grounded answers: which passage answers, which of its clauses to quote, or none.

No user-facing prose here: the bot words the answer from its Vietnamese catalogue. The
confidence is absolute (see confidence.py), so a question the texts do not cover is refused
however the passages rank among themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from knowledge.confidence import DEFAULT_THRESHOLD, QuestionTerms, confidence, is_direct
from knowledge.documents import Passage
from knowledge.quoting import Excerpt, excerpts, select

EXTRACTIVE = "extractive"
LLM = "llm"


@dataclass(frozen=True)
class Answer:
    """What the texts say about a question; `found` is False when nothing is good enough."""

    found: bool
    confidence: float
    primary: list[Passage] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    see_also: list[Passage] = field(default_factory=list)
    # Per primary passage: the (khoản, điểm) every quoted line falls under ('' when several or
    # none), so the basis can name "điểm c khoản 1 Điều 27" though the chunk is the whole Điều.
    quoted_parts: list[tuple[str, str]] = field(default_factory=list)
    # Per article quoted: its heading and the lines that answer, '…' where text is left out.
    excerpts: list[Excerpt] = field(default_factory=list)
    # Confidence of every passage the answer names (primary and see-also), by chunk id.
    confidences: dict[str, float] = field(default_factory=dict)
    # EXTRACTIVE, or LLM when a language model wrote `written` from these passages and our
    # check (knowledge.llm_check) let it through; `cited`: (its [n], the clause) it cites.
    answered_by: str = EXTRACTIVE
    written: str = ""
    cited: tuple[tuple[int, Passage], ...] = ()
    rejected: str = ""  # why the model's answer was not shown (a timeout, a failed check…)

    def clauses(self, limit: int = 5) -> list[Passage]:
        """The passages a model may write from: the primary ones, then see-also, in order."""
        seen: set[str] = set()
        out: list[Passage] = []
        for passage in (*self.primary, *self.see_also):
            if passage.chunk.id not in seen:
                seen.add(passage.chunk.id)
                out.append(passage)
        return out[:limit]


class ExtractiveAnswerer:
    """Picks the first passage (in retrieval order) whose confidence reaches `threshold`.

    More primaries follow (up to `max_primary` passages from `max_articles` articles) when
    close to the first on both confidence (`close_margin`) and retrieval score (`close_score`
    times the first's): two khoản of one Điều, or Điều 75 (Giấy khen) beside Điều 80 (who
    decides it).
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        close_margin: float = 0.1,
        close_score: float = 0.75,
        see_also_margin: float = 0.15,
        checked: int = 10,
        max_primary: int = 3,
        max_articles: int = 2,
        restore: Callable[[str], str] | None = None,
    ) -> None:
        """`restore`: puts the diacritics back on a question typed without them (the
        retriever's HybridRetriever.restore), so its stopwords are known as such."""
        self.threshold = threshold
        self.close_margin = close_margin
        self.close_score = close_score
        self.see_also_margin = see_also_margin
        self.checked = checked
        self.max_primary = max_primary
        self.max_articles = max_articles
        self.restore = restore

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        restored = self.restore(question) if self.restore else None
        terms = QuestionTerms.of(question, restored)
        scored = [(p, confidence(terms.features(p))) for p in passages[: self.checked]]
        good = [(p, c) for p, c in scored if c >= self.threshold]
        if not good:
            return Answer(found=False, confidence=max((c for _, c in scored), default=0.0))
        best, best_conf = good[0]
        primary = [best]
        articles = {_source(best)}
        for p, c in good[1:]:
            if len(primary) >= self.max_primary:
                break
            close = c >= best_conf - self.close_margin and p.score >= best.score * self.close_score
            if not close or (_source(p) not in articles and len(articles) >= self.max_articles):
                continue
            primary.append(p)
            articles.add(_source(p))
        picked = [select(question, p, restored) for p in primary]
        see_also = [] if is_direct(best) else self._see_also(primary, scored)
        named = {p.chunk.id for p in (*primary, *see_also)}
        return Answer(
            found=True,
            confidence=best_conf,
            primary=primary,
            quotes=[line for selection in picked for line in selection.lines],
            see_also=see_also,
            quoted_parts=[selection.part() for selection in picked],
            excerpts=excerpts(picked),
            confidences={p.chunk.id: c for p, c in scored if p.chunk.id in named},
        )

    def _see_also(
        self, primary: list[Passage], scored: list[tuple[Passage, float]]
    ) -> list[Passage]:
        """Up to two more passages from other sources (document + Điều) that nearly qualify;
        beside an answer citing a Điều, only passages that have one (not a text's preamble)."""
        seen = {_source(p) for p in primary}
        articled = any(p.chunk.citation.article for p in primary)
        out: list[Passage] = []
        for p, c in scored:
            if len(out) == 2:
                break
            if articled and not p.chunk.citation.article:
                continue
            if c >= self.threshold - self.see_also_margin and _source(p) not in seen:
                seen.add(_source(p))
                out.append(p)
        return out


def _source(p: Passage) -> tuple[str, str]:
    cit = p.chunk.citation
    return cit.document.doc_id, cit.article or p.chunk.id


def quote(question: str, passage: Passage) -> list[str]:
    """The line(s) of the passage that best answer the question, with their list intro."""
    return select(question, passage).lines
