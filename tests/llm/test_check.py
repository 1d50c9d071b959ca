"""Our check of a model's answer against the clauses it was given (knowledge.llm_check):
Điều 27 and Điều 75 of the Law as the clauses, answers as a model might write them."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge import llm_check
from knowledge.documents import Chunk, Citation, DocumentMeta, Passage

LAW = DocumentMeta(
    doc_id="luat-tdkt-2022",
    title="Luật Thi đua, khen thưởng",
    doc_number="06/2022/QH15",
    issuer="Quốc hội",
    issued=date(2022, 6, 15),
    effective_from=date(2024, 1, 1),
)
D27 = """Điều 27. Danh hiệu “Tập thể lao động xuất sắc”, “Đơn vị quyết thắng”
1. Danh hiệu “Tập thể lao động xuất sắc” để tặng hằng năm cho tập thể đạt các tiêu chuẩn sau đây:
a) Hoàn thành xuất sắc nhiệm vụ được giao;
b) Tích cực tham gia phong trào thi đua thường xuyên, thiết thực, hiệu quả;
c) Có 100% cá nhân trong tập thể hoàn thành nhiệm vụ được giao, trong đó có ít nhất là 70% cá \
nhân đạt danh hiệu “Lao động tiên tiến”;
d) Có cá nhân đạt danh hiệu “Chiến sĩ thi đua cơ sở”;
đ) Nội bộ đoàn kết, gương mẫu chấp hành tốt chủ trương của Đảng, chính sách, pháp luật."""
D75 = """Điều 75. Giấy khen
1. Giấy khen gồm:
d) Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện;
đ) Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã."""


def clause(article: str, text: str) -> Passage:
    chunk = Chunk(f"luat#d{article}", text, Citation(LAW, article=article))
    return Passage(chunk, score=1.0)


CLAUSES = [clause("27", D27), clause("75", D75)]


def verdict(answer: str) -> llm_check.Verdict:
    return llm_check.check(answer, CLAUSES)


@pytest.mark.parametrize(
    "answer",
    [
        "Tập thể phải có ít nhất 70% cá nhân đạt danh hiệu “Lao động tiên tiến” [1].",
        "Tập thể phải có ít nhất 70% cá nhân đạt danh hiệu Lao động tiên tiến. [1]",
        "Theo điểm c khoản 1 Điều 27 Luật Thi đua, khen thưởng 2022, cần 100% cá nhân hoàn "
        "thành nhiệm vụ [1].",
        "Luật số 06/2022/QH15 ngày 15/6/2022 quy định như vậy [1].",
        "Luật quy định: «có ít nhất là 70% cá nhân đạt danh hiệu Lao động tiên tiến» [1].",
        "- Chủ tịch Ủy ban nhân dân cấp xã tặng Giấy khen [2].\n- Tập thể cần có cá nhân đạt "
        "Chiến sĩ thi đua cơ sở [1][2].",
    ],
)
def test_a_faithful_answer_passes(answer: str) -> None:
    result = verdict(answer)
    assert result.ok, result
    assert set(result.cited) <= {1, 2} and result.cited


def test_a_quote_with_a_slip_of_the_pen_passes_an_invented_one_does_not() -> None:
    slip = "Luật ghi: «có it nhất là 70% cá nhân đạt danh hiệu Lao động tiên tiến» [1]."
    assert verdict(slip).ok
    invented = "Luật ghi: «mọi cá nhân trong tập thể đều được tặng Bằng khen» [1]."
    assert (verdict(invented).reason, verdict(invented).detail) == (
        llm_check.QUOTE,
        "mọi cá nhân trong tập thể đều được tặng Bằng khen",
    )


def test_a_long_quote_cannot_carry_an_invented_phrase() -> None:
    line = (
        "Có 100% cá nhân trong tập thể hoàn thành nhiệm vụ được giao, trong đó có ít nhất là "
        "70% cá nhân đạt danh hiệu “Lao động tiên tiến”"
    )
    assert verdict(f"Luật ghi: «{line}» [1].").ok
    tail = verdict(f"Luật ghi: «{line} và được thưởng thêm» [1].")
    assert (tail.ok, tail.reason) == (False, llm_check.QUOTE)


def test_a_full_stop_inside_a_quotation_does_not_end_the_sentence() -> None:
    result = verdict(
        "Luật ghi: «Giấy khen gồm. Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã» [2]."
    )
    assert result.ok, result


@pytest.mark.parametrize(
    ("answer", "reason", "detail"),
    [
        ("Cần ít nhất 80% cá nhân đạt Lao động tiên tiến [1].", llm_check.PERCENT, "80%"),
        ("Việc này quy định tại Điều 29 [1].", llm_check.PROVISION, "Điều 29"),
        ("Xem điểm e khoản 1 Điều 27 [1].", llm_check.PROVISION, "điểm e"),
        (
            "Danh hiệu xét tặng hằng năm [3].",
            llm_check.BAD_MARKER,
            "Danh hiệu xét tặng hằng năm [3].",
        ),
        ("Cần 100% hoàn thành nhiệm vụ [1]. Và xét trong 5 năm [1].", llm_check.NUMBER, "5"),
        ("Áp dụng từ ngày 1/7/2025 [1].", llm_check.DATE, "1/7/2025"),
        ("Theo Nghị định 91/2017/NĐ-CP [1].", llm_check.DOCUMENT, "91/2017/NĐ-CP"),
        (
            "Tập thể cần có Chiến sĩ thi đua toàn quốc [1].",
            llm_check.TITLE,
            "chien si thi dua toan quoc",
        ),
        ("Chủ tịch xã tặng Giấy khen.", llm_check.NO_MARKER, "Chủ tịch xã tặng Giấy khen."),
        (
            "Chủ tịch xã tặng Giấy khen [2]. Tập thể cần hoàn thành xuất sắc nhiệm vụ.",
            llm_check.NO_MARKER,
            "Tập thể cần hoàn thành xuất sắc nhiệm vụ.",
        ),
        ("Không đủ căn cứ.", llm_check.INSUFFICIENT, ""),
        ("", llm_check.EMPTY, ""),
    ],
)
def test_an_unfaithful_answer_is_rejected_with_its_reason(
    answer: str, reason: str, detail: str
) -> None:
    result = verdict(answer)
    assert not result.ok
    assert (result.reason, result.detail) == (reason, detail)


def test_a_fact_must_be_in_the_clause_the_sentence_cites_not_just_any() -> None:
    # 70% is in Điều 27 ([1]), not in Điều 75 ([2]), which this sentence cites.
    result = verdict("Cần 70% cá nhân đạt Lao động tiên tiến [2].")
    assert (result.ok, result.reason) == (False, llm_check.PERCENT)


def test_the_models_own_basis_and_thinking_are_not_shown() -> None:
    result = verdict(
        "<think>Điều 99 nói gì?</think>Chủ tịch Ủy ban nhân dân cấp xã tặng Giấy khen [2].\n"
        "Căn cứ: Điều 99 Luật Thi đua"
    )
    assert result.ok, result
    assert result.text == "Chủ tịch Ủy ban nhân dân cấp xã tặng Giấy khen [2]."
