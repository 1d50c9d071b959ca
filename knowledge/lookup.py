"""Direct references in a question: 'điểm a khoản 1 Điều 27', 'Nghị định 91/2017', '06/2022/QH15'.

Cadres often name the provision they mean; then the answer is that text, not whatever ranks
best. Everything is matched on the diacritic-free form so 'khoan 1 dieu 27' works too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from knowledge.documents import Chunk, DocumentMeta
from knowledge.vntext import fold, folded_syllables, normalize

_ARTICLE = re.compile(r"\bdieu\s+(\d+[a-z]?)\b")
_CLAUSE = re.compile(r"\bkhoan\s+(\d+)\b")
# 'điểm a' only when a khoản/Điều follows: 'chấm điểm a' alone is not a reference.
_POINT = re.compile(r"\bdiem\s+([a-z])\s*[,.]?\s*(?=khoan\b|dieu\b)")
_POINT_ACCENTED = re.compile(r"\bđiểm\s+([a-zđ])\b")
_FULL_NUMBER = re.compile(r"(?<![\w/])(\d{1,4})/(\d{4})/([a-z0-9]+(?:-[a-z0-9]+)*)")
_SHORT_NUMBER = re.compile(r"(?<![\w/])(\d{1,4})/(\d{4})(?![\w/])")
# Party documents: '34-CT/TW', '01-KL/TW' (no year in the number).
_SYMBOL_NUMBER = re.compile(r"(?<![\w/-])(\d{1,4})-([a-z]+)/([a-z]+)(?![\w/])")
# Words that announce a document number: 'Nghị định 91/2017', 'NĐ 91/2017', 'số 91/2017'.
_TYPE_WORDS = (
    "luat|nghi dinh|nd|thong tu|tt|quyet dinh|qd|chi thi|ct|huong dan|hd|ke hoach|kh|"
    "nghi quyet|nq|cong van|cv|van ban|so|phap lenh|thong bao|tb"
)
_TYPED_NUMBER = re.compile(rf"\b(?:{_TYPE_WORDS})\s*(?:so\s*)?(\d{{1,4}})/(\d{{4}})(?![\w/])")
_ARTICLE_NUMBER = re.compile(r"\d+[a-z]?")
_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")
_HEADING_TITLE = re.compile(r"^Điều\s+\S+?\.\s*(.*)$")
_CLAUSE_LINE = re.compile(r"^(\d{1,3})[.)](?=\s|[“\"«])")
_POINT_LINE = re.compile(r"^[a-zđ]\)\s")


@dataclass(frozen=True)
class Reference:
    """What a question names. `by_number`: documents named by number; `by_title`: by name."""

    article: str = ""
    clause: str = ""
    point: str = ""
    by_number: tuple[str, ...] = ()
    by_title: tuple[str, ...] = ()

    @property
    def documents(self) -> tuple[str, ...]:
        return self.by_number or self.by_title

    @property
    def is_empty(self) -> bool:
        return not (self.article or self.by_number or self.by_title)


def find_reference(query: str, documents: Iterable[DocumentMeta]) -> Reference:
    """Parse the provision and resolve the documents a question names."""
    text = fold(query)
    article = _first(_ARTICLE, text)
    clause = _first(_CLAUSE, text) if article else ""
    point = ""
    if clause and _POINT.search(text):
        accented = _POINT_ACCENTED.search(normalize(query))
        point = accented.group(1) if accented else _first(_POINT, text)
    docs = list(documents)
    words = folded_syllables(text)
    title_len = {d.doc_id: _title_match(words, d) for d in docs}
    longest = max(title_len.values(), default=0)
    return Reference(
        article=article,
        clause=clause,
        point=point,
        by_number=tuple(d.doc_id for d in docs if _named_by_number(text, d)),
        # 'Nghị định hướng dẫn Luật Thi đua, khen thưởng' names the decree, not the law.
        by_title=tuple(d.doc_id for d in docs if longest and title_len[d.doc_id] == longest),
    )


def lookup(ref: Reference, chunks: Sequence[Chunk]) -> list[Chunk]:
    """Chunks holding the named provision, most specific first; [] when no Điều is named or
    the named provision is not in the texts (never another provision in its place).

    Without a document the Điều is looked up in every document. A khoản resolves to its own
    chunk when the Điều was split, else to the whole-Điều chunk whose text holds it; a điểm
    likewise within its khoản.
    """
    if not ref.article:
        return []
    docs = set(ref.documents)
    found = [
        c
        for c in chunks
        if article_key(c.citation.article) == ref.article
        and (not docs or c.citation.document.doc_id in docs)
    ]
    if not ref.clause:
        return found
    out: list[Chunk] = []
    for doc_id in dict.fromkeys(c.citation.document.doc_id for c in found):
        own = [c for c in found if c.citation.document.doc_id == doc_id]
        out.extend(_in_clause(own, ref.clause, ref.point))
    return out


def _in_clause(chunks: list[Chunk], clause: str, point: str) -> list[Chunk]:
    """One document's chunks of a Điều narrowed to a khoản (and điểm)."""
    split = [c for c in chunks if c.citation.clause.strip() == clause]
    if not split:
        whole = [c for c in chunks if not c.citation.clause.strip() and _holds_clause(c, clause)]
        return [c for c in whole if not point or point in _point_letters([c], clause)]
    if not point:
        return [c for c in split if not c.citation.point.strip()] or split
    at_point = [c for c in split if c.citation.point.strip().lower() == point]
    return at_point or [c for c in split if point in _point_letters([c], clause)]


