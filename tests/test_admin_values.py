"""Phone numbers, dates and headers as offices type them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.admin.values import fold, parse_date, parse_year, split_list
from bot.store.phone import display_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "+84 912-345-678",
     "84912345678", "912345678", "(091) 234 5678"],
)  # fmt: skip
def test_every_way_of_writing_a_mobile_number_is_one_number(typed: str) -> None:
    assert normalize_phone(typed) == "+84912345678"
    assert display_phone(normalize_phone(typed)) == "0912345678"


def test_landlines_keep_their_area_code() -> None:
    assert normalize_phone("0239 3855 123") == "+842393855123"
    assert normalize_phone("2393855123") == "+842393855123"  # a spreadsheet dropped the 0
    assert normalize_phone("0841234567") == "+84841234567"  # 084 mobile, not country code


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "+1 202 555 0100", "0012345678", "09123456789012", "091234567a", "٠٩١٢٣٤٥٦٧٨"],
)
def test_what_is_not_a_vietnamese_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(typed)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("31/3/2026", date(2026, 3, 31)),
        ("2026-03-31", date(2026, 3, 31)),
        ("05.04.2026", date(2026, 4, 5)),
        (" 1-1-2026 ", date(2026, 1, 1)),
        (date(2026, 12, 15), date(2026, 12, 15)),
    ],
)
def test_dates_both_ways(typed: str | date, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize("typed", ["31/2/2026", "31/3", "3/31/2026", "2026/03/31", "hôm nay"])
def test_bad_dates_say_what_is_expected(typed: str) -> None:
    with pytest.raises(ValueError, match="31/3/2026 hoặc 2026-03-31"):
        parse_date(typed)


def test_years_lists_and_folding() -> None:
    assert parse_year(" 2026 ") == 2026
    with pytest.raises(ValueError):
        parse_year("26")
    assert split_list("SNV; STC,  SYT ;;") == ["SNV", "STC", "SYT"]
    assert fold("Mã  Đơn vị Cấp trên") == "ma don vi cap tren"
    assert fold("Khối") == fold("khoi")
