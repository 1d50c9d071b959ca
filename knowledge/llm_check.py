"""Our check of a language model's answer against the clauses it was given: shown only if it
holds, never trusted because the model says so.

Every sentence must carry at least one `[n]` marker naming a clause that was given; every
number, percentage, date, document number, Điều/khoản/điểm and award title in a sentence must
appear in a clause that sentence cites (its text or its citation); a quoted passage must match
the cited text within a small edit budget (as Onyx's quote matching does). "Không đủ căn cứ"
anywhere is the model declining. Pure Python: the bot words nothing here.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from knowledge.documents import Passage
from knowledge.vntext import fold

# Reasons, stable strings for logs and `thidua ask --json`.
INSUFFICIENT = "insufficient"  # the model said the clauses do not answer
EMPTY = "empty"
NO_MARKER = "sentence_without_marker"
BAD_MARKER = "marker_out_of_range"
NUMBER = "unsupported_number"
PERCENT = "unsupported_percentage"
DATE = "unsupported_date"
DOCUMENT = "unsupported_document_number"
PROVISION = "unsupported_provision"
TITLE = "unsupported_title"
QUOTE = "quote_mismatch"

T = TypeVar("T")
# Characters of a quote that may differ from the clause it cites (a slip, a dropped word):
# a tenth of the quote, never more than this, so a long quote cannot carry an invented phrase.
QUOTE_EDITS = 8

# The Law's titles and forms of commendation, longest first so "Huân chương Lao động hạng
# Nhất" is one mention, not "Huân chương Lao động" plus a stray "hạng Nhất".
TITLES = sorted(
    (
        "Huân chương Sao vàng",
        "Huân chương Hồ Chí Minh",
        "Huân chương Độc lập",
        "Huân chương Quân công",
        "Huân chương Lao động",
        "Huân chương Bảo vệ Tổ quốc",
        "Huân chương Chiến công",
        "Huân chương Đại đoàn kết dân tộc",
        "Huân chương Dũng cảm",
        "Huân chương Hữu nghị",
        "Huy chương Quân kỳ quyết thắng",
        "Huy chương Vì an ninh Tổ quốc",
        "Huy chương Chiến sĩ vẻ vang",
        "Huy chương Hữu nghị",
        "Anh hùng Lao động",
        "Anh hùng Lực lượng vũ trang nhân dân",
        "Bà mẹ Việt Nam anh hùng",
        "Chiến sĩ thi đua toàn quốc",
        "Chiến sĩ thi đua bộ, ban, ngành, tỉnh",
        "Chiến sĩ thi đua cấp bộ",
        "Chiến sĩ thi đua cấp tỉnh",
        "Chiến sĩ thi đua cơ sở",
        "Lao động tiên tiến",
        "Chiến sĩ tiên tiến",
        "Tập thể lao động xuất sắc",
        "Tập thể lao động tiên tiến",
        "Đơn vị quyết thắng",
        "Đơn vị tiên tiến",
        "Cờ thi đua của Chính phủ",
        "Cờ thi đua",
        "Bằng khen của Thủ tướng Chính phủ",
        "Bằng khen",
        "Giấy khen",
        "Giải thưởng Hồ Chí Minh",
        "Giải thưởng Nhà nước",
        "Nhà giáo nhân dân",
        "Nhà giáo ưu tú",
        "Thầy thuốc nhân dân",
        "Thầy thuốc ưu tú",
        "Nghệ sĩ nhân dân",
        "Nghệ sĩ ưu tú",
        "Nghệ nhân nhân dân",
        "Nghệ nhân ưu tú",
        "Kỷ niệm chương",
        "Gia đình văn hóa",
        "Thôn văn hóa",
        "Tổ dân phố văn hóa",
    ),
    key=len,
    reverse=True,
)
_RANK = r"(?:\s+hạng\s+(?:nhất|nhì|ba))?"
_TITLE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(fold(t)) for t in TITLES) + ")" + fold(_RANK) + r"(?!\w)"
)

_MARKER_RUN = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_MARKER_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r".+?(?:[.!?…](?=\s|$)|$)", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d{1,3}[.)]|[a-zđ]\))\s+")
_OWN_BASIS = re.compile(r"^\s*\**\s*(?:căn cứ|nguồn|tham khảo)\s*\**\s*:", re.IGNORECASE)
_THINKING = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)

_DATE_SLASH = re.compile(r"(?<![\d/])(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?![\d/])")
_DATE_WORDS = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DOC_NUMBER = re.compile(r"(?<![\w/])\d{1,4}/\d{4}(?:/[\wĐđ]+(?:-[\wĐđ]+)*)?", re.UNICODE)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:%|phần\s+trăm)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w])\d+(?:[.,]\d+)*")
_ARTICLE = re.compile(r"\bđiều\s+(\d+[a-zđ]?)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\bkhoản\s+(\d+)\b", re.IGNORECASE)
_POINT = re.compile(r"\bđiểm\s+([a-zđ])\b", re.IGNORECASE)
_LINE_CLAUSE = re.compile(r"^\s*(\d{1,3})[.)]\s", re.MULTILINE)
_LINE_POINT = re.compile(r"^\s*([a-zđ])\)\s", re.MULTILINE)
_QUOTED = re.compile(r"«([^»]+)»|“([^”]+)”|\"([^\"]+)\"")
_STOPS = re.compile(r"\.(?=\s)")
_MASK = "\ue000"  # a full stop inside a quotation, while sentences are split
_QUOTE_MARKS = re.compile(r"[«»“”\"‘’]")


@dataclass(frozen=True)
class Verdict:
    """Whether the answer may be shown; `cited`: the clause numbers its sentences use."""

    ok: bool
    reason: str = ""
    detail: str = ""  # the sentence part that failed, for the log
    text: str = ""  # the answer as shown: the model's own basis lines and thinking removed
    cited: tuple[int, ...] = field(default=())


def declined(text: str) -> bool:
    return "khong du can cu" in fold(text)


def check(answer: str, clauses: Sequence[Passage]) -> Verdict:
    """The verdict on `answer`, written from `clauses` numbered [1]..[len(clauses)]."""
    text = _cleaned(answer)
    if declined(text):
        return Verdict(False, INSUFFICIENT)
    sentences = split_sentences(text)
    if not sentences:
        return Verdict(False, EMPTY)
    evidence = [_Evidence.of(p) for p in clauses]
    cited: set[int] = set()
    for sentence in sentences:
        numbers = markers(sentence)
        if not numbers:
            return Verdict(False, NO_MARKER, sentence)
        if any(n < 1 or n > len(clauses) for n in numbers):
            return Verdict(False, BAD_MARKER, sentence)
        cited.update(numbers)
        bare = _MARKER_RUN.sub(" ", sentence)
        reason, detail = _unsupported(bare, [evidence[n - 1] for n in numbers])
        if reason:
            return Verdict(False, reason, detail)
    return Verdict(True, text=text, cited=tuple(sorted(cited)))


def _cleaned(answer: str) -> str:
    """NFC, without a reasoning model's <think> block or the model's own basis lines (ours
    is built from the cited clauses)."""
    text = _THINKING.sub("", unicodedata.normalize("NFC", answer))
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "\n".join(line for line in lines if not _OWN_BASIS.match(line)).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences with their markers (a marker after the full stop belongs before it); list
    bullets and numbering are dropped, lines without a letter or digit skipped."""
    out: list[str] = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        masked = _QUOTED.sub(lambda m: _STOPS.sub(_MASK, m.group()), line)  # «A. B» is one
        for match in _SENTENCE.finditer(masked):
            part = match.group().replace(_MASK, ".").strip()
            if not part:
                continue
            if out and not _has_words(_MARKER_RUN.sub("", part)):
                out[-1] = f"{out[-1]} {part}"  # "… 70%. [1]": the marker closes the sentence
                continue
            out.append(part)
    return out