@dataclass(frozen=True)
class Absence:
    """A provision a question names that the loaded texts do not hold.

    `document`: where it was looked for (the document named, else the one in force that holds
    the Điều); None when no document holds the Điều. `articles`, `clauses`, `points`: how many
    Điều that document has, khoản its Điều has, điểm its khoản has (0 when not counted)."""

    article: str
    clause: str = ""
    point: str = ""
    document: DocumentMeta | None = None
    articles: int = 0
    clauses: int = 0
    points: int = 0


def absence(ref: Reference, chunks: Sequence[Chunk], on: date) -> Absence | None:
    """What is missing when the provision `ref` names is not in `chunks`; None when it is
    there or nothing is named."""
    if not ref.article or lookup(ref, chunks):
        return None
    named = set(ref.documents)
    in_docs = [c for c in chunks if not named or c.citation.document.doc_id in named]
    holding = [c for c in in_docs if article_key(c.citation.article) == ref.article]
    missing = Absence(ref.article, ref.clause, ref.point)
    if not holding:
        docs = {c.citation.document.doc_id: c.citation.document for c in in_docs}
        if len(docs) != 1:
            return missing
        [doc] = docs.values()
        numbers = {article_key(c.citation.article) for c in in_docs if c.citation.article}
        return replace(missing, document=doc, articles=len(numbers))
    doc = min((c.citation.document for c in holding), key=lambda d: (not d.in_force(on), d.doc_id))
    own = [c for c in holding if c.citation.document.doc_id == doc.doc_id]
    clauses = _clause_numbers(own)
    if not ref.point or ref.clause not in clauses:
        return replace(missing, document=doc, clauses=len(clauses))
    in_clause = [c for c in own if c.citation.clause.strip() == ref.clause] or own
    points = _point_letters(in_clause, ref.clause)
    return replace(missing, document=doc, clauses=len(clauses), points=len(points))


def in_force_first(chunks: Sequence[Chunk], ref: Reference, on: date) -> list[Chunk]:
    """Without a named document, a provision in force hides same-numbered ones of other texts
    ('khoản 3 Điều 24' is the Law's, not the superseded decree's)."""
    if ref.documents:
        return list(chunks)
    current = [c for c in chunks if c.citation.document.in_force(on)]
    return current or list(chunks)


def _lines(chunk: Chunk) -> list[str]:
    return [line.strip() for line in chunk.text.splitlines()]


def _holds_clause(chunk: Chunk, clause: str) -> bool:
    return clause in _clause_numbers([chunk])


def _clause_numbers(chunks: Iterable[Chunk]) -> set[str]:
    """khoản numbers of a Điều: its split chunks' citations, or '1.' lines of a whole one."""
    out: set[str] = set()
    for chunk in chunks:
        if chunk.citation.clause.strip():
            out.add(chunk.citation.clause.strip())
            continue
        for line in _lines(chunk):
            match = _CLAUSE_LINE.match(line)
            if match:
                out.add(match.group(1))
    return out


