"""What counts as a question for the office, when two wordings are one question, and the
provisions a curated answer may cite (cut out of the full Law as indexed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core import cited
from bot.core.questions import is_chatter, is_real_question, same_question
from knowledge.registry import DocumentRegistry
from tests import answers_kit

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    "text",
    [
        "xin chào",
        "Chào bạn!",
        "cảm ơn nhé",
        "OK",
        "ABCD-1234",
        "ab12cd34",
        "😀👍",
        "2",
        "số 2",
        "/dangky",
        "   ",
        "?!",
        "alo",
    ],
)
def test_chatter_codes_emoji_numbers_and_commands_are_not_questions(text: str) -> None:
    assert not is_real_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Giấy khen?",
        "tieu chuan lao dong tien tien",
        "Hạn nộp hồ sơ khen thưởng năm 2026?",
        "Chào bạn, ai ký Giấy khen?",
        "Khenthưởng",
    ],
)
def test_real_questions_are_kept(text: str) -> None:
    assert is_real_question(text)


def test_only_pure_chatter_is_greeted() -> None:
    assert is_chatter("Xin chào bot ạ") and is_chatter("cam on ban")
    assert not is_chatter("Chào bạn, ai ký Giấy khen?")


@pytest.mark.parametrize(
    ("asked", "curated"),
    [
        ("Giấy khen do ai ký tặng?", "Ai có thẩm quyền tặng Giấy khen?"),
        (
            "Nghỉ sinh con có được xét Lao động tiên tiến?",
            "Nghỉ thai sản có được xét Lao động tiên tiến không?",
        ),
        ("nop ho so khen thuong cap tinh o dau", "Nộp hồ sơ đề nghị khen thưởng cấp tỉnh ở đâu?"),
    ],
)
def test_wordings_of_one_question(asked: str, curated: str) -> None:
    assert same_question(asked, curated)


@pytest.mark.parametrize(
    ("asked", "curated"),
    [
        ("Ai có thẩm quyền tặng Bằng khen?", "Ai có thẩm quyền tặng Giấy khen?"),  # another award
        ("Hồ sơ đề nghị khen thưởng nộp ở đâu?", "Hồ sơ đề nghị khen thưởng gồm những gì?"),  # asks
        ("Tiêu chuẩn Chiến sĩ thi đua cấp tỉnh?", "Tiêu chuẩn Chiến sĩ thi đua cơ sở?"),  # level
        (
            "Viên chức tập sự có được xét Lao động tiên tiến không?",
            "Người lao động hợp đồng có được xét Lao động tiên tiến không?",
        ),  # other words
        (
            "Cán bộ sắp nghỉ hưu có được nâng lương không?",
            "Cán bộ đã nghỉ hưu có được đề nghị khen thưởng không?",
        ),  # not about awards
    ],
)
def test_near_questions_that_need_another_answer(asked: str, curated: str) -> None:
    assert not same_question(asked, curated)


@pytest.fixture(scope="module")
def law(bundled_data_dir: Path) -> tuple[list[cited.Chunk], list[cited.DocumentMeta]]:
    index = answers_kit.bundled_index(bundled_data_dir)
    return index.chunks(), index.documents()


def test_a_clause_and_a_point_are_cut_out_of_their_article(
    law: tuple[list[cited.Chunk], list[cited.DocumentMeta]],
) -> None:
    chunks, documents = law
    registry = DocumentRegistry.bundled()
    point = cited.parse(
        "điểm đ khoản 1 Điều 75 Luật Thi đua, khen thưởng", chunks, documents, TODAY, registry
    )
    assert point.text == "đ) Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã."
    assert point.citation.basis().startswith("điểm đ khoản 1 Điều 75 Luật Thi đua, khen thưởng")
    clause = cited.parse("06/2022/QH15 Điều 75 khoản 2", chunks, documents, TODAY, registry)
    assert clause.text.startswith("2. Bộ, ban, ngành, tỉnh") and "Giấy khen gồm" not in clause.text
    whole = cited.parse("Điều 24 Luật Thi đua, khen thưởng", chunks, documents, TODAY, registry)
    assert whole.text.count("\n") > 5 and "Chiến sĩ tiên tiến" in whole.text
    split = cited.parse("khoản 3 Điều 24 06/2022/QH15", chunks, documents, TODAY, registry)
    assert split.text.startswith("3. Danh hiệu “Lao động tiên tiến”") and split.chunk_id.endswith(
        "k3"
    )
    with pytest.raises(cited.CiteError, match="Kho văn bản chưa có điểm g khoản 1 Điều 75"):
        cited.parse("điểm g khoản 1 Điều 75 06/2022/QH15", chunks, documents, TODAY, registry)
    with pytest.raises(cited.CiteError, match="đã hết hiệu lực"):
        cited.parse("khoản 1 Điều 3 Nghị định 91/2017/NĐ-CP", chunks, documents, TODAY, registry)

    stored = point.to_json()
    by_id = {d.doc_id: d for d in documents}
    assert cited.check(stored, chunks, by_id, TODAY, registry) == ""
    assert "đã thay đổi" in cited.check({**stored, "hash": "old"}, chunks, by_id, TODAY, registry)