def _has_words(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in ("L", "N") for ch in text)


def markers(sentence: str) -> list[int]:
    return [int(n) for run in _MARKER_RUN.findall(sentence) for n in _MARKER_NUMBER.findall(run)]


@dataclass(frozen=True)
class _Evidence:
    """What one clause can vouch for: its text and citation, read the way an answer is."""

    folded: str
    numbers: frozenset[str]
    percents: frozenset[str]
    dates: frozenset[tuple[int, int, int]]
    documents: frozenset[str]
    articles: frozenset[str]
    clauses: frozenset[str]
    points: frozenset[str]
    raw: str

    @classmethod
    def of(cls, passage: Passage) -> _Evidence:
        cit = passage.chunk.citation
        doc = cit.document
        meta_dates = [d for d in (doc.issued, doc.effective_from, doc.effective_to) if d]
        context = " ".join(
            [*cit.headings, passage.chunk.title, doc.title, doc.doc_number, doc.replaced_by]
        )
        body = unicodedata.normalize("NFC", passage.chunk.text)
        whole = f"{context}\n{body}"
        return cls(
            folded=_plain(whole),
            numbers=frozenset(
                numbers_in(whole)
                | {n for d in meta_dates for n in (str(d.day), str(d.month), str(d.year))}
            ),
            percents=frozenset(canonical(m) for m in _PERCENT.findall(whole)),
            dates=frozenset(_dates(whole) | {(d.day, d.month, d.year) for d in meta_dates}),
            documents=frozenset(fold(d) for d in _DOC_NUMBER.findall(whole)),
            articles=frozenset(_lower(_ARTICLE.findall(whole)) | {cit.article.lower()}) - {""},
            clauses=frozenset(
                {*_CLAUSE.findall(whole), *_LINE_CLAUSE.findall(body), cit.clause} - {""}
            ),
            points=frozenset(
                _lower([*_POINT.findall(whole), *_LINE_POINT.findall(body), cit.point]) - {""}
            ),
            raw=_plain(body),
        )