def _point_letters(chunks: Iterable[Chunk], clause: str) -> set[str]:
    """điểm letters under khoản `clause` (the lines between its number and the next one)."""
    out: set[str] = set()
    for chunk in chunks:
        if chunk.citation.point.strip():
            out.add(chunk.citation.point.strip().lower())
            continue
        inside = bool(chunk.citation.clause.strip())
        for line in _lines(chunk):
            match = _CLAUSE_LINE.match(line)
            if match:
                inside = match.group(1) == clause
            elif inside and _POINT_LINE.match(line):
                out.add(line[0])
    return out


ArticleNames = dict[tuple[str, str], tuple[list[str], ...]]


def article_names(chunks: Iterable[Chunk]) -> ArticleNames:
    """(doc_id, Điều) -> the names its heading gives, for articles whose heading has any."""
    out: ArticleNames = {}
    for chunk in chunks:
        cit = chunk.citation
        if cit.article and cit.headings:
            names = _heading_names(cit.headings[-1])
            if names:
                out.setdefault((cit.document.doc_id, cit.article), names)
    return out


def named_articles(query: str, names: ArticleNames) -> set[tuple[str, str]]:
    """(doc_id, Điều) of the articles whose heading names what the question names.

    The Law heads the article that defines an award with its name in quotes: 'Điều 24. Danh
    hiệu “Lao động tiên tiến”, “Chiến sĩ tiên tiến”', 'Điều 44. “Huân chương Lao động” hạng
    Ba'. A question containing such a name (or such a whole title) leads to that article, not
    to one that mentions the award in passing ('Tập thể lao động tiên tiến'); when several
    match, the longest name wins. Unquoted titles ('Hình thức khen thưởng') are ordinary
    words, and names under three syllables are too, so neither counts (`article_names`)."""
    words = folded_syllables(query)
    best, found = 0, set[tuple[str, str]]()
    for key, candidates in names.items():
        length = max((len(n) for n in candidates if _contains(words, n)), default=0)
        if length and length >= best:
            if length > best:
                best, found = length, set()
            found.add(key)
    return found


@lru_cache(maxsize=4096)
def _heading_names(heading: str) -> tuple[list[str], ...]:
    quoted = _QUOTED.findall(heading)
    if not quoted:
        return ()
    title = _HEADING_TITLE.match(heading)
    names = [*quoted, title.group(1)] if title else quoted
    return tuple(n for n in (folded_syllables(name) for name in names) if len(n) >= 3)


def article_key(article: str) -> str:
    """'Điều 24.' / '24' / '24a' -> '24' / '24' / '24a' (as parsed from questions)."""
    match = _ARTICLE_NUMBER.search(fold(article))
    return match.group(0) if match else ""


