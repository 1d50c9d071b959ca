"""Extractive, grounded answers: which passage answers, which of its clauses to quote, or none.

No user-facing prose here: the bot words the answer from its Vietnamese catalogue. The
confidence is absolute (see confidence.py), so a question the texts do not cover is refused
however the passages rank among themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.confidence import DEFAULT_THRESHOLD, QuestionTerms, confidence, is_direct
from knowledge.documents import Passage
from knowledge.lookup import find_reference
from knowledge.vntext import bigrams, folded_syllables, syllables

_CLAUSE = re.compile(r"^\d+[.)]\s")
_POINT = re.compile(r"^[a-zđ]\)\s")
_ARTICLE_HEADING = re.compile(r"^(?:Điều|ĐIỀU)\s+\d+[a-zđ]?\b")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ])")
_LONG_LINE = 400
_WHOLE_TEXT_UNITS = 3  # chunks this short are quoted whole
_MAX_UNITS = 12


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


class ExtractiveAnswerer:
    """Picks the first passage (in retrieval order) whose confidence reaches `threshold`.

    A second primary is added when it is close on both confidence (`close_margin`) and
    retrieval score (`close_score` times the first's), e.g. two khoản of a named Điều.
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        close_margin: float = 0.05,
        close_score: float = 0.9,
        see_also_margin: float = 0.1,
        checked: int = 10,
    ) -> None:
        self.threshold = threshold
        self.close_margin = close_margin
        self.close_score = close_score
        self.see_also_margin = see_also_margin
        self.checked = checked

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        terms = QuestionTerms.of(question)
        scored = [(p, confidence(terms.features(p))) for p in passages[: self.checked]]
        good = [(p, c) for p, c in scored if c >= self.threshold]
        if not good:
            return Answer(found=False, confidence=max((c for _, c in scored), default=0.0))
        best, best_conf = good[0]
        primary = [best]
        for p, c in good[1:]:
            if (
                c >= best_conf - self.close_margin
                and p.score >= best.score * self.close_score
                and p.chunk.id != best.chunk.id
            ):
                primary.append(p)
                break
        picked = [_quote_units(question, p) for p in primary]
        return Answer(
            found=True,
            confidence=best_conf,
            primary=primary,
            quotes=[units[i].text for units, keep in picked for i in keep],
            see_also=self._see_also(primary, scored),
            quoted_parts=[_single_clause(units, keep) for units, keep in picked],
        )

    def _see_also(
        self, primary: list[Passage], scored: list[tuple[Passage, float]]
    ) -> list[Passage]:
        """Up to two more passages from other sources (document + Điều) that nearly qualify."""
        seen = {_source(p) for p in primary}
        out: list[Passage] = []
        for p, c in scored:
            if len(out) == 2:
                break
            if c >= self.threshold - self.see_also_margin and _source(p) not in seen:
                seen.add(_source(p))
                out.append(p)
        return out


def _source(p: Passage) -> tuple[str, str]:
    cit = p.chunk.citation
    return cit.document.doc_id, cit.article or p.chunk.id


@dataclass
class _Unit:
    text: str
    kind: str  # "clause", "point" or "plain"
    parent: int | None = None  # index of the intro line a clause/point hangs from
    children: list[int] = field(default_factory=list)


def quote(question: str, passage: Passage) -> list[str]:
    """The clause(s) of the passage that best match the question, with their list intro."""
    units, keep = _quote_units(question, passage)
    return [units[i].text for i in keep]


def _single_clause(units: list[_Unit], keep: list[int]) -> tuple[str, str]:
    """(khoản, điểm) all quoted lines fall under; '' for a part that is not exactly one."""
    clauses: set[str] = set()
    points: set[str] = set()
    for i in keep:
        unit = units[i]
        if unit.kind == "point":
            points.add(unit.text.split(")", 1)[0])
            if unit.parent is not None:
                unit = units[unit.parent]
        if unit.kind == "clause":
            clauses.add(re.split(r"[.)]", unit.text, maxsplit=1)[0])
    clause = clauses.pop() if len(clauses) == 1 else ""
    point = points.pop() if len(points) == 1 and len(clauses) <= 1 else ""
    return clause, point


