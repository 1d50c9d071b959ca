"""The legal structure parser, on the bundled texts and on the forms other sources use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.legal import Article, Point, Section, parse_legal
from ingest.loaders import load_document

SOURCES = Path(__file__).resolve().parents[1] / "knowledge" / "sources"


def blocks_of(name: str) -> list[Article | Section]:
    return parse_legal(load_document(SOURCES / name).text)


def articles_of(blocks: list[Article | Section]) -> dict[str, Article]:
    return {b.number: b for b in blocks if isinstance(b, Article)}


@pytest.fixture(scope="module")
def law() -> list[Article | Section]:
    return blocks_of("luat-tdkt-2022.md")


def test_the_whole_law_has_96_articles_in_order(law: list[Article | Section]) -> None:
    numbers = [b.number for b in law if isinstance(b, Article)]
    assert numbers == [str(n) for n in range(1, 97)]
    articles = articles_of(law)
    assert all(a.title for a in articles.values())
    assert articles["96"].title == "Khen thưởng tổng kết thành tích kháng chiến"


def test_eight_chapters_and_their_sections_head_the_articles(law: list[Article | Section]) -> None:
    articles = articles_of(law)
    chapters = {a.headings[0].split(".")[0] for a in articles.values()}
    roman = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    assert chapters == {f"Chương {n}" for n in roman}
    assert articles["1"].headings == ("Chương I. NHỮNG QUY ĐỊNH CHUNG",)
    assert articles["33"].headings == (
        "Chương III. ĐỐI TƯỢNG, TIÊU CHUẨN KHEN THƯỞNG",
        "Mục 1. ĐỐI TƯỢNG, TIÊU CHUẨN KHEN THƯỞNG HUÂN CHƯƠNG",
    )
    assert articles["75"].headings[1].startswith("Mục 5. ĐỐI TƯỢNG, TIÊU CHUẨN KHEN THƯỞNG KỶ NIỆM")
    assert articles["84"].headings[1].startswith("Mục 2. THỦ TỤC, HỒ SƠ ĐỀ NGHỊ")
    assert articles["86"].headings == (  # a new Chương closes Mục 2 of Chương IV
        "Chương V. QUYỀN VÀ NGHĨA VỤ CỦA CÁ NHÂN, TẬP THỂ, HỘ GIA ĐÌNH TRONG THI ĐUA, KHEN THƯỞNG",
    )
    assert articles["93"].headings == ("Chương VII. XỬ LÝ VI PHẠM",)
    sections = {a.headings[1].split(".")[0] for a in articles.values() if len(a.headings) > 1}
    assert sections == {"Mục 1", "Mục 2", "Mục 3", "Mục 4", "Mục 5"}


@pytest.mark.parametrize(
    ("article", "clauses", "points"),
    [
        ("3", 6, {}),
        ("16", 2, {"1": "ab", "2": "abcd"}),
        ("24", 6, {"1": "ab", "3": "ab"}),
        ("27", 3, {"1": "abcdđ"}),
        ("33", 2, {"2": "abcdđeghik"}),
        ("75", 2, {"1": "abcdđ"}),
        ("80", 5, {}),
        ("84", 7, {"1": "abcd", "2": "abcd"}),
        ("85", 2, {"1": "abcdđ"}),
        ("89", 2, {"2": "abcdđeghik"}),
        ("93", 9, {"2": "abcd"}),
        ("96", 3, {}),
    ],
)
def test_khoan_and_diem_of_a_sample_of_articles(
    law: list[Article | Section], article: str, clauses: int, points: dict[str, str]
) -> None:
    parsed = articles_of(law)[article]
    assert [c.number for c in parsed.clauses] == [str(n) for n in range(1, clauses + 1)]
    found = {c.number: "".join(p.letter for p in c.points) for c in parsed.clauses if c.points}
    assert found == points


def test_diem_dd_and_the_text_of_each_part(law: list[Article | Section]) -> None:
    articles = articles_of(law)
    giay_khen = articles["75"].clauses[0]
    assert giay_khen.text.startswith("1. Giấy khen gồm:\na) Giấy khen của Thủ trưởng")
    assert giay_khen.points[4] == Point("đ", "đ) Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã.")
    state = articles["89"].clauses[1].points
    assert [p.letter for p in state][4:6] == ["đ", "e"]
    assert state[4].text.startswith("đ) Thẩm định hồ sơ trình xét tặng")
    excellent = articles["27"].clauses[0].points
    assert "70% cá nhân đạt danh hiệu “Lao động tiên tiến”" in excellent[2].text
    assert excellent[4].text.startswith("đ) Nội bộ đoàn kết")
    # A paragraph closing a khoản is part of it, not of its last điểm.
    second = articles["21"].clauses[1]
    assert second.text.endswith("có phạm vi ảnh hưởng trong toàn quốc.")
    assert second.points == ()


def test_preamble_and_closing_are_sections_around_the_articles(
    law: list[Article | Section],
) -> None:
    first, last = law[0], law[-1]
    assert isinstance(first, Section) and isinstance(last, Section)
    assert first.headings == () and first.lines[0].startswith("QUỐC HỘI")
    assert first.lines[-1] == "Quốc hội ban hành Luật Thi đua, khen thưởng."
    assert last.headings == ()
    assert last.lines[0].startswith("Luật này được Quốc hội nước Cộng hòa xã hội chủ nghĩa")
    assert last.lines[1:] == ("CHỦ TỊCH QUỐC HỘI", "Vương Đình Huệ")
    article_96 = articles_of(law)["96"]
    assert article_96.text.endswith("hướng dẫn việc thực hiện khoản 1 và khoản 2 Điều này.")
    assert sum(isinstance(b, Section) for b in law) == 2


def test_the_whole_decree_91_has_80_articles() -> None:
    blocks = blocks_of("nd-91-2017-nd-cp.md")
    articles = articles_of(blocks)
    assert list(articles) == [str(n) for n in range(1, 81)]
    assert all(isinstance(b, Article) for b in blocks)
    article_9 = articles["9"]
    assert "không quá 15%" in article_9.clauses[2].text
    assert [p.letter for p in articles["33"].clauses[0].points] == list("abcdđeghiklm")


def test_article_level_points_without_khoan() -> None:
    (article,) = parse_legal("Điều 21.\nMở đầu:\na) Một;\nb) Hai.")
    assert isinstance(article, Article)
    assert article.title == "" and article.heading == "Điều 21."
    assert article.clauses == ()
    assert [p.letter for p in article.points] == ["a", "b"]
    assert article.intro.endswith("b) Hai.")


def test_enacting_formula_inside_an_article_is_not_a_closing() -> None:
    text = "Điều 1. X\n1. Quy định này được thông qua tại kỳ họp.\nĐiều 2. Y\nNội dung."
    assert [b.number for b in parse_legal(text) if isinstance(b, Article)] == ["1", "2"]


def test_guidance_without_articles_is_split_by_headings() -> None:
    blocks = blocks_of("hd-1479-btdkt-2016.md")
    assert all(isinstance(b, Section) for b in blocks)
    assert [b.headings for b in blocks] == [
        (),
        ("I. VỀ TỔ CHỨC CỤM, KHỐI THI ĐUA", "1. Quy định chung"),
    ]


def test_colon_form_title_on_next_line_and_uppercase_keywords() -> None:
    text = "\n".join(
        [
            "PHẦN THỨ NHẤT",
            "CHƯƠNG II",
            "DANH HIỆU THI ĐUA",
            "Mục 1. CÁ NHÂN",
            "Điều 21: Chiến sĩ thi đua toàn quốc",
            "Nội dung.",
            "ĐIỀU 22",
            "Nội dung khác.",
        ]
    )
    first, second = parse_legal(text)
    assert isinstance(first, Article) and isinstance(second, Article)
    assert (first.number, first.title) == ("21", "Chiến sĩ thi đua toàn quốc")
    assert first.headings == ("Phần THỨ NHẤT", "Chương II. DANH HIỆU THI ĐUA", "Mục 1. CÁ NHÂN")
    assert (second.number, second.title, second.body) == ("22", "", "Nội dung khác.")


def test_a_new_chapter_resets_the_section_below_it() -> None:
    text = "Chương I\nMục 1\nĐiều 1. A\nx\nChương II\nĐiều 2. B\ny"
    first, second = parse_legal(text)
    assert isinstance(first, Article) and isinstance(second, Article)
    assert first.headings == ("Chương I", "Mục 1")
    assert second.headings == ("Chương II",)


def test_references_and_wrapped_numbers_are_not_structure() -> None:
    text = "\n".join(
        [
            "Điều 5. Hồ sơ",
            "1. Hồ sơ theo quy định tại",
            "Điều 7 của Luật này gồm:",
            "a) Tờ trình;",
            "c) dòng bị ngắt không theo thứ tự",
            "2. Thời hạn nộp là ngày",
            "15. tháng 12 hằng năm.",
            "3. Khoản cuối.",
        ]
    )
    (article,) = parse_legal(text)
    assert isinstance(article, Article)
    assert [c.number for c in article.clauses] == ["1", "2", "3"]
    assert [p.letter for p in article.clauses[0].points] == ["a"]
    assert "15. tháng 12" in article.clauses[1].text


def test_points_follow_the_vietnamese_alphabet() -> None:
    letters = ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k"]
    body = "\n".join(f"{letter}) Điểm {letter};" for letter in letters)
    (article,) = parse_legal(f"Điều 1. X\n1. Gồm:\n{body}")
    assert isinstance(article, Article)
    assert [p.letter for p in article.clauses[0].points] == letters


def test_plain_guidance_headings_are_guessed() -> None:
    text = "\n".join(
        [
            "HƯỚNG DẪN",
            "TỔ CHỨC CỤM THI ĐUA",
            "Mở đầu hướng dẫn.",
            "I. QUY ĐỊNH CHUNG",
            "1. Phạm vi",
            "- Áp dụng cho các cụm.",
            "1. Danh sách có dấu chấm phẩy;",
            "II. TỔ CHỨC THỰC HIỆN",
            "Các đơn vị thực hiện.",
        ]
    )
    sections = [s for s in parse_legal(text) if isinstance(s, Section)]
    assert len(sections) == len(parse_legal(text))
    assert [(s.headings, s.lines) for s in sections] == [
        (("HƯỚNG DẪN TỔ CHỨC CỤM THI ĐUA",), ("Mở đầu hướng dẫn.",)),
        (
            ("I. QUY ĐỊNH CHUNG", "1. Phạm vi"),
            ("- Áp dụng cho các cụm.", "1. Danh sách có dấu chấm phẩy;"),
        ),
        (("II. TỔ CHỨC THỰC HIỆN",), ("Các đơn vị thực hiện.",)),
    ]


def test_markdown_headings_switch_off_guessing() -> None:
    text = "# Tin tức\nHÀ TĨNH PHÁT ĐỘNG\n## Chi tiết\n1. Ngắn"
    sections = parse_legal(text)
    assert [(s.headings, s.lines) for s in sections if isinstance(s, Section)] == [
        (("Tin tức",), ("HÀ TĨNH PHÁT ĐỘNG",)),
        (("Tin tức", "Chi tiết"), ("1. Ngắn",)),
    ]


def test_chapter_word_starting_a_sentence_is_not_a_heading() -> None:
    (article,) = parse_legal("Điều 3. Áp dụng\nQuy định tại\nChương II của Luật này áp dụng.")
    assert isinstance(article, Article)
    assert article.body == "Quy định tại\nChương II của Luật này áp dụng."


def test_numbered_guidance_headings_nest_by_depth() -> None:
    text = "I. CHUNG\n1. Phạm vi\n1.1. Đối tượng\nNội dung.\n12 đơn vị tham gia\nII. KHÁC\nHết."
    sections = [s for s in parse_legal(text) if isinstance(s, Section)]
    assert [(s.headings, s.lines) for s in sections] == [
        (("I. CHUNG", "1. Phạm vi", "1.1. Đối tượng"), ("Nội dung.", "12 đơn vị tham gia")),
        (("II. KHÁC",), ("Hết.",)),
    ]
