"""Vietnamese normalisation, reference parsing and clause quoting: pure functions, no model."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.accents import Accents
from knowledge.answer import quote
from knowledge.confidence import DIRECT_SCORE, QuestionTerms
from knowledge.documents import Chunk, Citation, DocumentMeta, Passage
from knowledge.lexical import LexicalIndex
from knowledge.lookup import (
    absence,
    article_key,
    article_names,
    find_reference,
    lookup,
    named_articles,
    without_references,
)
from knowledge.quoting import ELLIPSIS, excerpts, select
from knowledge.vntext import (
    accented_terms,
    content_syllables,
    expand_abbreviations,
    fold,
    folded_terms,
    is_unaccented,
    normalize,
    syllables,
)

LAW = DocumentMeta(
    doc_id="luat", title="Luật Thi đua, khen thưởng", doc_number="06/2022/QH15", doc_type="Luật"
)
DECREE = DocumentMeta(
    doc_id="nd91",
    title="Quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng",
    doc_number="91/2017/NĐ-CP",
    doc_type="Nghị định",
)
CIRCULAR = DocumentMeta(
    doc_id="tt01", title="Hướng dẫn Nghị định 98", doc_number="01/2024/TT-BNV", doc_type="Thông tư"
)
DOCS = [LAW, DECREE, CIRCULAR]


def test_normalize_and_fold() -> None:
    decomposed = "Đie\u0302\u0300u 24"  # 'Điều' typed with combining marks
    assert normalize(decomposed) == "điều 24"
    assert fold("ĐIỀU 24 Khoản 1 điểm đ") == "dieu 24 khoan 1 diem d"
    assert fold("Thi đua, khen thưởng") == "thi dua, khen thuong"


def test_syllables_keep_document_numbers_whole() -> None:
    assert syllables("Luật số 06/2022/QH15, Nghị định 91/2017/NĐ-CP.") == [
        "luật",
        "số",
        "06/2022/qh15",
        "nghị",
        "định",
        "91/2017/nđ-cp",
    ]
    assert syllables("thi_đua (khen-thưởng)") == ["thi", "đua", "khen", "thưởng"]


def test_terms_add_bigrams_and_number_parts() -> None:
    terms = accented_terms("Nghị định 91/2017/NĐ-CP")
    assert {"nghị", "nghị_định", "91/2017/nđ-cp", "91/2017", "nđ"} <= set(terms)
    assert "nghi_dinh" in folded_terms("Nghị định") and "91/2017" in folded_terms("91/2017/NĐ-CP")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tieu chuan lao dong tien tien", True),
        ("What is the weather?", True),
        ("tiêu chuẩn lao động tiên tiến", False),
        ("dieu 24 Luật", False),
        ("12345 ???", False),
        ("", False),
    ],
)
def test_is_unaccented(text: str, expected: bool) -> None:
    assert is_unaccented(text) is expected


def test_content_syllables_drop_function_words_but_not_thi() -> None:
    assert content_syllables(syllables("tiêu chuẩn của lao động là gì")) == [
        "tiêu",
        "chuẩn",
        "lao",
        "động",
    ]
    assert "thi" in content_syllables(["thi", "dua", "la", "gi"])


@pytest.mark.parametrize(
    ("query", "article", "clause", "point", "docs"),
    [
        ("Điều 24 Luật Thi đua, khen thưởng", "24", "", "", ("luat",)),
        ("dieu 24 luat thi dua khen thuong", "24", "", "", ("luat",)),
        ("khoản 1 Điều 27", "27", "1", "", ()),
        ("khoan 1 dieu 27", "27", "1", "", ()),
        ("điểm a khoản 1 Điều 27", "27", "1", "a", ()),
        ("điểm đ khoản 2 Điều 9 Nghị định 91/2017", "9", "2", "đ", ("nd91",)),
        ("diem b, khoan 2 dieu 9 nghi dinh 91/2017/nd-cp", "9", "2", "b", ("nd91",)),
        ("Điều 27, khoản 1", "27", "1", "", ()),
        ("Nghị định 91/2017", "", "", "", ("nd91",)),
        ("nd 91/2017", "", "", "", ("nd91",)),
        ("theo 06/2022/QH15", "", "", "", ("luat",)),
        ("Thông tư 1/2024", "", "", "", ("tt01",)),
        ("hạn nộp tháng 1/2024", "", "", "", ()),  # a date, not Thông tư 01/2024
        ("điều kiện khen thưởng", "", "", "", ()),
        ("chấm điểm a và b", "", "", "", ()),
        ("khoản 1 về tiêu chuẩn", "", "", "", ()),
    ],
)
def test_find_reference(
    query: str, article: str, clause: str, point: str, docs: tuple[str, ...]
) -> None:
    ref = find_reference(query, DOCS)
    assert (ref.article, ref.clause, ref.point, ref.documents) == (article, clause, point, docs)


def test_number_beats_title_and_longer_title_wins() -> None:
    ref = find_reference(
        "Quy định chi tiết thi hành một số điều của Luật Thi đua, khen thưởng", DOCS
    )
    assert ref.by_title == ("nd91",) and ref.by_number == ()
    assert find_reference("Luật 06/2022/QH15", DOCS).by_number == ("luat",)


def _chunk(
    doc: DocumentMeta, article: str, clause: str = "", point: str = "", text: str = "…"
) -> Chunk:
    cid = f"{doc.doc_id}#{article}-{clause}-{point}"
    return Chunk(cid, text, Citation(doc, article=article, clause=clause, point=point))


CHUNKS = [
    _chunk(LAW, "24", text="Điều 24. Lao động tiên tiến\n1. Cán bộ:\na) Tốt;\n2. Quân nhân."),
    _chunk(LAW, "27", "1"),
    _chunk(LAW, "27", "2"),
    _chunk(LAW, "28", "1", text="1. Tập thể:\na) Tốt;\nb) Đoàn kết;\nc) 70% cá nhân."),
    _chunk(LAW, "28", "1", "a"),
    _chunk(DECREE, "24", text="Điều 24. Huân chương\n1. Cá nhân.\n2. Tập thể.\n3. Khác."),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Điều 24 Luật Thi đua, khen thưởng", ["luat#24--"]),
        ("Điều 24", ["luat#24--", "nd91#24--"]),
        ("khoản 2 Điều 24 Luật Thi đua, khen thưởng", ["luat#24--"]),
        ("khoản 2 Điều 27", ["luat#27-2-"]),
        ("Điều 27", ["luat#27-1-", "luat#27-2-"]),
        ("khoản 1 Điều 28", ["luat#28-1-"]),
        ("điểm a khoản 1 Điều 28", ["luat#28-1-a"]),
        ("điểm c khoản 1 Điều 28", ["luat#28-1-"]),
        ("Điều 99", []),
        ("tiêu chuẩn lao động tiên tiến", []),
        # What the texts do not hold is not replaced by what they do.
        ("khoản 9 Điều 24", []),
        ("khoản 3 Điều 27", []),
        ("điểm e khoản 1 Điều 28", []),
        ("điểm b khoản 1 Điều 24", []),
        ("khoản 3 Điều 24", ["nd91#24--"]),  # only the decree's Điều 24 has a khoản 3
    ],
)
def test_lookup_prefers_the_most_specific_chunk(query: str, expected: list[str]) -> None:
    assert [c.id for c in lookup(find_reference(query, DOCS), CHUNKS)] == expected


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        ("Điều 99 Luật Thi đua, khen thưởng", ("99", "", "", "luat", 3, 0, 0)),
        ("Điều 99", ("99", "", "", None, 0, 0, 0)),
        ("khoản 9 Điều 24", ("24", "9", "", "luat", 0, 2, 0)),
        ("khoan 9 dieu 24 nghi dinh 91/2017", ("24", "9", "", "nd91", 0, 3, 0)),
        ("khoản 3 Điều 27 Luật Thi đua, khen thưởng", ("27", "3", "", "luat", 0, 2, 0)),
        ("điểm e khoản 1 Điều 28", ("28", "1", "e", "luat", 0, 1, 3)),
        ("điểm b khoản 1 Điều 24", ("24", "1", "b", "luat", 0, 2, 1)),
    ],
)
def test_absence_says_what_the_texts_lack(
    query: str, missing: tuple[str, str, str, str | None, int, int, int]
) -> None:
    gone = absence(find_reference(query, DOCS), CHUNKS, date(2025, 6, 1))
    assert gone is not None
    doc = gone.document.doc_id if gone.document else None
    assert (
        gone.article,
        gone.clause,
        gone.point,
        doc,
        gone.articles,
        gone.clauses,
        gone.points,
    ) == (missing)


@pytest.mark.parametrize(
    "query", ["Điều 24", "khoản 2 Điều 24", "điểm a khoản 1 Điều 28", "lao động tiên tiến"]
)
def test_nothing_is_absent_when_the_texts_hold_it(query: str) -> None:
    assert absence(find_reference(query, DOCS), CHUNKS, date(2025, 6, 1)) is None


def headed(doc: str, article: str, heading: str) -> Chunk:
    meta = DocumentMeta(doc_id=doc, title="Luật")
    citation = Citation(meta, article=article, headings=("Chương II", heading))
    return Chunk(id=f"{doc}#d{article}", text=heading, citation=citation)


HEADED = [
    headed("luat", "24", "Điều 24. Danh hiệu “Lao động tiên tiến”, “Chiến sĩ tiên tiến”"),
    headed("luat", "28", "Điều 28. Danh hiệu “Tập thể lao động tiên tiến”, “Đơn vị tiên tiến”"),
    headed("luat", "44", "Điều 44. “Huân chương Lao động” hạng Ba"),
    headed("luat", "43", "Điều 43. “Huân chương Lao động” hạng Nhì"),
    headed("luat", "9", "Điều 9. Hình thức khen thưởng"),
    headed("luat", "75", "Điều 75. Giấy khen"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?", {"24"}),
        ("tieu chuan lao dong tien tien", {"24"}),
        ("tiêu chuẩn tập thể lao động tiên tiến", {"28"}),  # the longest name wins
        ("Huân chương Lao động hạng Ba cho ai", {"44"}),  # the whole title beats a quoted name
        ("huân chương lao động", {"43", "44"}),
        ("hồ sơ đề nghị hình thức khen thưởng", set()),  # an unquoted title is ordinary words
        ("ai tặng giấy khen", set()),
    ],
)
def test_a_question_naming_an_award_names_the_article_headed_by_it(
    query: str, expected: set[str]
) -> None:
    assert named_articles(query, article_names(HEADED)) == {("luat", a) for a in expected}


def test_article_key() -> None:
    assert [article_key(a) for a in ("24", "Điều 24.", "24a", "", "IV")] == [
        "24",
        "24",
        "24a",
        "",
        "",
    ]


ARTICLE = """Điều 27. Danh hiệu Tập thể lao động xuất sắc
1. Danh hiệu Tập thể lao động xuất sắc được xét tặng cho tập thể đạt tiêu chuẩn sau:
a) Sáng tạo, vượt khó hoàn thành xuất sắc nhiệm vụ;
b) Có ít nhất 70% cá nhân đạt danh hiệu Lao động tiên tiến;
c) Có cá nhân đạt danh hiệu Chiến sĩ thi đua cơ sở.
2. Danh hiệu Tập thể lao động tiên tiến được xét tặng cho tập thể có trên 50% cá nhân \
đạt danh hiệu Lao động tiên tiến."""


def _passage(text: str) -> Passage:
    return Passage(Chunk("x", text, Citation(LAW, article="27")), score=1.0)


def test_quote_picks_the_matching_point_with_its_intro() -> None:
    lines = ARTICLE.splitlines()
    question = "tập thể lao động xuất sắc cần bao nhiêu phần trăm cá nhân tiên tiến"
    quotes = quote(question, _passage(ARTICLE))
    assert quotes[:2] == [lines[1], lines[3]]  # the list intro, then point b (70%)
    assert lines[2] not in quotes and lines[4] not in quotes and lines[0] not in quotes


def test_quote_keeps_all_points_when_the_intro_matches() -> None:
    quotes = quote("tiêu chuẩn tập thể lao động xuất sắc", _passage(ARTICLE))
    assert quotes == ARTICLE.splitlines()[1:5]


def test_quote_unaccented_and_without_content_words() -> None:
    assert quote("tap the lao dong tien tien tren 50%", _passage(ARTICLE)) == [
        ARTICLE.splitlines()[5]
    ]
    assert quote("Điều 27", _passage(ARTICLE)) == ARTICLE.splitlines()[1:]
    assert quote("bất kỳ", _passage("Điều 1. Phạm vi\nLuật này quy định về thi đua.")) == [
        "Luật này quy định về thi đua."
    ]


def test_lexical_index_scores_both_forms() -> None:
    index = LexicalIndex.build(["a", "b"], ["Lao động tiên tiến", "Chiến sĩ thi đua cơ sở"])
    [(row, score)] = index.top("lao động tiên tiến", 5)
    assert row == 0 and score > 0
    assert [row for row, _ in index.top("chien si thi dua", 5, folded=True)] == [1]
    assert index.top("chien si", 5, folded=False) == []
    assert index.top("giá vàng", 5) == []
    assert LexicalIndex.build([], []).top("x", 3) == []


def test_quote_of_a_named_provision_shows_the_part_named() -> None:
    lines = ARTICLE.replace("Điều 27. Danh hiệu Tập thể lao động xuất sắc", "Điều 27.").splitlines()
    direct = Passage(Chunk("x", "\n".join(lines), Citation(LAW, article="27")), DIRECT_SCORE)
    assert quote("khoản 1 Điều 27 Luật Thi đua, khen thưởng", direct) == lines[1:5]
    assert quote("diem b khoan 1 dieu 27", direct) == [lines[1], lines[3]]
    assert quote("Điều 27 Luật Thi đua, khen thưởng", direct) == lines[1:]
    assert quote("khoản 9 Điều 27", direct) == lines[1:]


GIAY_KHEN = """Điều 80. Thẩm quyền của Thủ trưởng, Chủ tịch Ủy ban nhân dân cấp huyện, cấp xã
1. Thủ trưởng cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh quyết định tặng danh hiệu \
“Lao động tiên tiến” và giấy khen.
2. Chủ tịch Ủy ban nhân dân cấp huyện quyết định tặng danh hiệu thôn, tổ dân phố văn hóa và \
giấy khen.
3. Chủ tịch Ủy ban nhân dân cấp xã quyết định tặng giấy khen và danh hiệu “Gia đình văn hóa”.
4. Thẩm quyền quyết định tặng danh hiệu trong Quân đội nhân dân do Bộ Quốc phòng quy định.
5. Bộ, ban, ngành hướng dẫn tiêu chuẩn xét tặng giấy khen thuộc thẩm quyền quản lý."""


def test_a_who_question_quotes_the_lines_naming_who_decides() -> None:
    """'Thẩm quyền' names the whole article (its heading), so it picks out no line; 'ai' asks
    for the lines that name who decides, and every one of them that gives a giấy khen."""
    lines = GIAY_KHEN.splitlines()
    quotes = quote("Ai có thẩm quyền tặng giấy khen?", _passage(GIAY_KHEN))
    assert quotes == lines[1:4]


def test_a_line_quoting_the_award_asked_about_comes_first() -> None:
    lines = GIAY_KHEN.splitlines()
    assert quote("Ai quyết định tặng danh hiệu Gia đình văn hóa?", _passage(GIAY_KHEN)) == [
        lines[3]
    ]


def test_an_excerpt_shows_the_heading_and_marks_what_it_leaves_out() -> None:
    passage = _passage(GIAY_KHEN)
    [excerpt] = excerpts([select("Ai có thẩm quyền tặng giấy khen?", passage)])
    lines = GIAY_KHEN.splitlines()
    assert excerpt.heading == lines[0]
    assert excerpt.lines == (*lines[1:4], ELLIPSIS)
    assert excerpt.clauses == ("1", "2", "3")
    split = Chunk(
        "d24-k3",
        "3. Danh hiệu “Lao động tiên tiến” để tặng cho công nhân, nông dân.",
        Citation(LAW, article="24", clause="3", headings=("Điều 24. Danh hiệu",)),
    )
    [third] = excerpts([select("khoản 3 Điều 24", Passage(split, score=2.5))])
    assert third.heading == "Điều 24. Danh hiệu"
    assert third.lines == (ELLIPSIS, split.text)  # khoản 1 and 2 come before it
    assert third.clauses == ("3",)


def test_accents_come_back_from_the_texts_own_vocabulary() -> None:
    accents = Accents.from_texts(
        [
            "Danh hiệu “Cờ thi đua của Chính phủ” để tặng cho tập thể.",
            "Cơ quan, tổ chức có thẩm quyền quyết định tặng giấy khen.",
            "Phòng, chống tham nhũng, tiêu cực; tiêu chuẩn xét tặng.",
        ]
    )
    assert accents.restore("Co thi dua cua Chinh phu tang cho ai?") == (
        "Cờ thi đua của Chính phủ tặng cho ai?"
    )
    assert accents.restore("co quan co tham quyen") == "cơ quan có thẩm quyền"
    # Pairs never span punctuation: 'tham nhũng, tiêu cực' says nothing of 'những tiêu'.
    assert accents.restore("can nhung tieu chuan gi") == "cần những tiêu chuẩn gì"
    assert accents.restore("UBND 06/2022/QH15 xyz") == "UBND 06/2022/QH15 xyz"


def test_abbreviations_are_spelled_out_in_the_form_they_were_typed() -> None:
    assert expand_abbreviations("Chủ tịch UBND xã tặng CSTĐCS?") == (
        "Chủ tịch Ủy ban nhân dân xã tặng Chiến sĩ thi đua cơ sở?"
    )
    assert expand_abbreviations("chu tich ubnd xa") == "chu tich uy ban nhan dan xa"
    assert expand_abbreviations("Nghị định 91/2017/NĐ-CP") == "Nghị định 91/2017/NĐ-CP"


def test_coverage_leaves_out_the_documents_and_provisions_named() -> None:
    assert without_references(
        "Luật 06/2022/QH15 và Nghị định 152/2025/NĐ-CP quy định tiêu chuẩn gì?"
    ) == ("và quy định tiêu chuẩn gì?")
    assert without_references("khoản 1 Điều 27 nói gì về điểm a khoản 2") == "nói gì về"
    assert without_references("hạn nộp tháng 1/2024") == "hạn nộp tháng 1/2024"
    terms = QuestionTerms.of(
        "Thon van hoa can dat nhung tieu chuan gi?", "Thôn văn hóa cần đạt những tiêu chuẩn gì?"
    )
    assert terms.content == {"thon", "van", "hoa", "dat", "tieu", "chuan"}  # 'can' was cần