def _unsupported(sentence: str, cited: list[_Evidence]) -> tuple[str, str]:
    """The first fact of `sentence` no clause it cites holds: (reason, the fact), or ('', '')."""
    for quoted in _QUOTED.finditer(sentence):
        passage = next(g for g in quoted.groups() if g is not None).strip()
        if passage and not any(_quote_matches(passage, e.raw) for e in cited):
            return QUOTE, passage
    rest = sentence
    for match in _DATE_WORDS.finditer(sentence):
        if _date(match.groups()) not in _union(e.dates for e in cited):
            return DATE, match.group()
    rest = _DATE_WORDS.sub(" ", rest)
    for match in _DATE_SLASH.finditer(rest):
        if _date(match.groups()) not in _union(e.dates for e in cited):
            return DATE, match.group()
    rest = _DATE_SLASH.sub(" ", rest)
    for number in _DOC_NUMBER.findall(rest):
        held = _union(e.documents for e in cited)
        if not any(fold(number) == d or d.startswith(fold(number) + "/") for d in held):
            return DOCUMENT, number
    rest = _DOC_NUMBER.sub(" ", rest)
    for value in _PERCENT.findall(rest):
        if canonical(value) not in _union(e.percents for e in cited):
            return PERCENT, f"{value}%"
    rest = _PERCENT.sub(" ", rest)
    for kind, pattern, held in (
        ("Điều", _ARTICLE, _union(e.articles for e in cited)),
        ("khoản", _CLAUSE, _union(e.clauses for e in cited)),
        ("điểm", _POINT, _union(e.points for e in cited)),
    ):
        for value in pattern.findall(rest):
            if value.lower() not in held:
                return PROVISION, f"{kind} {value}"
        rest = pattern.sub(" ", rest)
    for number in _NUMBER.findall(rest):
        if canonical(number) not in _union(e.numbers for e in cited):
            return NUMBER, number
    for title in _TITLE.finditer(_plain(rest)):
        if not any(title.group() in e.folded for e in cited):
            return TITLE, title.group()
    return "", ""


def _quote_matches(quote: str, text: str) -> bool:
    """Whether some stretch of `text` (folded) is within the edit budget of `quote`."""
    q = _plain(quote)
    t = text
    if not q or q in t:
        return bool(q)
    budget = min(QUOTE_EDITS, max(1, len(q) // 10))
    matcher = difflib.SequenceMatcher(None, q, t, autojunk=False)
    for block in matcher.get_matching_blocks():
        start = max(block.b - block.a, 0)
        window = t[start : start + len(q)]
        blocks = difflib.SequenceMatcher(None, q, window, autojunk=False).get_matching_blocks()
        if len(q) - sum(b.size for b in blocks) <= budget:
            return True
    return False


def numbers_in(text: str) -> set[str]:
    return {canonical(n) for n in _NUMBER.findall(text)}


def canonical(number: str) -> str:
    """'1.000.000' and '1000000' alike, '0,5' and '0.5' alike, '05' and '5' alike."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    number = number.replace(",", ".")
    whole, _, part = number.partition(".")
    whole = whole.lstrip("0") or "0"
    part = part.rstrip("0")
    return f"{whole}.{part}" if part else whole


def _date(parts: Sequence[str]) -> tuple[int, int, int]:
    return int(parts[0]), int(parts[1]), int(parts[2])


def _dates(text: str) -> set[tuple[int, int, int]]:
    found = {_date(m) for m in _DATE_WORDS.findall(text)}
    return found | {_date(m) for m in _DATE_SLASH.findall(text)}


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}


def _union(sets: Iterable[frozenset[T]]) -> set[T]:
    out: set[T] = set()
    for part in sets:
        out |= part
    return out


def _plain(text: str) -> str:
    """Folded, without quotation marks, single-spaced: how titles and quotes are compared."""
    return " ".join(_QUOTE_MARKS.sub(" ", fold(text)).split())
