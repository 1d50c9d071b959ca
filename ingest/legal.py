"""Vietnamese legal structure: Phần / Chương / Mục / Điều / khoản / điểm, or plain headings.

A text with at least one `Điều N.` line is read as a legal text; anything outside an Điều
(preamble, an excerpt under a Chương, the closing "Luật này được Quốc hội … thông qua …" and
the signature below it) becomes a `Section`. A text without Điều is split by
headings: Markdown `#` headings when it has any, otherwise Roman-numeral, numbered and
all-capitals lines, as guidance documents and news articles use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Vietnamese alphabet order for điểm: there is no f, j, w, z, and đ follows d.
POINT_LETTERS = "abcdđeghiklmnopqrstuvxy"

_ARTICLE = re.compile(r"^(?:Điều|ĐIỀU)\s+(\d{1,4}[a-zđ]?)\s*(?:[.:–-]\s*(.*))?$")
# Group 2 is the separator: without one, a title on the same line must be in capitals, so
# "Chương II của Luật này …" at the start of a wrapped line is not taken for a heading.
_PART = re.compile(r"^(?:Phần|PHẦN)\s+((?:thứ|THỨ)\s+\S+|[IVXLCDM]+|\d+)\b\s*([.:–-]?)\s*(.*)$")
_CHAPTER = re.compile(r"^(?:Chương|CHƯƠNG)\s+([IVXLCDM]+|\d+)\b\s*([.:–-]?)\s*(.*)$")
_SUBSECTION = re.compile(r"^(?:Mục|MỤC)\s+([IVXLCDM]+|\d+)\b\s*([.:–-]?)\s*(.*)$")
_CLAUSE = re.compile(r"^(\d{1,2})\.\s+\S")
_POINT = re.compile(rf"^([{POINT_LETTERS}])\)\s+\S")
# The enacting formula after the last Điều: it and the signature are no part of that Điều.
_CLOSING = re.compile(
    r"^(?:Luật|Bộ luật|Nghị quyết|Pháp lệnh) này (?:đã )?được (?:Quốc hội|Ủy ban [Tt]hường vụ)"
    r".{0,200}\bthông qua\b"
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ROMAN_HEADING = re.compile(r"^[IVXLC]+\.\s+\S")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}\.(?:\d{1,2}\.?)*)\s+(\S.*)$")

_LEVELS = {"Phần": 1, "Chương": 2, "Mục": 3}


@dataclass(frozen=True)
class Point:
    """An điểm: `a)`, `b)`, … `đ)` …, with its text (the first line starts with the letter)."""

    letter: str
    text: str


@dataclass(frozen=True)
class Clause:
    """A khoản `N.`; `text` is the whole khoản verbatim, its điểm included."""

    number: str
    text: str
    points: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Article:
    """An Điều with the Phần/Chương/Mục headings above it."""

    number: str
    title: str
    headings: tuple[str, ...]
    intro: str = ""  # text before the first khoản (may hold article-level điểm)
    clauses: tuple[Clause, ...] = ()
    points: tuple[Point, ...] = ()  # điểm directly under the Điều, without khoản

    @property
    def heading(self) -> str:
        """'Điều 24. Danh hiệu …' or 'Điều 21.' when the source gives no title."""
        return f"Điều {self.number}. {self.title}" if self.title else f"Điều {self.number}."

    @property
    def body(self) -> str:
        return "\n".join(part for part in (self.intro, *(c.text for c in self.clauses)) if part)

    @property
    def text(self) -> str:
        return f"{self.heading}\n{self.body}" if self.body else self.heading


@dataclass(frozen=True)
class Section:
    """Text outside any Điều, under its heading path; `lines` are its non-blank lines."""

    headings: tuple[str, ...]
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


Block = Article | Section


def parse_legal(text: str) -> list[Block]:
    """Split normalised text into Articles and Sections, in document order."""
    lines = [_clean(line) for line in text.split("\n")]
    legal = any(_ARTICLE.match(line) for _, line in lines)
    markdown = any(level for level, _ in lines)
    return _Parser(legal=legal, guess_headings=not legal and not markdown).run(lines)


def _clean(line: str) -> tuple[int, str]:
    """(Markdown heading level or 0, the line without '#' markers, bold marks and edge spaces)."""
    line = line.strip().replace("**", "")
    match = _MD_HEADING.match(line)
    if match:
        return len(match.group(1)), match.group(2).strip()
    return 0, line


@dataclass
class _Parser:
    legal: bool
    guess_headings: bool
    blocks: list[Block] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    article: tuple[str, str, tuple[str, ...]] | None = None
    body: list[str] = field(default_factory=list)

    def run(self, lines: list[tuple[int, str]]) -> list[Block]:
        i = 0
        while i < len(lines):
            md_level, line = lines[i]
            i += 1
            if not line:
                continue
            structural = self._structural(line)
            if structural:
                level, label, title = structural
                if not title and i < len(lines) and _is_title_line(lines[i][1]):
                    title, i = lines[i][1], i + 1
                self._heading(level, f"{label}. {title}" if title else label)
            elif match := _ARTICLE.match(line):
                self._flush()
                number, title = match.group(1), (match.group(2) or "").strip()
                self.article = (number, title, self._path())
            elif self.article is not None and _CLOSING.match(line):
                self._flush()
                self.stack = []  # the closing belongs to the whole text, not the last Chương
                self.body.append(line)
            elif md_level:
                self._heading(3 + md_level if self.legal else md_level, line)
            elif self.guess_headings and (level := _guessed_level(line)):
                if _is_plain_caps(line) and self._last_was_caps_heading():
                    self.stack[-1] = (1, f"{self.stack[-1][1]} {line}")
                else:
                    self._heading(level, line)
            else:
                self.body.append(line)
        self._flush()
        return self.blocks

    def _structural(self, line: str) -> tuple[int, str, str] | None:
        for pattern, word in ((_PART, "Phần"), (_CHAPTER, "Chương"), (_SUBSECTION, "Mục")):
            match = pattern.match(line)
            if match:
                number, separator, title = match.group(1), match.group(2), match.group(3).strip()
                if title and not separator and not _is_caps(title):
                    return None
                return _LEVELS[word], f"{word} {number}", title
        return None

    def _heading(self, level: int, text: str) -> None:
        self._flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def _last_was_caps_heading(self) -> bool:
        """Capitals split over lines ('HƯỚNG DẪN' / 'TỔ CHỨC CỤM…') make one heading."""
        return bool(self.stack) and not self.body and _is_plain_caps(self.stack[-1][1])

    def _path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.stack)

    def _flush(self) -> None:
        if self.article is not None:
            number, title, headings = self.article
            self.blocks.append(_build_article(number, title, headings, self.body))
        elif self.body:
            self.blocks.append(Section(self._path(), tuple(self.body)))
        self.article, self.body = None, []


def _is_caps(line: str) -> bool:
    return any(c.isalpha() for c in line) and not any(c.islower() for c in line)


def _is_plain_caps(line: str) -> bool:
    """Capitals without a 'I.' or '1.' number in front."""
    return _is_caps(line) and not _ROMAN_HEADING.match(line) and not _NUMBERED_HEADING.match(line)


def _is_title_line(line: str) -> bool:
    """The title of a Chương/Mục on its own line is written in capitals."""
    structure = (_ARTICLE, _PART, _CHAPTER, _SUBSECTION)
    return 0 < len(line) <= 250 and _is_caps(line) and not any(p.match(line) for p in structure)


def _guessed_level(line: str) -> int:
    """Heading level of a line in a plain guidance text, 0 when it is body text."""
    if len(line) > 200 or line.startswith(("-", "+", "•", "*")):
        return 0
    if _ROMAN_HEADING.match(line):
        return 1
    match = _NUMBERED_HEADING.match(line)
    if match and len(line) <= 80 and not line.endswith((".", ";", ":", ",")):
        return 2 + match.group(1).rstrip(".").count(".")
    return 1 if _is_caps(line) and len(line) >= 3 else 0


def _next_letter(letter: str) -> str:
    index = POINT_LETTERS.index(letter)
    return POINT_LETTERS[index + 1] if index + 1 < len(POINT_LETTERS) else ""


@dataclass
class _ClauseDraft:
    number: str
    lines: list[str]
    points: list[tuple[str, list[str]]] = field(default_factory=list)

    def add(self, line: str) -> None:
        """A point line, a wrapped continuation of the last point, or a closing paragraph."""
        self.lines.append(line)
        match = _POINT.match(line)
        expected = _next_letter(self.points[-1][0]) if self.points else None
        if match and (expected is None or match.group(1) == expected):
            self.points.append((match.group(1), [line]))
        elif self.points and not self.points[-1][1][-1].endswith((".", ";", ":", "…")):
            self.points[-1][1].append(line)

    def build(self) -> Clause:
        points = tuple(Point(letter, "\n".join(lines)) for letter, lines in self.points)
        return Clause(self.number, "\n".join(self.lines), points)


def _build_article(number: str, title: str, headings: tuple[str, ...], body: list[str]) -> Article:
    """Khoản must count up by one after the first, so a wrapped '2. …' line is not a khoản."""
    intro = _ClauseDraft("", [])
    clauses: list[_ClauseDraft] = []
    for line in body:
        match = _CLAUSE.match(line)
        number_here = int(match.group(1)) if match else 0
        if match and (not clauses or number_here == int(clauses[-1].number) + 1):
            clauses.append(_ClauseDraft(str(number_here), [line]))
        else:
            (clauses[-1] if clauses else intro).add(line)
    built_intro = intro.build()
    return Article(
        number=number,
        title=title,
        headings=headings,
        intro=built_intro.text,
        clauses=tuple(draft.build() for draft in clauses),
        points=built_intro.points,
    )
