"""Which report period a question names: «tháng 12», «quý 1» / «quý I», «6 tháng», «tổng kết
năm», or a period's own name or code, matched to a movement's ReportPeriod rows.

Pure: folded text and rows in, rows out. A province names its periods freely («Quý 1»,
«Sơ kết 6 tháng», «Tổng kết năm»), so a period is recognised by what it covers as much as by its
name. «Báo cáo tháng 12» in a province without monthly reports means the report due in December
(the year-end one, due 15/12): a month matches a period that covers exactly that month, else
one named after it, else the periods due that month.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.core.text import fold
from bot.i18n import vi
from bot.store.models import ReportPeriod


class Span(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    YEAR = "year"


@dataclass(frozen=True)
class PeriodAsked:
    """A period named by what it covers; `valid` is False for «tháng 13» or «quý 5»."""

    span: Span
    number: int = 0

    @property
    def valid(self) -> bool:
        if self.span is Span.MONTH:
            return 1 <= self.number <= 12
        if self.span is Span.QUARTER:
            return 1 <= self.number <= 4
        return True

    @property
    def label(self) -> str:
        """How the answer names it: «tháng 12», «quý 1», «sơ kết 6 tháng», «tổng kết năm»."""
        if self.span is Span.MONTH:
            return vi.OPS_PERIOD_MONTH.format(n=self.number)
        if self.span is Span.QUARTER:
            return vi.OPS_PERIOD_QUARTER.format(n=self.number)
        return vi.OPS_PERIOD_HALF if self.span is Span.HALF else vi.OPS_PERIOD_YEAR


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
_HALF = re.compile(r"\b(?:6|sau) thang\b|\bso ket\b|\bnua (?:dau )?nam\b|\bgiua nam\b")
_MONTH = re.compile(r"(?<!\d )\bthang (\d{1,2})\b")
_QUARTER = re.compile(r"\bquy (\d{1,2}|iv|i{1,3}|v|vi)\b")
_YEAR = re.compile(r"\btong ket\b|\bca nam\b|\bcuoi nam\b|\bbao cao nam\b|\b12 thang\b")


def period_asked(plain: str) -> PeriodAsked | None:
    """The period the folded, punctuation-free question names by its span, if any."""
    if quarter := _QUARTER.search(plain):
        raw = quarter.group(1)
        return PeriodAsked(Span.QUARTER, int(raw) if raw.isdigit() else _ROMAN[raw])
    if _HALF.search(plain):
        return PeriodAsked(Span.HALF)
    if _YEAR.search(plain):
        return PeriodAsked(Span.YEAR)
    if month := _MONTH.search(plain):
        return PeriodAsked(Span.MONTH, int(month.group(1)))
    return None


def named_in(text: str, plain: str, periods: Sequence[ReportPeriod]) -> list[ReportPeriod]:
    """The periods whose own name the question quotes («Sơ kết 6 tháng»), or whose code it
    types in capitals («6T», «NAM»: in lower case «nam» is the year)."""
    typed = set(re.findall(r"\b[A-Z0-9][A-Z0-9_-]*\b", text))
    found = []
    for period in periods:
        name = _plain(period.name)
        code = period.code in typed and any(ch.isalpha() for ch in period.code)
        if (name and re.search(rf"\b{re.escape(name)}\b", plain)) or code:
            found.append(period)
    return found


def matching(asked: PeriodAsked, periods: Sequence[ReportPeriod]) -> list[ReportPeriod]:
    """The movement's periods that are the one asked for (none: the movement has no such one)."""
    if asked.span is Span.MONTH:
        return _month(asked.number, periods)
    if asked.span is Span.QUARTER:
        first = 3 * asked.number - 2
        return [
            p
            for p in periods
            if _covers(p, first, first + 2) or _says(p, f"quy {asked.number}", _roman(asked.number))
        ]
    if asked.span is Span.HALF:
        return [
            p
            for p in periods
            if fold(p.kind) == "so ket" or _covers(p, 1, 6) or _says(p, "6 thang")
        ]
    return [p for p in periods if fold(p.kind) == "tong ket" or _covers(p, 1, 12)]


def by_deadline(asked: PeriodAsked, period: ReportPeriod) -> bool:
    """Whether a month matched the period only by its deadline («tháng 12»: the year-end one)."""
    month = asked.number
    return asked.span is Span.MONTH and not (
        _covers(period, month, month) or _says(period, f"thang {month}")
    )


def current(periods: Sequence[ReportPeriod], today: date) -> ReportPeriod | None:
    """The period a question without one means: the next one due, else the last one."""
    ordered = sorted(periods, key=lambda p: (p.deadline, p.id))
    upcoming = [p for p in ordered if p.deadline >= today]
    if upcoming:
        return upcoming[0]
    return ordered[-1] if ordered else None


def _month(month: int, periods: Sequence[ReportPeriod]) -> list[ReportPeriod]:
    exact = [p for p in periods if _covers(p, month, month)]
    if exact:
        return exact
    named = [p for p in periods if _says(p, f"thang {month}")]
    if named:
        return named
    return [p for p in periods if p.deadline.month == month and p.deadline.year == p.end_date.year]


def _covers(period: ReportPeriod, first: int, last: int) -> bool:
    start, end = period.start_date, period.end_date
    return start.year == end.year and start.month == first and end.month == last


def _says(period: ReportPeriod, *phrases: str) -> bool:
    name = _plain(period.name)
    return any(re.search(rf"\b{re.escape(phrase)}\b", name) for phrase in phrases if phrase)


def _roman(number: int) -> str:
    numeral = next((k for k, v in _ROMAN.items() if v == number), "")
    return f"quy {numeral}" if numeral else ""


def _plain(text: str) -> str:
    return " ".join(re.findall(r"\w+", fold(text)))
