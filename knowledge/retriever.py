"""Hybrid retrieval: direct lookups, then dense + BM25 fused, texts in force first.

A weighted sum of min-max-normalised scores beat reciprocal rank fusion on ALQAC (0.885
against 0.828). BM25 sums the accented and the diacritic-free index, each blended with its
line-level twin (knowledge.lexical). multilingual-e5 collapses
on queries typed without diacritics (MRR 0.05), so those get their diacritics back from the
index's vocabulary (knowledge.accents) before they are embedded. The query embedding is nearly
all of a search's time, so it is skipped when BM25's best passage leads the runner-up by far
and answers the question on lexical evidence alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from knowledge.accents import Accents
from knowledge.confidence import (
    DEFAULT_THRESHOLD,
    DIRECT_SCORE,
    SUPERSEDED_THRESHOLD,
    ChunkTerms,
    QuestionTerms,
    chunk_terms,
    confidence,
)
from knowledge.documents import Passage
from knowledge.index import IndexView, KnowledgeIndex
from knowledge.lexical import top_rows
from knowledge.lookup import (
    Absence,
    ArticleNames,
    Reference,
    absence,
    article_names,
    find_reference,
    in_force_first,
    lookup,
    named_articles,
)
from knowledge.vntext import expand_abbreviations, is_unaccented

_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_CHECKED = 3  # how many of the best in-force passages are tried against "good enough"

Scores = npt.NDArray[np.float32]

# With BM25 decisive, the query is still embedded when no passage reaches this confidence on
# lexical evidence alone: the cosine then settles both the ranking and whether to answer.
SURE = 0.9

# Tuned on ALQAC dev (bench/tune.py), with BM25's line-level blend (knowledge.lexical): MRR@10
# 0.924 at 0.25 against 0.920 at 0.2, 0.922 at 0.3, 0.922 at 0.35, 0.919 at 0.4 (articles
# alone, before the blend: 0.905 at 0.35).
DEFAULT_DENSE_WEIGHT = 0.25
# Dense is skipped when (best - second) / best of the blended BM25 scores reaches this; None:
# never. Tuned on ALQAC dev (bench/tune.py): from 0.1, 82% of questions are not embedded and
# MRR@10 is 0.9239, as always embedding (0.05: 89%, 0.9203; 0.3: 46%, 0.9239); a query whose
# passages BM25 cannot make sure of is embedded all the same (SURE).
DEFAULT_LEXICAL_LEAD: float | None = 0.1


@dataclass(frozen=True)
class _Plan:
    """One search's query, day, scores and named provisions; `text` is what gets embedded."""

    query: str
    on: date
    lexical: Scores
    dense: Scores | None
    text: str
    ref: Reference
    direct: list[int]


