"""Which unit or cluster a question names, typed with or without diacritics, with a typo.

Pure: the folded, punctuation-free question and (id, name, code) rows in. In order: a name
quoted whole (the longest wins: «Sở Y tế» before «Sở Y»), a code typed in capitals («SYT»), the
phrase the question is about («… của Sở Y tế», «Sở Y tế đã nộp…») contained in one name, then
that phrase close to a name (difflib, the standard library's edit ratio). A phrase that looks
like a unit («sở …», «UBND …», «huyện …») and matches nothing is reported as unknown rather than
silently read as a question about everyone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.text import fold

CLOSE = 0.85  # a typo: «so y tee», «so tu phap»
SUGGEST = 0.55  # «did you mean» for a name that matches nothing (letters and words alike)
# Words that open a unit's name: what makes a phrase a unit the records do not hold.
UNIT_WORDS = (
    "so",
    "ban",
    "ubnd",
    "uy ban",
    "huyen",
    "thi xa",
    "thanh pho",
    "tp",
    "xa",
    "phuong",
    "thi tran",
    "phong",
    "cong an",
    "bo chi huy",
    "vien kiem sat",
    "toa an",
    "truong",
    "benh vien",
    "trung tam",
    "cuc",
    "chi cuc",
    "hoi",
    "van phong",
    "thanh tra",
    "kho bac",
    "bao",
    "dai",
    "cong ty",
    "ngan hang",
    "lien doan",
    "tinh doan",
    "mat tran",
    "bhxh",
    "bao hiem",
)
_NOT_UNIT = re.compile(r"^(?:so (?:ket|\d)|ban oi|bao cao|hoi dap|hoi ve)\b")
_FILLER = re.compile(
    r"^(?:(?:cho|xin|vui long|lam on|giup|kiem tra|xem|hay|anh|chi|em|ban|bot|oi|tro ly|"
    r"toi|minh|muon|biet|hoi|giup|voi|la|thu|thu xem|coi)\s+)+"
)
_TRAILING = re.compile(
    r"(?:\s+(?:nam nay|nam \d{4}|hien nay|hien tai|thi|vay|a|oi|co|nhi|do|nay))+$"
)
_UNIT_START = re.compile(rf"\b(?:{'|'.join(re.escape(w) for w in UNIT_WORDS)})\b")


@dataclass(frozen=True)
class Named:
    id: int
    name: str
    code: str = ""


@dataclass(frozen=True)
class Found:
    """What the question names: the items it matched (several: ambiguous), the phrase it used,
    and, when nothing matched a unit-like phrase, the closest names to suggest."""

    items: tuple[Named, ...] = ()
    phrase: str = ""
    suggestions: tuple[Named, ...] = ()

    @property
    def unknown(self) -> bool:
        return not self.items and bool(self.phrase)


def plain(text: str) -> str:
    """Folded, words only, «Ủy ban nhân dân» as «ubnd»: how names and questions are compared."""
    words = " ".join(re.findall(r"\w+", fold(text).replace("_", " ")))
    return re.sub(r"\buy ban nhan dan\b", "ubnd", words)


def as_typed(text: str, phrase: str) -> str:
    """The folded `phrase` as the question typed it («so giao thong» → «Sở Giao thông»)."""
    words = re.findall(r"\w+", text)
    folded = [fold(w) for w in words]
    wanted = phrase.split()
    for start in range(len(words) - len(wanted) + 1):
        if folded[start : start + len(wanted)] == wanted:
            return " ".join(words[start : start + len(wanted)])
    return phrase


def _goes_on(phrase: str, name: str) -> bool:
    """Whether the phrase quotes `name` and carries on with more words right after it."""
    at = f" {phrase} ".find(f" {name} ")
    return at >= 0 and at + len(name) + 1 < len(phrase)


def quoted(question: str, items: Sequence[Named]) -> tuple[Named, ...]:
    """Items whose whole name the question quotes (the longest match), or whose code it types
    in capitals as a word (a code in lower case is too often a Vietnamese syllable)."""
    padded = f" {plain(question)} "
    best: list[Named] = []
    longest = 0
    for item in items:
        name = plain(item.name)
        if not name or f" {name} " not in padded:
            continue
        if len(name) > longest:
            best, longest = [item], len(name)
        elif len(name) == longest:
            best.append(item)
    if best:
        return tuple(best)
    typed = set(re.findall(r"\b[A-Z][A-Z0-9_-]{1,}\b", question))
    return tuple(item for item in items if item.code and item.code in typed)


def about(question: str, items: Sequence[Named], phrase: str) -> Found:
    """The items the question names, from its whole text and the phrase it is about.

    A name quoted inside a longer name the phrase goes on with («Sở Y» in «Sở Y khoa») is not
    taken: that is another unit, perhaps one the records do not hold.
    """
    phrase = _TRAILING.sub("", _FILLER.sub("", phrase)).strip()
    found = quoted(question, items)
    if found and not _goes_on(phrase, plain(found[0].name)):
        return Found(found, phrase)
    if not phrase or _NOT_UNIT.match(phrase):
        return Found()
    names = {item: plain(item.name) for item in items}
    within = tuple(
        i for i, n in names.items() if len(phrase.split()) >= 2 and f" {phrase} " in f" {n} "
    )
    if within:
        return Found(within, phrase)
    by_name: dict[str, list[Named]] = {}
    for item, name in names.items():
        by_name.setdefault(name, []).append(item)
    close = difflib.get_close_matches(phrase, list(by_name), n=1, cutoff=CLOSE)
    if close:
        return Found(tuple(by_name[close[0]]), phrase)
    start = _UNIT_START.search(phrase)
    if start is None:
        return Found()
    phrase = phrase[start.start() :]
    return Found((), phrase, tuple(by_name[h][0] for h in _suggestions(phrase, list(by_name))))


def _suggestions(phrase: str, names: list[str], most: int = 3) -> list[str]:
    """Names alike in their letters and in their words: «so y khoa» → «so y te», not «so tu
    phap» (as many letters in common, fewer words)."""
    words = phrase.split()
    scored = []
    for name in names:
        letters = difflib.SequenceMatcher(None, phrase, name).ratio()
        whole = difflib.SequenceMatcher(None, words, name.split()).ratio()
        score = (letters + whole) / 2
        if score >= SUGGEST:
            scored.append((score, name))
    return [name for _, name in sorted(scored, reverse=True)[:most]]
