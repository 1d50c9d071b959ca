"""Vietnamese input parsing: examples as cadres type them, and properties over any input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import (
    Nav,
    fold,
    format_number,
    is_percent,
    looks_like_question,
    parse_choice,
    parse_date,
    parse_nav,
    parse_number,
    parse_quantity,
    same_label,
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1.234,5", Decimal("1234.5")),
        ("1,234.5", Decimal("1234.5")),
        ("1.234.567", Decimal(1234567)),
        ("1,234,567", Decimal(1234567)),
        ("1.234", Decimal(1234)),  # Vietnamese thousands
        ("1,234", Decimal("1.234")),  # Vietnamese decimals
        ("1,5", Decimal("1.5")),
        ("1.5", Decimal("1.5")),
        ("85%", Decimal(85)),
        ("85 %", Decimal(85)),
        ("85,5%", Decimal("85.5")),
        ("-3", Decimal(-3)),
        ("1 234 567", Decimal(1234567)),
        ("0", Decimal(0)),
        ("0.001", Decimal("0.001")),
        ("0.5", Decimal("0.5")),
    ],
)
def test_numbers_as_typed(typed: str, value: Decimal) -> None:
    assert parse_number(typed) == value


@pytest.mark.parametrize(
    "typed", ["", "abc", "1,2,3", "12.34.5", ".5", "5.", "1.234,5,6", "1..2", "một", "%", "1e5"]
)
def test_not_numbers(typed: str) -> None:
    assert parse_number(typed) is None


def test_percent_spelled_out() -> None:
    assert parse_quantity("85 phần trăm") == (Decimal(85), True)
    assert parse_quantity("85") == (Decimal(85), False)
    assert is_percent("90%") and not is_percent("90")


vn_decimals = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3, allow_nan=False
)


@given(vn_decimals)
def test_vietnamese_display_parses_back(value: Decimal) -> None:
    assert parse_number(format_number(value)) == value


@given(vn_decimals.filter(lambda v: abs(v) >= 1000))
def test_english_grouping_with_decimals_parses_back(value: Decimal) -> None:
    typed = f"{value:,.3f}"  # 1,234,567.890: both separators present from a thousand up
    assert parse_number(typed) == value


@given(st.text())
def test_any_text_never_raises(text: str) -> None:
    parse_number(text)
    parse_quantity(text)
    parse_date(text, 2026)
    parse_nav(text)
    parse_choice(text, 5)
    looks_like_question(text)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("31/3", date(2026, 3, 31)),
        ("31/3/2025", date(2025, 3, 31)),
        ("31-3-2025", date(2025, 3, 31)),
        ("31.3.25", date(2025, 3, 31)),
        ("2025-03-31", date(2025, 3, 31)),
        ("ngày 31 tháng 3 năm 2025", date(2025, 3, 31)),
        ("ngay 5 thang 12", date(2026, 12, 5)),
        (" 1/1 ", date(2026, 1, 1)),
        ("31/2", None),
        ("32/1/2026", None),
        ("hôm nay", None),
    ],
)
def test_dates(typed: str, expected: date | None) -> None:
    assert parse_date(typed, default_year=2026) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_every_written_form_of_a_date_parses(day: date) -> None:
    for typed in (
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        day.isoformat(),
    ):
        assert parse_date(typed, default_year=1999) == day
    assert parse_date(f"{day.day}/{day.month}", default_year=day.year) == day


@pytest.mark.parametrize(
    ("typed", "nav"),
    [
        ("quay lại", Nav.BACK),
        ("Quay lai", Nav.BACK),
        ("hủy", Nav.CANCEL),
        ("huỷ", Nav.CANCEL),
        ("HUY", Nav.CANCEL),
        ("/huy", Nav.CANCEL),
        ("lưu nháp", Nav.SAVE),
        ("luu nhap", Nav.SAVE),
        ("xin chào", None),
    ],
)
def test_navigation_typed(typed: str, nav: Nav | None) -> None:
    assert parse_nav(typed) == nav


def test_numbered_choices() -> None:
    assert parse_choice("2", 3) == 1
    assert parse_choice("số 3", 3) == 2
    assert parse_choice("4", 3) is None
    assert parse_choice("0", 3) is None
    assert parse_choice("hai", 3) is None


def test_labels_match_without_diacritics() -> None:
    assert same_label("xac nhan", "Xác nhận")
    assert same_label("Tập thể lao động xuất sắc", "Tập thể lao động xuất sắc")
    assert not same_label("", "Xác nhận")
    assert fold("Đồng  Ý") == "dong y"


@pytest.mark.parametrize(
    ("typed", "question"),
    [
        ("Tiêu chuẩn Lao động tiên tiến là gì?", True),
        ("tieu chuan lao dong tien tien la gi", True),
        ("đơn vị tôi đã nộp báo cáo quý 1 chưa", True),
        ("Tại sao phải có sáng kiến", True),
        ("Giải quyết hồ sơ đúng hạn", False),
        ("85%", False),
        ("Nguyễn Văn A, Trần Thị B", False),
    ],
)
def test_questions_mid_form(typed: str, question: bool) -> None:
    assert looks_like_question(typed) is question


def test_strict_questions_only_trust_the_question_mark() -> None:
    assert not looks_like_question("tỷ lệ hồ sơ là gì", strict=True)
    assert looks_like_question("là gì?", strict=True)
