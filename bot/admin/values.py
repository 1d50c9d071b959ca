"""Cell values as offices type them: dates both ways, lists split by ';', headers without accents.

Each parser raises ValueError carrying the Vietnamese reason to show next to the row.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from bot.i18n import vi

_SPACES = re.compile(r"\s+")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def clean(text: str) -> str:
    """NFC (files from other tools may carry decomposed accents), single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Lowercase without diacritics, for matching headers and words: 'Mã Đơn vị' -> 'ma don vi'."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_date(text: str | date) -> date:
    """31/3/2026, 31-03-2026, 31.3.2026 or 2026-03-31 (a spreadsheet date cell also works)."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    value = clean(text)
    if match := _DMY.match(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YMD.match(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(vi.VALUE_BAD_DATE.format(value=value))
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(vi.VALUE_BAD_DATE.format(value=value)) from None


def parse_year(text: str | int) -> int:
    value = clean(str(text))
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise ValueError(vi.VALUE_BAD_YEAR.format(value=value))
    return int(value)


def split_list(text: str) -> list[str]:
    """'A; B,C' -> ['A', 'B', 'C']: offices use both separators."""
    return [item for item in (clean(part) for part in re.split(r"[;,\n]", text)) if item]
