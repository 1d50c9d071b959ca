"""Which lines of a passage answer the question, and the excerpt an answer shows of an article.

A chunk is a whole Điều (or one khoản of a long one). The lines that answer are those sharing
the question's words that the article's heading does not already say ('thẩm quyền' in
'Điều 80. Thẩm quyền của …' names every khoản, so it tells them apart from nothing). Two
question forms also say what kind of line answers: 'ai …', 'cấp nào …', '… thẩm quyền' wants
the lines naming who decides; 'bao nhiêu', 'mấy', 'khi nào' wants a line with a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from knowledge.confidence import QuestionTerms, is_direct
from knowledge.documents import Passage
from knowledge.lookup import find_reference
from knowledge.vntext import bigrams, fold, folded_syllables, syllables

ELLIPSIS = "…"  # where an excerpt leaves text out
_Predicate = Callable[[str], bool]
_Tokeniser = Callable[[str], list[str]]

_CLAUSE = re.compile(r"^\d{1,3}[.)](?=\s|[“\"«])")
_POINT = re.compile(r"^[a-zđ]\)\s")
_ARTICLE_HEADING = re.compile(r"^(?:Điều|ĐIỀU)\s+\d+[a-zđ]?\b")
_HEADING_NUMBER = re.compile(r"^(?:Điều|ĐIỀU)\s+\d+[a-zđ]?\.?\s*")
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ])")
_DIGIT = re.compile(r"\d")
_QUOTED = re.compile(r"“([^”]{3,80})”")
_LONG_LINE = 400
_CONTEXT_CHARS = 240  # a list intro kept only as context is cut after this many characters
_WHOLE_TEXT_UNITS = 3  # chunks this short are quoted whole
_MAX_UNITS = 12

# Question words (folded) asking who decides, and the words of a line that names who does.
_WHO = ("ai", "tham quyen", "cap nao", "nguoi nao", "co quan nao", "don vi nao")
_ACTORS = (
    "quyet dinh",
    "thu truong",
    "chu tich",
    "giam doc",
    "bo truong",
    "thu tuong",
    "nguoi dung dau",
    "chinh phu",
    "uy ban thuong vu",
)
# Question words (folded) asking for a number: a count, a share, a time.
_HOW_MANY = ("bao nhieu", "may", "khi nao", "bao lau", "ngay nao", "nam nao", "thoi han")


@dataclass
class Unit:
    """A line of a chunk: a khoản ('1.'), a điểm ('a)') or plain text, linked to its intro."""

    text: str
    kind: str  # "clause", "point" or "plain"
    parent: int | None = None  # index of the intro line a clause/point hangs from
    children: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """The units of one passage and which of them to quote (indices, text order)."""

    passage: Passage
    units: list[Unit]
    keep: list[int]

    @property
    def lines(self) -> list[str]:
        return [self.units[i].text for i in self.keep]

    @property
    def whole(self) -> bool:
        """Every line of the text after its heading is quoted."""
        start = 1 if len(self.units) > 1 and _is_heading(self.units[0].text) else 0
        return self.keep == list(range(start, len(self.units)))

    def clauses(self) -> list[str]:
        """The khoản numbers the quoted lines fall under, in text order ([] when the whole
        text is quoted: the basis is then the Điều)."""
        own = self.passage.chunk.citation.clause
        if own:
            return [own]
        if self.whole:
            return []
        out: list[str] = []
        for i in self.keep:
            unit = self.units[i]
            if unit.kind == "point" and unit.parent is not None:
                unit = self.units[unit.parent]
            number = re.split(r"[.)]", unit.text, maxsplit=1)[0] if unit.kind == "clause" else ""
            if number and number not in out:
                out.append(number)
        return out

    def part(self) -> tuple[str, str]:
        """(khoản, điểm) every quoted line falls under; '' for a part that is not exactly one."""
        citation = self.passage.chunk.citation
        if self.whole:
            return citation.clause, citation.point
        clauses: set[str] = {citation.clause} if citation.clause else set()
        points: set[str] = set()
        for i in self.keep:
            unit = self.units[i]
            if unit.kind == "point":
                points.add(unit.text.split(")", 1)[0])
                if unit.parent is not None:
                    unit = self.units[unit.parent]
            if unit.kind == "clause" and not citation.clause:
                clauses.add(re.split(r"[.)]", unit.text, maxsplit=1)[0])
        clause = clauses.pop() if len(clauses) == 1 else ""
        point = points.pop() if len(points) == 1 and clause else ""
        return clause, point


@dataclass(frozen=True)
class Excerpt:
    """What an answer shows of one article: its heading, then the quoted lines with ELLIPSIS
    where text is left out. `clauses`: the khoản quoted, in order; `point`: the điểm when the
    quote is exactly one."""

    heading: str
    lines: tuple[str, ...]
    passages: tuple[Passage, ...]
    clauses: tuple[str, ...]
    point: str = ""


def select(question: str, passage: Passage, restored: str | None = None) -> Selection:
    """The lines of the passage that answer the question, with their list intros
    (`restored`: the question's diacritics put back, see QuestionTerms.of)."""
    units = split_units(passage.chunk.text)
    if not units:
        return Selection(passage, units, [])
    start = 1 if _is_heading(units[0].text) and len(units) > 1 else 0
    body = list(range(start, len(units)))
    if is_direct(passage):  # the question names this provision: show it, or the part named
        ref = find_reference(question, ())
        named = _named_part(units, ref.clause, ref.point) if ref.clause else []
        return Selection(passage, units, named or body[:_MAX_UNITS])
    if len(body) <= _WHOLE_TEXT_UNITS:
        return Selection(passage, units, body)
    terms = QuestionTerms.of(question, restored)
    return Selection(passage, units, _matching(question, terms, passage, units, body))


def _matching(
    question: str, terms: QuestionTerms, passage: Passage, units: list[Unit], body: list[int]
) -> list[int]:
    tokenise = folded_syllables if terms.unaccented else syllables
    heading = _heading_words(passage, tokenise)
    content = terms.content - heading[0]
    pairs = terms.pairs - heading[1]
    bags = [_bag(tokenise(u.text)) for u in units]
    weight = _local_idf(bags)
    # A line answers by the question's words it holds, and more so when it quotes a name the
    # question gives (“Lao động tiên tiến”); shared pairs only order the lines.
    asked = f" {' '.join(folded_syllables(question))} "
    bonus = max(weight.values(), default=0.0)
    named = {i: bonus * _names_asked(units[i].text, asked) for i in body}
    scores = {i: _overlap(content, frozenset(), bags[i], weight) + named[i] for i in body}
    order = {i: _overlap(content, pairs, bags[i], weight) + named[i] for i in body}
    wanted = _answer_kind(question)
    if wanted is not None:
        fitting = [i for i in body if wanted(fold(units[i].text))]
        if fitting:
            scores = {i: scores[i] for i in fitting}
    best = max(scores.values())
    if best == 0 and wanted is None:  # nothing to match on: show the provision from the top
        return body[:_MAX_UNITS]
    keep: set[int] = set()
    for i in sorted(scores, key=lambda i: (-scores[i], -order[i], i)):
        if scores[i] < 0.8 * best or len(keep) >= _MAX_UNITS:
            break
        keep.add(i)
        parent = units[i].parent
        if parent is not None:
            keep.add(parent)
        children = units[i].children
        if children and units[i].text.endswith(":"):
            said_words, said_pairs = bags[i]
            rest = [
                _overlap(content - said_words, pairs - said_pairs, bags[c], weight)
                for c in children
            ]
            top = max(rest)
            keep.update(c for c, r in zip(children, rest, strict=True) if r >= 0.8 * top)
    return sorted(keep)[:_MAX_UNITS]


def _names_asked(line: str, asked: str) -> int:
    """How many of the names a line quotes (“Lao động tiên tiến”) the question gives."""
    return sum(f" {' '.join(folded_syllables(name))} " in asked for name in _QUOTED.findall(line))


def _answer_kind(question: str) -> _Predicate | None:
    """What an answering line holds, when the question's form says: who decides, a number."""
    words = f" {' '.join(folded_syllables(question))} "
    if any(f" {cue} " in words for cue in _WHO):
        return lambda line: any(actor in line for actor in _ACTORS)
    if any(f" {cue} " in words for cue in _HOW_MANY):
        return lambda line: bool(_DIGIT.search(line))
    return None


def excerpts(selections: Sequence[Selection]) -> list[Excerpt]:
    """One excerpt per article, its passages in text order; the article's heading first."""
    groups: dict[tuple[str, str], list[Selection]] = {}
    for selection in selections:
        citation = selection.passage.chunk.citation
        key = (citation.document.doc_id, citation.article or selection.passage.chunk.id)
        groups.setdefault(key, []).append(selection)
    out = []
    for group in groups.values():
        group.sort(key=lambda s: _clause_order(s.passage))
        lines: list[str] = []
        previous = 0  # the khoản number of the last split chunk shown
        for selection in group:
            number = _clause_order(selection.passage)[0]
            if number and number != previous + 1:
                lines.append(ELLIPSIS)  # khoản left out before this one
            previous = number
            lines.extend(_with_gaps(selection))
        clauses = tuple(dict.fromkeys(c for s in group for c in s.clauses()))
        parts = {s.part() for s in group}
        point = parts.pop()[1] if len(parts) == 1 and len(clauses) == 1 else ""
        out.append(
            Excerpt(
                heading=_heading(group[0]),
                lines=tuple(_squeeze(lines)),
                passages=tuple(s.passage for s in group),
                clauses=clauses,
                point=point,
            )
        )
    return out


def _with_gaps(selection: Selection) -> list[str]:
    """The kept lines, with ELLIPSIS for every run of lines left out; a long list intro kept
    only to introduce its points is cut short."""
    units, kept = selection.units, set(selection.keep)
    start = 1 if len(units) > 1 and _is_heading(units[0].text) else 0
    lines: list[str] = []
    previous = start - 1
    for i in sorted(kept):
        if i > previous + 1:
            lines.append(ELLIPSIS)
        text = units[i].text
        intro = any(c in kept for c in units[i].children)
        lines.append(_trim(text) if intro and len(text) > _LONG_LINE else text)
        previous = i
    if previous < len(units) - 1:
        lines.append(ELLIPSIS)
    return lines


def _squeeze(lines: list[str]) -> list[str]:
    """No two ELLIPSIS lines in a row."""
    out: list[str] = []
    for line in lines:
        if line == ELLIPSIS and out and out[-1] == ELLIPSIS:
            continue
        out.append(line)
    return out


def _trim(text: str) -> str:
    cut = text[:_CONTEXT_CHARS].rsplit(" ", 1)[0]
    return f"{cut} {ELLIPSIS}"


def _heading(selection: Selection) -> str:
    """'Điều 75. Giấy khen': the chunk's first line, else the last heading of its citation."""
    units = selection.units
    if units and _ARTICLE_HEADING.match(units[0].text):
        return units[0].text
    headings = selection.passage.chunk.citation.headings
    return headings[-1] if headings and _ARTICLE_HEADING.match(headings[-1]) else ""


def _clause_order(passage: Passage) -> tuple[int, str]:
    clause = passage.chunk.citation.clause
    return (int(clause), "") if clause.isdigit() else (0, clause)


def _heading_words(passage: Passage, tokenise: _Tokeniser) -> tuple[frozenset[str], frozenset[str]]:
    """Syllables and pairs of the article's name ('Điều 80. Thẩm quyền …' without 'Điều 80')."""
    headings = passage.chunk.citation.headings
    first = passage.chunk.text.split("\n", 1)[0]
    name = headings[-1] if headings else (first if _ARTICLE_HEADING.match(first) else "")
    if not _ARTICLE_HEADING.match(name):
        return frozenset(), frozenset()
    tokens = tokenise(_HEADING_NUMBER.sub("", name))
    return frozenset(tokens), frozenset(bigrams(tokens))


def _named_part(units: list[Unit], clause: str, point: str) -> list[int]:
    """'khoản 1' -> the khoản and its điểm; 'điểm b khoản 1' -> the khoản line and điểm b."""
    for index, unit in enumerate(units):
        if unit.kind == "clause" and re.match(rf"{re.escape(clause)}[.)]", unit.text):
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


def split_units(text: str) -> list[Unit]:
    """Lines as clauses ('1.'), points ('a)') or plain lines, linked to the intro above them."""
    units: list[Unit] = []
    intro: int | None = None  # last plain line ending with ':'
    clause: int | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _CLAUSE.match(line):
            units.append(Unit(line, "clause", parent=intro))
            clause = len(units) - 1
        elif _POINT.match(line):
            parent = clause if clause is not None and units[clause].text.endswith(":") else intro
            units.append(Unit(line, "point", parent=parent))
        else:
            parts = _SENTENCE_END.split(line) if len(line) > _LONG_LINE else [line]
            for part in parts:
                units.append(Unit(part, "plain"))
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
