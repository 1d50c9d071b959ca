"""Answers through the core: basis, superseded texts, and awkward questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import wiring
from bot.config import Settings
from bot.i18n import vi
from bot.messages import Incoming


def ask(settings: Settings, text: str):  # type: ignore[no-untyped-def]
    assistant = wiring.build_assistant(settings)
    return assistant.qa.ask(Incoming(channel="test", chat_id="c1", user_id="u1", text=text))


def test_superseded_text_is_flagged_when_asked_by_number(settings: Settings) -> None:
    reply = ask(settings, "Nghị định 91/2017 quy định đối tượng tặng Cờ thi đua của Chính phủ")
    assert reply.found
    assert reply.citations[0].doc_number == "91/2017/NĐ-CP"
    assert reply.citations[0].in_force is False
    assert (
        "đã hết hiệu lực từ 1/1/2024, thay bằng Nghị định 98/2023/NĐ-CP, nay là Nghị định "
        "152/2025/NĐ-CP, có hiệu lực từ 1/7/2025"
    ) in reply.text  # the whole chain to the text in force, not one step
    assert reply.citations[0].status_note.endswith(
        "nay là Nghị định 152/2025/NĐ-CP, có hiệu lực từ 1/7/2025"
    )


def test_a_text_not_loaded_named_beside_a_loaded_one_is_noted(settings: Settings) -> None:
    reply = ask(
        settings,
        "Luật 06/2022/QH15 và Nghị định 152/2025/NĐ-CP quy định tiêu chuẩn Lao động tiên tiến?",
    )
    assert reply.found
    assert {c.doc_number for c in reply.citations} == {"06/2022/QH15"}
    assert reply.text.endswith(
        "⚠ Lưu ý: kho văn bản chưa có Nghị định 152/2025/NĐ-CP (đang có hiệu lực)."
    )


def test_a_question_naming_only_an_unknown_number_is_not_answered_from_other_texts(
    settings: Settings,
) -> None:
    reply = ask(settings, "Điều 5 Nghị định 45/2019/NĐ-CP quy định gì?")
    assert reply.found is False and reply.citations == ()
    assert reply.text.startswith("Kho văn bản chưa có văn bản «45/2019/NĐ-CP»")


def test_in_force_text_answers_before_a_superseded_one(settings: Settings) -> None:
    reply = ask(settings, "Chiến sĩ thi đua toàn quốc cần những tiêu chuẩn gì?")
    assert reply.found
    assert reply.citations[0].in_force is True
    assert reply.citations[0].article == "21"


def test_basis_names_the_point_the_quote_comes_from(settings: Settings) -> None:
    reply = ask(
        settings,
        "Tập thể lao động xuất sắc cần bao nhiêu phần trăm cá nhân đạt Lao động tiên tiến?",
    )
    assert reply.found
    assert "70% cá nhân đạt danh hiệu “Lao động tiên tiến”" in reply.text
    assert "Căn cứ: điểm c khoản 1 Điều 27 Luật Thi đua, khen thưởng" in reply.text
    assert (reply.citations[0].clause, reply.citations[0].point) == ("1", "c")


def test_direct_lookup_of_a_clause(settings: Settings) -> None:
    reply = ask(settings, "khoản 1 Điều 27 Luật Thi đua, khen thưởng")
    assert reply.found
    assert reply.citations[0].article == "27"
    assert "Tập thể lao động xuất sắc" in reply.text


def test_question_without_diacritics_finds_the_same_article(settings: Settings) -> None:
    accented = ask(settings, "tiêu chuẩn lao động tiên tiến")
    plain = ask(settings, "tieu chuan lao dong tien tien")
    # The whole Law splits Điều 24 by khoản; which khoản leads may still differ (issue 18, §2).
    lead = [(r.citations[0].doc_number, r.citations[0].article) for r in (accented, plain)]
    assert lead == [("06/2022/QH15", "24")] * 2


@pytest.mark.parametrize(
    "text",
    [
        "Tiêu chuẩn Lao động tiên tiến? " * 400,  # ~12,000 characters
        "What are the criteria for Lao động tiên tiến title?",
        "😀" * 50,
        "   \n\t ",
        "\x00\x01 điều \u200b 24",
    ],
)
def test_awkward_questions_get_a_helpful_reply(settings: Settings, text: str) -> None:
    reply = ask(settings, text)
    assert reply.text.strip()
    if len(text) > 10_000:
        assert vi.TOO_LONG.split("(")[0] in reply.text


def test_unanswered_question_is_logged_with_its_asker(settings: Settings) -> None:
    reply = ask(settings, "Thời tiết Hà Nội ngày mai thế nào?")
    assert reply.found is False
    log = wiring.open_unanswered_log(settings)
    [record] = log.latest()
    assert record.question == "Thời tiết Hà Nội ngày mai thế nào?"
    assert record.channel == "test"
    assert record.asked_at <= datetime.now(UTC)
