"""Answers from the whole Law: every basis names its Điều, the quote is what answers, a named
provision the texts lack is said to be missing, the question typed without diacritics leads
with the same basis, and what the texts do not cover is refused and logged. The calibration
figures behind the refusals are in bench/confidence.py; these tests assert behaviour."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot import wiring
from bot.config import Settings
from bot.core.qa import QuestionAnswering
from bot.i18n import vi
from bot.messages import Incoming, Reply
from knowledge import ExtractiveAnswerer, HybridRetriever
from knowledge.confidence import confidence, features
from knowledge.documents import Passage

LAW = "Luật Thi đua, khen thưởng số 06/2022/QH15 (Quốc hội, 15/6/2022)"
BASIS = re.compile(
    r"^Căn cứ: (?:(?:điểm [a-zđ] )?khoản \d+ |các khoản [\d, ]+ và \d+ )?Điều \d+ \S", re.M
)


@pytest.fixture
def assistant(settings: Settings) -> wiring.Assistant:
    return wiring.build_assistant(settings)


def ask(assistant: wiring.Assistant, text: str) -> Reply:
    return assistant.qa.ask(Incoming(channel="test", chat_id="c1", user_id="u1", text=text))


def test_who_awards_a_giay_khen_is_quoted_from_both_articles_that_say_it(
    assistant: wiring.Assistant,
) -> None:
    reply = ask(assistant, "Ai có thẩm quyền tặng Giấy khen?")
    assert reply.found
    text = reply.text
    # Điều 75: the kinds of Giấy khen, by who gives them, under the article's heading.
    assert text.startswith("Điều 75. Giấy khen\n1. Giấy khen gồm:\na) Giấy khen của Thủ trưởng")
    assert "đ) Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã.\n…\n" in text
    assert f"Căn cứ: khoản 1 Điều 75 {LAW}" in text
    # Điều 80: the khoản naming who decides, khoản 5 (armed forces, no giấy khen) left out.
    assert "\nĐiều 80. Thẩm quyền của Thủ trưởng, người đứng đầu" in text
    assert (
        "3. Chủ tịch Ủy ban nhân dân cấp xã quyết định tặng danh hiệu “Lao động tiên tiến”" in text
    )
    assert "5. Thẩm quyền quyết định tặng danh hiệu “Đơn vị tiên tiến”" not in text
    assert f"Căn cứ: các khoản 1, 2, 3 và 4 Điều 80 {LAW}" in text
    # Not Điều 75 khoản 2 (who details the criteria), nor the revoking of awards.
    assert "hướng dẫn cụ thể tiêu chuẩn xét tặng giấy khen" not in text
    assert "hủy bỏ" not in text
    assert [(c.doc_number, c.article) for c in reply.citations[:2]] == [
        ("06/2022/QH15", "75"),
        ("06/2022/QH15", "80"),
    ]


@pytest.mark.parametrize(
    "question",
    [
        "Hồ sơ đề nghị khen thưởng gồm những gì?",
        "Tập thể lao động xuất sắc cần bao nhiêu phần trăm cá nhân đạt Lao động tiên tiến?",
        "Quỹ thi đua, khen thưởng được hình thành từ nguồn nào?",
        "huan chuong lao dong hang nhi tang cho ca nhan can dieu kien gi",
        "Điều 23 Luật Thi đua, khen thưởng",
        "điểm b khoản 2 Điều 93",
        "Luật Thi đua, khen thưởng 2022 có hiệu lực từ ngày nào?",
    ],
)
def test_every_basis_names_its_article(assistant: wiring.Assistant, question: str) -> None:
    reply = ask(assistant, question)
    assert reply.found
    bases = [line for line in reply.text.splitlines() if line.startswith("Căn cứ:")]
    assert bases and all(BASIS.match(line) for line in bases), bases
    see_also = [line for line in reply.text.splitlines() if line.startswith("• ")]
    assert all(re.match(r"• (?:(?:điểm [a-zđ] )?khoản \d+ )?Điều \d+ ", x) for x in see_also)
    assert all(c.article for c in reply.citations)


def test_a_quote_that_is_one_point_or_the_whole_article_is_cited_as_such(
    assistant: wiring.Assistant,
) -> None:
    point = ask(assistant, "điểm b khoản 2 Điều 93")
    assert f"Căn cứ: điểm b khoản 2 Điều 93 {LAW}" in point.text
    assert "b) Cung cấp thông tin sai sự thật hoặc làm giả hồ sơ" in point.text
    whole = ask(assistant, "Điều 23 Luật Thi đua, khen thưởng")
    assert f"Căn cứ: Điều 23 {LAW}" in whole.text
    assert "Xem thêm" not in whole.text  # a provision asked by number comes alone


@pytest.mark.parametrize(
    ("question", "missing", "detail"),
    [
        ("khoản 9 Điều 24", f"khoản 9 Điều 24 {LAW}", "Điều 24 của văn bản này có 6 khoản."),
        ("Điều 99 Luật Thi đua, khen thưởng", f"Điều 99 {LAW}", "Văn bản này có 96 Điều."),
        ("dieu 99 luat thi dua khen thuong", f"Điều 99 {LAW}", "Văn bản này có 96 Điều."),
        (
            "điểm e khoản 1 Điều 24 quy định gì?",
            f"điểm e khoản 1 Điều 24 {LAW}",
            "Khoản 1 Điều 24 của văn bản này có 2 điểm.",
        ),
        (
            "Điều 85 Nghị định 91/2017/NĐ-CP",
            "Điều 85 Nghị định quy định chi tiết thi hành một số điều của Luật Thi đua, khen "
            "thưởng số 91/2017/NĐ-CP (Chính phủ, 31/7/2017)",
            "Văn bản này có 80 Điều.",
        ),
    ],
)
def test_a_provision_the_texts_lack_is_said_to_be_missing_never_replaced(
    assistant: wiring.Assistant, settings: Settings, question: str, missing: str, detail: str
) -> None:
    reply = ask(assistant, question)
    assert reply.found is False and reply.citations == ()
    assert reply.text == "\n".join(
        [vi.ABSENT_PROVISION.format(provision=missing), detail, vi.ABSENT_HINT]
    )
    [logged] = wiring.open_unanswered_log(settings).latest()
    assert logged.question == question


def test_an_article_no_text_holds_is_missing_from_all_of_them(
    assistant: wiring.Assistant,
) -> None:
    reply = ask(assistant, "Điều 99 quy định gì?")
    assert reply.found is False
    assert reply.text.startswith(vi.ABSENT_ANYWHERE.format(provision="Điều 99"))


def test_a_named_clause_is_that_clause_of_the_text_in_force(assistant: wiring.Assistant) -> None:
    reply = ask(assistant, "khoản 3 Điều 24")
    assert reply.found
    assert {(c.doc_number, c.article, c.clause) for c in reply.citations} == {
        ("06/2022/QH15", "24", "3")
    }
    assert "3. Danh hiệu “Lao động tiên tiến” để tặng cho công nhân, nông dân" in reply.text
    assert "Huân chương" not in reply.text  # khoản 3 Điều 24 of the superseded decree
    assert f"Căn cứ: khoản 3 Điều 24 {LAW}" in reply.text


@pytest.mark.parametrize(
    ("accented", "plain"),
    [
        (
            "Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?",
            "Tieu chuan danh hieu Lao dong tien tien la gi?",
        ),
        ("Ai có thẩm quyền tặng Giấy khen?", "Ai co tham quyen tang Giay khen?"),
        ("Hồ sơ đề nghị khen thưởng gồm những gì?", "Ho so de nghi khen thuong gom nhung gi?"),
        (
            "Cờ thi đua của Chính phủ tặng cho tập thể nào?",
            "Co thi dua cua Chinh phu tang cho tap the nao?",
        ),
    ],
)
def test_the_same_question_without_diacritics_leads_with_the_same_basis(
    assistant: wiring.Assistant, accented: str, plain: str
) -> None:
    replies = [ask(assistant, accented), ask(assistant, plain)]
    assert all(r.found for r in replies)
    leads = [
        (r.citations[0].doc_number, r.citations[0].article, r.citations[0].clause) for r in replies
    ]
    assert leads[0] == leads[1]
    bases = [next(x for x in r.text.splitlines() if x.startswith("Căn cứ:")) for r in replies]
    assert bases[0] == bases[1]


@pytest.mark.parametrize(
    "question",
    [
        "Thủ tục đăng ký khai sinh cho con như thế nào?",
        "Mức lương cơ sở hiện nay là bao nhiêu?",
        "Các hình thức kỷ luật đối với công chức gồm những gì?",
        "Tiền thưởng danh hiệu thi đua có phải nộp thuế thu nhập cá nhân không?",
        "thue truoc ba nha dat la bao nhieu phan tram",
        "Đảng viên dự bị bao lâu thì được xét chuyển chính thức?",
    ],
)
def test_near_domain_questions_the_texts_do_not_cover_are_refused_and_logged(
    assistant: wiring.Assistant, settings: Settings, question: str
) -> None:
    reply = ask(assistant, question)
    assert reply.found is False and reply.citations == ()
    assert reply.text == vi.NOT_FOUND
    [logged] = wiring.open_unanswered_log(settings).latest()
    assert logged.question == question
    assert logged.asked_at <= datetime.now(UTC)


class OnePassage:
    """A retriever whose best passage always has the top min-max score, 1.0."""

    def __init__(self, passage: Passage) -> None:
        self.passage = passage

    def search(self, query: str, k: int = 10, *, today: date) -> list[Passage]:
        return [self.passage]


class Nowhere:
    def record(self, **_: object) -> None:
        pass


def test_a_citation_scores_the_answers_absolute_confidence_not_its_rank(
    assistant: wiring.Assistant,
) -> None:
    question = "Tiêu chuẩn danh hiệu Chiến sĩ thi đua cơ sở"
    [best, *_] = HybridRetriever(assistant.index).search(question, 3, today=date(2025, 6, 1))
    ranked_first = replace(best, score=1.0)  # first of its list, however good it is
    qa = QuestionAnswering(
        OnePassage(ranked_first),
        ExtractiveAnswerer(),
        Nowhere(),
        now=lambda: datetime(2025, 6, 1, tzinfo=UTC),
    )
    reply = qa.ask(Incoming(channel="test", chat_id="c1", user_id="u1", text=question))
    assert reply.found
    expected = confidence(features(question, ranked_first))
    assert reply.citations[0].score == pytest.approx(expected, abs=1e-4)
    assert 0.0 < reply.citations[0].score < 1.0
