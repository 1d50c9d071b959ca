"""Vietnamese input parsing: numbers, percentages, dates, yes/no and typed navigation (and
how numbers and dates are written back: `format_number`, `day`).

Cadres type the way they write on paper, with or without diacritics, so every parser here
accepts both and returns None (never raises) when the text is not what it looks for.

Numbers. Vietnamese writes `.` for thousands and `,` for decimals (`1.234,5`); people who learnt
on English software write `1,234.5`. The rule, in order:

1. both `.` and `,` present: the last one is the decimal separator, the other groups thousands;
2. only `,`: once means decimals (`1,5`, `85,25`, and `1,234` is one point two three four, as a
   Vietnamese reader reads it); several mean thousands (`1,234,567`);
3. only `.`: several mean thousands (`1.234.567`); once means thousands when exactly three digits
   follow (`1.234` = 1234, the Vietnamese reading), decimals otherwise (`1.5`, `85.25`);
4. thousands groups must be three digits after a first group that does not start with 0 (`0.001`
   is a decimal), or the text is not a number; spaces inside are ignored (`1 234` = 1234).

A trailing `%` is allowed and kept out of the value (`85%` → 85; see `is_percent`).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lowercase, no diacritics, `đ`→`d`, single spaces: how typed commands are compared.

    Cached: the same button labels and commands are folded on nearly every message.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())


def _bare(text: str) -> str:
    """Folded and without punctuation at either end: 'Có.' and 'có!' compare as 'co'."""
    return fold(text).strip(" .,!;:…\"'«»()[]")


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:S\d{3})+")


def _grouped(digits: str, sep: str) -> str | None:
    """'1.234.567' with sep '.' → '1234567'; None when groups are not of three digits."""
    if _GROUPED.fullmatch(digits.replace(sep, "S")) is None:
        return None
    return digits.replace(sep, "")


def parse_number(text: str) -> Decimal | None:
    """A number as Vietnamese cadres type it (see the module docstring), or None."""
    raw = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    raw = raw.removesuffix("%")
    sign = ""
    if raw[:1] in ("+", "-"):
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if not raw or not re.fullmatch(r"[0-9.,]+", raw) or not raw[0].isdigit():
        return None
    if not raw[-1].isdigit():
        return None
    dots, commas = raw.count("."), raw.count(",")
    integer, fraction = raw, ""
    if dots and commas:
        decimal_sep = "." if raw.rfind(".") > raw.rfind(",") else ","
        thousands = "," if decimal_sep == "." else "."
        if raw.count(decimal_sep) != 1:
            return None
        integer, fraction = raw.split(decimal_sep)
        grouped = _grouped(integer, thousands)
        if grouped is None:
            return None
        integer = grouped
    elif commas:
        if commas == 1:
            integer, fraction = raw.split(",")
        else:
            grouped = _grouped(raw, ",")
            if grouped is None:
                return None
            integer = grouped
    elif dots:
        head, _, tail = raw.partition(".")
        grouped = _grouped(raw, ".")
        if dots == 1 and (len(tail) != 3 or grouped is None):
            integer, fraction = head, tail
        elif grouped is None:
            return None
        else:
            integer = grouped
    if not integer.isdigit() or (fraction and not fraction.isdigit()):
        return None
    try:
        return Decimal(f"{sign}{integer}" + (f".{fraction}" if fraction else ""))
    except InvalidOperation:  # pragma: no cover - the checks above rule this out
        return None


def format_number(value: Decimal) -> str:
    """Vietnamese style for display: 1234.5 → '1.234,5'; no trailing zeros."""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def day(value: date | str | None) -> str:
    """31/12/2026: how a deadline is written for a Vietnamese reader."""
    if not value:
        return ""
    parsed = date.fromisoformat(value) if isinstance(value, str) else value
    return parsed.strftime("%d/%m/%Y")


def is_percent(text: str) -> bool:
    """True when the value was typed as a percentage (`85%`, `85 %`, `85 phần trăm`)."""
    folded = fold(text)
    return folded.endswith("%") or folded.endswith("phan tram")


def parse_quantity(text: str) -> tuple[Decimal, bool] | None:
    """A value and whether it was a percentage; 'phần trăm' spelled out is accepted too."""
    folded = fold(text)
    percent = is_percent(text)
    if folded.endswith("phan tram"):
        folded = folded.removesuffix("phan tram").strip()
        value = parse_number(folded)
    else:
        value = parse_number(text)
    return None if value is None else (value, percent)


_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})(?:\s*(?:nam)?\s*(\d{4}))?")


def parse_date(text: str, default_year: int) -> date | None:
    """`31/3`, `31/3/2026`, `31-3-2026`, `31.3.26`, `2026-03-31`, `ngày 31 tháng 3 năm 2026`.

    A date without a year takes `default_year` (the movement's year, else today's): a cadre
    typing '31/3' in a 2026 registration means 31/3/2026.
    """
    folded = fold(text).strip(" .,")
    day: str | None
    if match := _YMD.fullmatch(folded):
        year_s, month, day = match.groups()
        year = int(year_s)
    elif match := _DMY.fullmatch(folded) or _WORDS.fullmatch(folded):
        day, month, year_s = match.groups()
        year = default_year if year_s is None else int(year_s)
        if year_s is not None and len(year_s) == 2:
            year += 2000
    else:
        return None
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


class Nav(StrEnum):
    """Navigation every form understands, typed or pressed."""

    BACK = "back"
    CANCEL = "cancel"
    SAVE = "save"


_NAV_WORDS: dict[str, Nav] = {
    "quay lai": Nav.BACK,
    "tro lai": Nav.BACK,
    "lui": Nav.BACK,
    "lui lai": Nav.BACK,
    "back": Nav.BACK,
    "/quaylai": Nav.BACK,
    "huy": Nav.CANCEL,
    "huy bo": Nav.CANCEL,
    "thoat": Nav.CANCEL,
    "cancel": Nav.CANCEL,
    "/huy": Nav.CANCEL,
    "luu nhap": Nav.SAVE,
    "luu ban nhap": Nav.SAVE,
    "luu": Nav.SAVE,
    "tam dung": Nav.SAVE,
    "/luunhap": Nav.SAVE,
}


def parse_nav(text: str) -> Nav | None:
    """`quay lại`, `hủy`/`huỷ`, `lưu nháp` (and their unaccented and slash forms)."""
    return _NAV_WORDS.get(_bare(text))


def parse_choice(text: str, count: int) -> int | None:
    """'2' or '2.' or 'số 2' chooses the second of `count` numbered options (0-based result)."""
    bare = _bare(text).removeprefix("so ").strip()
    if re.fullmatch(r"[0-9]{1,3}", bare) is None:
        return None
    number = int(bare)
    return number - 1 if 1 <= number <= count else None


def _label_key(text: str) -> str:
    """Words only: '➕ Thêm chỉ tiêu' and 'them chi tieu' share the key 'them chi tieu'."""
    key = " ".join(re.findall(r"[^\W_]+", fold(text)))
    return key or text.strip()


def same_label(text: str, label: str) -> bool:
    """A typed label matches a button label regardless of case, diacritics, emoji, punctuation."""
    return bool(text.strip()) and _label_key(text) == _label_key(label)


_QUESTION_START = (
    "tai sao",
    "vi sao",
    "lam sao",
    "lam the nao",
    "the nao",
    "khi nao",
    "bao gio",
    "o dau",
    "ai la",
    "hoi:",
    "cho hoi",
    "xin hoi",
    "co phai",
)
_QUESTION_END = (
    "la gi",
    "nhu the nao",
    "the nao",
    "bao nhieu",
    "la ai",
    "o dau",
    "khi nao",
    "ngay nao",
    "chua",
    "khong a",
    "chua a",
    "khong nhi",
)


def looks_like_question(text: str, *, strict: bool = False) -> bool:
    """A question typed in the middle of a form: ends with '?' or starts/ends with a question word.

    `strict` (for steps that take free text such as a target's description) only trusts '?':
    'Giải quyết hồ sơ đúng hạn' must stay an answer, not become a question.
    """
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    if strict:
        return False
    folded = _bare(stripped)
    if len(folded.split()) < 3:
        return False
    return folded.startswith(_QUESTION_START) or folded.endswith(_QUESTION_END)


REASON_CHARS = range(3, 2001)  # a reason for returning or refusing: a word at least, a page at most


def reason_given(text: str) -> str | None:
    """The reason typed for returning or refusing a form, its spaces folded; None when it is
    too short to tell the unit anything, or longer than a page."""
    reason = " ".join(text.split())
    return reason if len(reason) in REASON_CHARS else None