def _first(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    return match.group(1) if match else ""


@lru_cache(maxsize=1024)
def number_key(doc_number: str) -> tuple[int, int, str] | None:
    """'98/2023/NĐ-CP' -> (98, 2023, 'ndcp'); '152/2025' -> (152, 2025, ''); '34-CT/TW' ->
    (34, 0, 'cttw'); None when the text holds no document number."""
    folded = fold(doc_number)
    # '91/2017/ NĐ-CP' as typed loses its space; 'Nghị định 98/2023/NĐ-CP' keeps its words apart
    match = _FULL_NUMBER.search(folded) or _FULL_NUMBER.search(folded.replace(" ", ""))
    if match:
        return int(match.group(1)), int(match.group(2)), match.group(3).replace("-", "")
    short = _SHORT_NUMBER.search(folded)
    if short:
        return int(short.group(1)), int(short.group(2)), ""
    symbol = _SYMBOL_NUMBER.search(folded)
    return (int(symbol.group(1)), 0, symbol.group(2) + symbol.group(3)) if symbol else None


def named_numbers(query: str) -> list[tuple[tuple[int, int, str], str]]:
    """Document numbers a question names, in order, each with its key and the words as
    typed: '98/2023/NĐ-CP', 'Nghị định 98/2023', '34-CT/TW'. A bare 'N/YYYY' counts only
    after a type word ('tháng 1/2024' is a date)."""
    typed = unicodedata.normalize("NFC", query)
    folded = fold(typed)
    if len(folded) != len(typed):  # spans must line up to show the words as typed
        typed = folded
    hits: list[tuple[int, tuple[int, int, str], str]] = []
    for pattern, key_of in (
        (_FULL_NUMBER, lambda m: (int(m[1]), int(m[2]), m[3].replace("-", ""))),
        (_TYPED_NUMBER, lambda m: (int(m[1]), int(m[2]), "")),
        (_SYMBOL_NUMBER, lambda m: (int(m[1]), 0, m[2] + m[3])),
    ):
        hits.extend(
            (m.start(), key_of(m), typed[m.start() : m.end()]) for m in pattern.finditer(folded)
        )
    out: dict[tuple[int, int, str], tuple[tuple[int, int, str], str]] = {}
    for _, key, shown in sorted(hits, key=lambda h: h[0]):
        same = next((k for k in out if k[:2] == key[:2] and (k[1] or k == key)), None)
        if same is None:
            out[key] = (key, shown)
        elif key[2] and not same[2]:  # 'NĐ 98/2023 … 98/2023/NĐ-CP': keep the full number
            out[same] = (key, shown)
    return list(out.values())


# What names a document or a provision: 'Nghị định 91/2017/NĐ-CP', '06/2022/QH15', 'khoản 1
# Điều 24', 'điểm a'. The typed-number form comes first so its type word goes with it.
_REFERENCES = (
    _TYPED_NUMBER,
    re.compile(rf"\b(?:{_TYPE_WORDS})\s*(?:so\s*)?(?=\d{{1,4}}/\d{{4}}/)"),
    _FULL_NUMBER,
    _SYMBOL_NUMBER,
    re.compile(r"\b(?:dieu|khoan)\s+\d+[a-z]?\b"),
    re.compile(r"\bdiem\s+[a-z]\b(?=\s*[,.]?\s*(?:khoan|dieu)\b)"),
)


def without_references(text: str) -> str:
    """The text without the document numbers and provisions it names: what is left is what
    it asks about ('Nghị định 91/2017 quy định gì về Cờ thi đua' -> ' quy định gì về Cờ thi
    đua'). Unchanged when its folded form does not line up with it."""
    typed = unicodedata.normalize("NFC", text)
    folded = fold(typed)
    if len(folded) != len(typed):
        return typed
    spans = sorted(m.span() for pattern in _REFERENCES for m in pattern.finditer(folded))
    out, end = [], 0
    for start, stop in spans:
        if start >= end:
            out.append(typed[end:start])
        end = max(end, stop)
    out.append(typed[end:])
    return " ".join("".join(out).split())


def _named_by_number(text: str, doc: DocumentMeta) -> bool:
    return names_number(text, doc.doc_number)


def names_number(text: str, doc_number: str) -> bool:
    """Whether the folded `text` names the document numbered `doc_number`."""
    parts = number_key(doc_number)
    if parts is None:
        return False
    number, year, suffix = parts
    if not year:
        return any(
            (int(m.group(1)), m.group(2) + m.group(3)) == (number, suffix)
            for m in _SYMBOL_NUMBER.finditer(text)
        )
    for m in _FULL_NUMBER.finditer(text):
        if (int(m.group(1)), int(m.group(2))) == (number, year) and (
            not suffix or m.group(3).replace("-", "") == suffix
        ):
            return True
    # A bare 'N/YYYY' counts only after a type word: 'tháng 1/2024' is a date, not a text.
    return any(
        (int(m.group(1)), int(m.group(2))) == (number, year) for m in _TYPED_NUMBER.finditer(text)
    )


def _title_match(query: list[str], doc: DocumentMeta) -> int:
    """Length of the document's name found as consecutive syllables of the question, or 0."""
    return max((len(n) for n in _names(doc.doc_type, doc.title) if _contains(query, n)), default=0)


@lru_cache(maxsize=1024)
def _names(doc_type: str, title: str) -> tuple[list[str], ...]:
    """'Luật' + 'Thi đua, khen thưởng' as syllable lists; under three syllables never counts:
    too likely to be ordinary words."""
    kind = folded_syllables(doc_type)
    name = folded_syllables(title)
    names = [name]
    if kind and name[: len(kind)] != kind:
        names.append(kind + name)
    return tuple(n for n in names if len(n) >= 3)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))