class HybridRetriever:
    """Ranks chunks of a KnowledgeIndex for a question; Passage.dense/.lexical stay raw."""

    def __init__(
        self,
        index: KnowledgeIndex,
        *,
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
        pool: int = 50,
        good_enough: float = DEFAULT_THRESHOLD,
        prefer_named: bool = False,
        lexical_lead: float | None = DEFAULT_LEXICAL_LEAD,
        superseded_bar: float = SUPERSEDED_THRESHOLD,
        sure: float = SURE,
    ) -> None:
        """`good_enough`: the confidence above which superseded texts are left out; use the
        answerer's threshold so a question the in-force texts cannot answer still sees them.
        `prefer_named`: passages of a document named by title rank first (off: on ALQAC dev
        it cost 0.003 MRR; documents named by number always rank first).
        `lexical_lead`: BM25's lead (see DEFAULT_LEXICAL_LEAD) from which the query is not
        embedded; tune it on ALQAC dev only (bench/tune.py).
        `superseded_bar`: the confidence a superseded text needs to fill in for the texts in
        force (SUPERSEDED_THRESHOLD). `sure`: a query BM25 decided alone is embedded after all
        when no passage reaches this confidence on lexical evidence (SURE)."""
        self.index = index
        self.dense_weight = dense_weight
        self.pool = pool
        self.good_enough = good_enough
        self.prefer_named = prefer_named
        self.lexical_lead = lexical_lead
        self.superseded_bar = superseded_bar
        self.sure = sure
        self._terms: dict[tuple[str, bool], ChunkTerms] = {}  # for the current view only
        self._terms_view: IndexView | None = None
        self._names: tuple[IndexView, ArticleNames] | None = None
        self._accents: tuple[IndexView, Accents] | None = None

    # -- single-sided (benchmarks) -------------------------------------------------------

    def search_dense(self, query: str, k: int = 10) -> list[Passage]:
        view = self.index.view()
        if not view.chunks:
            return []
        dense = self._dense(view, query)
        return [Passage(view.chunks[row], score=s, dense=s) for row, s in _best(dense, k)]

    def search_lexical(
        self, query: str, k: int = 10, *, folded: bool | None = None
    ) -> list[Passage]:
        """BM25 only; the diacritic-free index when `folded` (default: query is unaccented)."""
        view = self.index.view()
        if not view.chunks:
            return []
        use_folded = is_unaccented(query) if folded is None else folded
        lexical = view.lexical.scores(query, folded=use_folded)
        return [Passage(view.chunks[row], score=s, lexical=s) for row, s in top_rows(lexical, k)]

    # -- hybrid --------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, *, today: date | None = None) -> list[Passage]:
        """Best k passages: named provisions first, then in force, then (if needed) the rest.

        Superseded (or not yet effective) texts are kept only when the query names them by
        number, or when no in-force passage reaches `good_enough` and they themselves reach
        `superseded_bar`; they then follow the in-force ones. A direct lookup scores
        DIRECT_SCORE + its fused score. Within each group the article whose heading names the
        award the question names comes first (lookup.named_articles); its scores are left as
        they are. A query typed without diacritics gets them back from the index's vocabulary
        (knowledge.accents) before it is embedded.
        """
        view = self.index.view()
        if not view.chunks or k <= 0:
            return []
        query = expand_abbreviations(query)
        plan = self._plan(view, query, today or datetime.now(_TZ).date())
        if not self._decisive(plan.lexical):
            plan = replace(plan, dense=self._dense(view, plan.text))
        out = self._rank(view, plan, k)
        if plan.dense is None and not self._sure(query, out, view):
            out = self._rank(view, replace(plan, dense=self._dense(view, plan.text)), k)
        return out

    def _plan(self, view: IndexView, query: str, on: date) -> _Plan:
        """BM25 scores of the query and the text to embed: the query with its diacritics put
        back when typed without them. Its accented and its diacritic-free scores are summed,
        so a mark typed otherwise ('hoá' for 'hóa') or put back wrong costs half a match, and
        the same question typed either way scores alike."""
        text = self.restore(query)
        lexical = view.lexical.blend(text, query)
        ref = find_reference(query, view.documents.values())
        direct = [view.row_of[c.id] for c in in_force_first(lookup(ref, view.chunks), ref, on)]
        return _Plan(query, on, lexical, None, text, ref, direct)

    def _rank(self, view: IndexView, plan: _Plan, k: int) -> list[Passage]:
        query, on, lexical, dense, ref = plan.query, plan.on, plan.lexical, plan.dense, plan.ref
        rows = {row for row, _ in top_rows(lexical, self.pool)}
        if dense is not None:
            rows.update(row for row, _ in _best(dense, self.pool))
        direct = plan.direct
        fused = self._fuse(sorted(rows | set(direct)), sorted(rows), dense, lexical)

        def passage(row: int, bonus: float = 0.0) -> Passage:
            return Passage(
                view.chunks[row],
                score=bonus + fused[row],
                dense=0.0 if dense is None else float(dense[row]),
                lexical=float(lexical[row]),
                embedded=dense is not None,
            )

        def in_force(row: int) -> bool:
            return view.chunks[row].citation.document.in_force(on)

        direct_rows = sorted(direct, key=lambda r: (not in_force(r), -fused[r]))
        out = [passage(r, DIRECT_SCORE) for r in direct_rows]

        def group(row: int) -> int:
            """0: a document the query names, 1: in force, 2: superseded or not yet valid."""
            doc_id = view.chunks[row].citation.document.doc_id
            if doc_id in ref.by_number:
                return 0
            if not in_force(row):
                return 2
            return 0 if self.prefer_named and doc_id in ref.by_title else 1

        named = named_articles(query, self._article_names(view))

        def unnamed(row: int) -> bool:
            cit = view.chunks[row].citation
            return (cit.document.doc_id, cit.article) not in named

        groups = {r: group(r) for r in rows - set(direct)}
        rest = sorted(groups, key=lambda r: (groups[r], unnamed(r), -fused[r]))
        out += [passage(r) for r in rest if groups[r] < 2]
        superseded = [r for r in rest if groups[r] == 2]
        if superseded and not self._good_enough(query, out, view, self.good_enough):
            room = max(k - len(out), min(len(superseded), max(1, k // 2)))
            room = min(room, max(k - len(direct_rows), 0))
            older = [passage(r) for r in superseded[: room * 2]]
            older = [p for p in older if self._good_enough(query, [p], view, self.superseded_bar)]
            out = out[: max(k - len(older[:room]), 0)] + older[:room]
        return out[:k]

    def absent(self, query: str, *, today: date | None = None) -> Absence | None:
        """The provision the query names when the loaded texts do not hold it."""
        view = self.index.view()
        on = today or datetime.now(_TZ).date()
        return absence(find_reference(query, view.documents.values()), view.chunks, on)

    # -- internals -----------------------------------------------------------------------

    def _decisive(self, lexical: Scores) -> bool:
        """BM25 alone is trusted: its best passage leads the second by `lexical_lead`."""
        if self.lexical_lead is None:
            return False
        return lexical_lead(lexical) >= self.lexical_lead

    def _dense(self, view: IndexView, query: str) -> Scores:
        """Exact cosine against every row: a few thousand rows cost well under a millisecond."""
        vec = np.asarray(self.index.embedder.embed_query(query), dtype=np.float32).reshape(-1)
        return np.asarray(view.vectors @ vec, dtype=np.float32)

    def _fuse(
        self, rows: Sequence[int], pooled: Sequence[int], dense: Scores | None, lexical: Scores
    ) -> dict[int, float]:
        """Weighted sum of scores min-max normalised over the pooled candidates."""
        weight = 0.0 if dense is None else self.dense_weight
        lex = _normalise(lexical, rows, pooled)
        if dense is None:
            return lex
        den = _normalise(dense, rows, pooled)
        return {r: weight * den[r] + (1 - weight) * lex[r] for r in rows}

    def restore(self, query: str) -> str:
        """The query with its abbreviations spelled out and, when typed without diacritics,
        its diacritics put back from the index's own vocabulary (knowledge.accents)."""
        query = expand_abbreviations(query)
        if not is_unaccented(query):
            return query
        view = self.index.view()
        if self._accents is None or self._accents[0] is not view:
            self._accents = (view, Accents.from_texts(c.embed_text for c in view.chunks))
        return self._accents[1].restore(query)

    def _article_names(self, view: IndexView) -> ArticleNames:
        """The names article headings give, computed once per view."""
        if self._names is None or self._names[0] is not view:
            self._names = (view, article_names(view.chunks))
        return self._names[1]

    def _sure(self, query: str, passages: Sequence[Passage], view: IndexView) -> bool:
        """BM25 decided alone, and a passage it put first answers by lexical evidence alone
        (else the query is embedded after all, for the ranking and the confidence)."""
        return not passages or self._good_enough(query, passages, view, self.sure)

    def _good_enough(
        self, query: str, passages: Iterable[Passage], view: IndexView, level: float
    ) -> bool:
        """One of the first `_CHECKED` passages reaches the confidence `level`."""
        terms = QuestionTerms.of(query, self.restore(query))
        if self._terms_view is not view or len(self._terms) > 4096:
            self._terms, self._terms_view = {}, view
        for n, p in enumerate(passages):
            if n >= _CHECKED:
                break
            key = (p.chunk.id, terms.unaccented)
            if key not in self._terms:
                self._terms[key] = chunk_terms(p.chunk, terms.unaccented)
            if confidence(terms.features(p, self._terms[key])) >= level:
                return True
        return False


def lexical_lead(lexical: Scores) -> float:
    """(best - second) / best of the BM25 scores; 0 when nothing matches."""
    top = top_rows(lexical, 2)
    if not top:
        return 0.0
    best = top[0][1]
    second = top[1][1] if len(top) > 1 else 0.0
    return (best - second) / best


def _best(scores: Scores, n: int) -> list[tuple[int, float]]:
    """The n highest scores, best first, whatever their sign (cosines may be negative)."""
    n = min(n, scores.size)
    if n <= 0:
        return []
    idx = np.argpartition(-scores, n - 1)[:n]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return [(int(i), float(scores[i])) for i in idx]


def _normalise(scores: Scores, rows: Sequence[int], pooled: Sequence[int]) -> dict[int, float]:
    """Min-max over the pooled candidates, clipped to [0, 1] for rows outside the pool."""
    if not pooled:
        return dict.fromkeys(rows, 0.0)
    values = scores[list(pooled)]
    low, high = float(values.min()), float(values.max())
    span = high - low
    if span <= 0:
        return {r: 1.0 if float(scores[r]) > 0 else 0.0 for r in rows}
    return {r: min(max((float(scores[r]) - low) / span, 0.0), 1.0) for r in rows}


__all__ = ["HybridRetriever", "lexical_lead"]