def _quote_units(question: str, passage: Passage) -> tuple[list[_Unit], list[int]]:
    """Indices of the units to quote, in text order.

    When the best match is a list intro ('... tiêu chuẩn sau:'), its items are kept: those
    matching what the intro does not already say, or all of them when none does.
    """
    units = _units(passage.chunk.text)
    if not units:
        return units, []
    start = 1 if _is_heading(units[0].text) and len(units) > 1 else 0
    body = list(range(start, len(units)))
    if is_direct(passage):  # the question names this provision: show it, or the part named
        ref = find_reference(question, ())
        named = _named_part(units, ref.clause, ref.point) if ref.clause else []
        return units, named or body[:_MAX_UNITS]
    if len(body) <= _WHOLE_TEXT_UNITS:
        return units, body
    terms = QuestionTerms.of(question)
    tokenise = folded_syllables if terms.unaccented else syllables
    bags = [_bag(tokenise(u.text)) for u in units]
    weight = _local_idf(bags)
    scores = [_overlap(terms.content, terms.pairs, bag, weight) for bag in bags]
    if start:
        scores[0] = 0.0  # the Điều's name is in the citation already
    best = max(scores)
    if best == 0:  # nothing to match on (e.g. 'Điều 24'): show the provision from the top
        return units, body[:_MAX_UNITS]
    ranked = sorted(range(len(units)), key=lambda i: (-scores[i], i))
    keep: set[int] = set()
    for i in (i for i in ranked[:3] if scores[i] >= 0.8 * best):
        keep.add(i)
        parent = units[i].parent
        if parent is not None:
            keep.add(parent)
        children = units[i].children
        if children and units[i].text.endswith(":"):
            said_words, said_pairs = bags[i]
            rest = [
                _overlap(terms.content - said_words, terms.pairs - said_pairs, bags[c], weight)
                for c in children
            ]
            top = max(rest)
            keep.update(c for c, r in zip(children, rest, strict=True) if r >= 0.8 * top)
    return units, sorted(keep)[:_MAX_UNITS]


def _named_part(units: list[_Unit], clause: str, point: str) -> list[int]:
    """'khoản 1' -> the khoản and its điểm; 'điểm b khoản 1' -> the khoản line and điểm b."""
    for index, unit in enumerate(units):
        if unit.kind == "clause" and re.match(rf"{re.escape(clause)}[.)]\s", unit.text):
            chosen = [c for c in unit.children if point and units[c].text.startswith(f"{point})")]
            return [index, *(chosen or unit.children)]
    return []


def _bag(tokens: list[str]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(tokens), frozenset(bigrams(tokens))


def _local_idf(bags: list[tuple[frozenset[str], frozenset[str]]]) -> dict[str, float]:
    """Terms found in fewer lines of the chunk say more about which line is meant."""
    count: dict[str, int] = {}
    for words, pairs in bags:
        for term in words | pairs:
            count[term] = count.get(term, 0) + 1
    return {term: math.log(1 + len(bags) / n) for term, n in count.items()}


def _overlap(
    content: frozenset[str],
    pairs: frozenset[str],
    bag: tuple[frozenset[str], frozenset[str]],
    weight: dict[str, float],
) -> float:
    """Weighted content syllables a text shares with the question, shared pairs counted double."""
    words, word_pairs = bag
    return sum(weight[t] for t in content & words) + 2.0 * sum(
        weight[p] for p in pairs & word_pairs
    )


def _units(text: str) -> list[_Unit]:
    """Lines as clauses ('1.'), points ('a)') or plain lines, linked to the intro above them."""
    units: list[_Unit] = []
    intro: int | None = None  # last plain line ending with ':'
    clause: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _CLAUSE.match(line):
            units.append(_Unit(line, "clause", parent=intro))
            clause = len(units) - 1
        elif _POINT.match(line):
            parent = clause if clause is not None and units[clause].text.endswith(":") else intro
            units.append(_Unit(line, "point", parent=parent))
        else:
            parts = _SENTENCE_END.split(line) if len(line) > _LONG_LINE else [line]
            for part in parts:
                units.append(_Unit(part, "plain"))
            if line.endswith(":"):
                intro, clause = len(units) - 1, None
            continue
        parent_index = units[-1].parent
        if parent_index is not None:
            units[parent_index].children.append(len(units) - 1)
    return units


def _is_heading(line: str) -> bool:
    """'Điều 24. …', or a short first line without closing punctuation: a name, not content."""
    if _ARTICLE_HEADING.match(line):
        return True
    return len(line) < 120 and not line.endswith((".", ":", ";"))
