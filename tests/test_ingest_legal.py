"""The legal structure parser, on the bundled texts and on the forms other sources use."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.legal import Article, Section, parse_legal
from ingest.loaders import load_document

SOURCES = Path(__file__).resolve().parents[1] / "knowledge" / "sources"


def blocks_of(name: str) -> list[Article | Section]:
    return parse_legal(load_document(SOURCES / name).text)


def articles_of(blocks: list[Article | Section]) -> dict[str, Article]:
    return {b.number: b for b in blocks if isinstance(b, Article)}


@pytest.fixture(scope="module")
def law() -> list[Article | Section]:
    return blocks_of("luat-tdkt-2022.md")


def test_law_articles_in_order(law: list[Article | Section]) -> None:
    numbers = [b.number for b in law if isinstance(b, Article)]
    assert numbers == ["1", "2", "3", "15", "16", "17", "18", "21", "22", "24", "27"]


def test_article_27_clause_1_has_points_a_to_dd(law: list[Article | Section]) -> None:
    article = articles_of(law)["27"]
    assert [c.number for c in article.clauses] == ["1", "2"]
    points = article.clauses[0].points
    assert [p.letter for p in points] == ["a", "b", "c", "d", "đ"]
    assert points[-1].text.startswith("đ) Nội bộ đoàn kết")
    assert article.clauses[1].text.endswith("các điểm a, b, d và …")


def test_article_16_clauses_and_points(law: list[Article | Section]) -> None:
    article = articles_of(law)["16"]
    assert article.title == "Hình thức, phạm vi tổ chức thi đua"
    first, second = article.clauses
    assert [p.letter for p in first.points] == ["a", "b"]
    assert [p.letter for p in second.points] == ["a", "b", "c", "d"]
    assert second.text.startswith("2. Phạm vi tổ chức thi đua gồm:")
    assert second.text.endswith("d) Cơ quan, tổ chức, đơn vị.")


def test_chapters_become_the_heading_path(law: list[Article | Section]) -> None:
    articles = articles_of(law)
    assert articles["1"].headings == ("Chương I. NHỮNG QUY ĐỊNH CHUNG",)
    assert articles["27"].headings[0].startswith("Chương II. TỔ CHỨC THI ĐUA")


def test_article_without_title_and_article_level_points(law: list[Article | Section]) -> None:
    article = articles_of(law)["21"]
    assert article.title == ""
    assert article.heading == "Điều 21."
    assert article.clauses == ()
    assert [p.letter for p in article.points] == ["a", "b"]
    assert article.intro.endswith("phạm vi ảnh hưởng trong toàn quốc.")


def test_chapter_vii_excerpt_is_a_section_without_article(law: list[Article | Section]) -> None:
    sections = [b for b in law if isinstance(b, Section)]
    assert [s.headings for s in sections] == [(), ("Chương VII",)]
    assert sections[0].text.startswith("QUỐC HỘI")
    assert sections[1].text.startswith("1. Người nào có hành vi vi phạm")
    assert sections[1].lines[-1] == "3. …"


def test_decree_article_9_keeps_its_clause_number() -> None:
    article = articles_of(blocks_of("nd-91-2017-nd-cp.md"))["9"]
    assert [c.number for c in article.clauses] == ["3"]
    assert "không quá 15%" in article.clauses[0].text


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
