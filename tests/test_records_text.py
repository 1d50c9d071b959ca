"""Reading a records question: its topic and subject, the period it names, the unit or cluster
it names (bot.core.records; the transcripts are in tests/forms/test_records_questions.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.records import names
from bot.core.records.asked import Topic, Who, read
from bot.core.records.clusters import numbers
from bot.core.records.periods import PeriodAsked, Span, by_deadline, current, matching, period_asked
from bot.reminders import standing
from bot.store import filings
from bot.store.models import Cluster, Movement, ReportPeriod


@pytest.mark.parametrize(
    ("text", "topic", "who"),
    [
        ("những đơn vị nào chưa nộp đăng ký thi đua", Topic.REGISTRATION, Who.ALL),
        ("don vi nao chua nop dang ky", Topic.REGISTRATION, Who.ALL),
        ("đơn vị nào chưa nộp báo cáo tháng 12", Topic.REPORT, Who.ALL),
        ("cụm 3 đã ký giao ước chưa", Topic.PLEDGE, Who.OTHER),
        ("Sở Y tế đã nộp báo cáo quý 1 chưa", Topic.REPORT, Who.OTHER),
        ("so y te nop bao cao quy 1 chua a", Topic.REPORT, Who.OTHER),
        ("đơn vị tôi đã nộp báo cáo quý 1 chưa", Topic.REPORT, Who.SELF),
        ("bao nhiêu đơn vị đã nộp đăng ký", Topic.REGISTRATION, Who.ALL),
        ("đã có bao nhiêu đơn vị ký giao ước", Topic.PLEDGE, Who.ALL),
        ("tình hình nộp báo cáo quý 1", Topic.REPORT, Who.ALL),
        ("Ai chưa nộp báo cáo quý 1?", Topic.REPORT, Who.ALL),
    ],
)
def test_records_questions_are_recognised(text: str, topic: Topic, who: Who) -> None:
    asked = read(text)
    assert asked is not None and (asked.topic, asked.who) == (topic, who)


@pytest.mark.parametrize(
    "text",
    [
        "tiêu chuẩn lao động tiên tiến là gì",
        "đơn vị chưa đăng ký thi đua thì có được khen thưởng không",
        "hạn nộp đăng ký thi đua là ngày nào",  # the deadline: bot.core.operational
        "báo cáo thành tích gồm những nội dung gì",
        "đơn vị đã đăng ký thi đua có phải báo cáo không",
        "đơn vị chưa nộp báo cáo thì bị xử lý thế nào",
        "báo cáo tổng kết năm nộp khi nào",
        "đăng ký thi đua",  # starts the form (the router's intents)
        "ký giao ước",
    ],
)
def test_other_questions_are_not_records_questions(text: str) -> None:
    assert read(text) is None


def test_the_subject_phrase_and_the_cluster() -> None:
    asked = read("báo cáo quý 1 của Sở Y tế đã nộp chưa")
    assert asked is not None and asked.phrase == "so y te"
    asked = read("Sở Giao thông vận tải đã nộp báo cáo chưa")
    assert asked is not None and asked.phrase == "so giao thong van tai"
    for text, kind, number in (
        ("cụm 3 đã ký giao ước chưa", "cum", 3),
        ("khoi III da ky giao uoc chua", "khoi", 3),
        ("cụm thi đua số 12 đã ký kết giao ước chưa", "cum", 12),
    ):
        asked = read(text)
        assert asked is not None and asked.cluster is not None
        assert (asked.cluster.kind, asked.cluster.number) == (kind, number)


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("bao cao thang 12", PeriodAsked(Span.MONTH, 12)),
        ("bao cao quy 1", PeriodAsked(Span.QUARTER, 1)),
        ("bao cao quy iv", PeriodAsked(Span.QUARTER, 4)),
        ("bao cao so ket 6 thang", PeriodAsked(Span.HALF)),
        ("bao cao 6 thang dau nam", PeriodAsked(Span.HALF)),
        ("bao cao tong ket nam", PeriodAsked(Span.YEAR)),
        ("bao cao", None),
    ],
)
def test_periods_named_by_their_span(text: str, asked: PeriodAsked | None) -> None:
    assert period_asked(text) == asked


def test_invalid_periods() -> None:
    assert not PeriodAsked(Span.MONTH, 13).valid and not PeriodAsked(Span.QUARTER, 5).valid
    assert PeriodAsked(Span.MONTH, 12).label == "tháng 12"


def _period(code: str, name: str, kind: str, start: int, end: int, due: date) -> ReportPeriod:
    return ReportPeriod(
        code=code,
        name=name,
        kind=kind,
        start_date=date(2026, start, 1),
        end_date=date(2026, end, 28),
        deadline=due,
    )


PERIODS = [
    _period("Q1", "Quý 1", "tiến độ", 1, 3, date(2026, 4, 10)),
    _period("6T", "Sơ kết 6 tháng", "sơ kết", 1, 6, date(2026, 6, 20)),
    _period("T9", "Báo cáo tháng 9", "tiến độ", 9, 9, date(2026, 10, 5)),
    _period("NAM", "Tổng kết năm", "tổng kết", 1, 12, date(2026, 12, 15)),
]


def test_periods_matched_to_the_movements_rows() -> None:
    def codes(asked: PeriodAsked) -> list[str]:
        return [p.code for p in matching(asked, PERIODS)]

    assert codes(PeriodAsked(Span.QUARTER, 1)) == ["Q1"]
    assert codes(PeriodAsked(Span.QUARTER, 3)) == []
    assert codes(PeriodAsked(Span.HALF)) == ["6T"]
    assert codes(PeriodAsked(Span.YEAR)) == ["NAM"]
    assert codes(PeriodAsked(Span.MONTH, 9)) == ["T9"]  # covers the month
    assert codes(PeriodAsked(Span.MONTH, 12)) == ["NAM"]  # due that month
    assert codes(PeriodAsked(Span.MONTH, 2)) == []
    assert by_deadline(PeriodAsked(Span.MONTH, 12), PERIODS[3])
    assert not by_deadline(PeriodAsked(Span.MONTH, 9), PERIODS[2])
    assert current(PERIODS, date(2026, 4, 11)) is PERIODS[1]
    assert current(PERIODS, date(2027, 1, 5)) is PERIODS[3]


UNITS = [
    names.Named(1, "Sở Y tế", "SYT"),
    names.Named(2, "Sở Tư pháp", "STP"),
    names.Named(3, "Ủy ban nhân dân huyện Can Lộc", "CANLOC"),
    names.Named(4, "UBND huyện Nghi Xuân", "NGHIXUAN"),
    names.Named(5, "Sở Y", "SY"),
]


@pytest.mark.parametrize(
    ("text", "phrase", "ids"),
    [
        ("Sở Y tế đã nộp chưa", "so y te", [1]),  # the longest name, not «Sở Y»
        ("so y te da nop chua", "so y te", [1]),
        ("SYT đã nộp chưa", "syt", [1]),  # a code typed in capitals
        ("ubnd huyen can loc da nop chua", "ubnd huyen can loc", [3]),
        ("huyện Can Lộc đã nộp chưa", "huyen can loc", [3]),  # part of one name
        ("huyện đã nộp chưa", "huyen", []),  # one word: no guess
        ("so tu phapp da nop chua", "so tu phapp", [2]),  # a typo
    ],
)
def test_units_named(text: str, phrase: str, ids: list[int]) -> None:
    found = names.about(text, UNITS, phrase)
    assert [item.id for item in found.items] == ids


def test_an_unknown_unit_with_suggestions() -> None:
    found = names.about("Sở Y khoa đã nộp chưa", UNITS, "so y khoa")
    assert found.unknown and found.phrase == "so y khoa"
    assert 1 in [s.id for s in found.suggestions]
    assert [
        i.id for i in names.about("Sở Y tế năm nay đã nộp chưa", UNITS, "so y te nam nay").items
    ] == [1]
    assert names.as_typed("Sở Y khoa đã nộp chưa", found.phrase) == "Sở Y khoa"
    assert not names.about("báo cáo quý 1 đã nộp chưa", UNITS, "bao cao quy 1").unknown


def test_cluster_numbers_from_names_and_codes() -> None:
    assert numbers(Cluster(code="CUM-03", name="Cụm miền núi", kind="cụm")) == {3}
    assert numbers(Cluster(code="K2", name="Khối thi đua số III", kind="khối")) == {2, 3}


def test_paper_keys_are_the_reminders_subject_keys() -> None:
    movement = Movement(id=7, title="PT", year=2026, registration_deadline=date(2026, 3, 31))
    movement.end_date = date(2026, 12, 31)
    period = ReportPeriod(id=11, name="Quý 1", deadline=date(2026, 4, 10))
    cluster = Cluster(id=5, name="Khối Nội chính")
    assert standing._registration_subject(movement).key == filings.registration_key(7)
    assert standing._period_subject(movement, period).key == filings.report_key(11)
    movement.pledge_deadline = date(2026, 3, 31)
    assert standing._pledge_subject(movement, cluster).key == filings.pledge_key(7, 5)
