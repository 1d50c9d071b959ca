"""Loaders: every supported format, metadata precedence, and one clear error per bad file."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import docx
import pytest

from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.meta import parse_date

LAW_MD = """---
doc_id: luat-mau
title: Luật Mẫu
doc_number: 01/2024/QH15
issued: 15/6/2022
effective_from: 2024-01-01
note: bản thử
---
Điều 1. Phạm vi điều chỉnh
Luật này quy định về thi đua.
"""


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text, written by hand (no PDF writer needed offline)."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines)
    stream += " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


# --- formats ----------------------------------------------------------------------------------


def test_markdown_front_matter_becomes_meta_and_extra(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "a.md", LAW_MD))
    assert doc.meta.doc_id == "luat-mau"
    assert doc.meta.title == "Luật Mẫu"
    assert doc.meta.issued == date(2022, 6, 15)
    assert doc.meta.effective_from == date(2024, 1, 1)
    assert doc.extra == {"note": "bản thử"}
    assert doc.text.startswith("Điều 1. Phạm vi điều chỉnh")
    assert "---" not in doc.text


def test_overrides_beat_front_matter_and_empty_overrides_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", LAW_MD)
    doc = load_document(path, title="Luật khác", issuer="Quốc hội", doc_number=None, issued="")
    assert doc.meta.title == "Luật khác"
    assert doc.meta.issuer == "Quốc hội"
    assert doc.meta.doc_number == "01/2024/QH15"
    assert doc.meta.issued == date(2022, 6, 15)


def test_defaults_without_front_matter_use_a_slug_of_the_file_name(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "Quyết định Số 12 (2024).txt", "Nội dung."))
    assert doc.meta.doc_id == "quyet-dinh-so-12-2024"
    assert doc.meta.title == "Quyết định Số 12 (2024)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-06-15", date(2022, 6, 15)),
        ("15/6/2022", date(2022, 6, 15)),
        ("01/01/2024", date(2024, 1, 1)),
    ],
)
def test_dates_accept_iso_and_vietnamese_forms(raw: str, expected: date) -> None:
    assert parse_date(raw) == expected


def test_text_is_nfc_without_zero_width_chars_and_with_unix_line_endings(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Điều 1. Thi đua")
    path = write(tmp_path, "a.txt", f"{decomposed}\u200b\r\nkhen\u00a0thưởng\r\n".encode())
    doc = load_document(path)
    assert doc.text == "Điều 1. Thi đua\nkhen thưởng"
    assert unicodedata.is_normalized("NFC", doc.text)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_text_with_a_bom_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "a.txt", "Chiến sĩ thi đua cơ sở".encode(encoding))
    assert load_document(path).text == "Chiến sĩ thi đua cơ sở"


def cp1258(text: str) -> bytes:
    """Windows-1258 spells tones as combining marks after the (possibly accented) letter."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return out


def test_cp1258_text_is_decoded_and_composed(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", cp1258("Lao động tiên tiến"))
    assert load_document(path).text == "Lao động tiên tiến"


def test_docx_paragraphs_tables_headings_and_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Quy chế thi đua"
    document.add_heading("Chương I", level=1)
    document.add_paragraph("Điều 1. Phạm vi điều chỉnh")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Danh hiệu", "Tỷ lệ"
    table.cell(1, 0).text, table.cell(1, 1).text = "Chiến sĩ thi đua cơ sở", "15%"
    document.add_paragraph("Điều 2. Đối tượng")
    path = tmp_path / "quy-che.docx"
    document.save(str(path))

    loaded = load_document(path)
    assert loaded.meta.title == "Quy chế thi đua"
    lines = loaded.text.split("\n")
    assert lines[0] == "# Chương I"
    assert "Danh hiệu | Tỷ lệ" in lines
    assert "Chiến sĩ thi đua cơ sở | 15%" in lines
    assert lines.index("Chiến sĩ thi đua cơ sở | 15%") < lines.index("Điều 2. Đối tượng")


def test_pdf_text_is_extracted_and_page_numbers_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "nd.pdf", minimal_pdf(["Dieu 1. Pham vi", "Noi dung dieu 1.", "2"]))
    doc = load_document(path)
    assert doc.text == "Dieu 1. Pham vi\nNoi dung dieu 1."
    assert doc.meta.doc_id == "nd"


def test_html_keeps_block_text_and_drops_page_chrome(tmp_path: Path) -> None:
    html = """<html><head><title>Tin thi đua</title><style>p{color:red}</style></head><body>
    <header>Trang chủ</header><nav><a>Menu</a></nav>
    <h1>Hà Tĩnh phát động thi đua</h1>
    <p>Phương châm <b>Đổi mới</b> - Sáng tạo<br>Hiệu quả</p>
    <div>Đoạn &amp; hai</div><script>var x = 1;</script>
    <footer>Phản hồi</footer></body></html>"""
    doc = load_document(write(tmp_path, "tin.html", html))
    assert doc.meta.title == "Tin thi đua"
    assert doc.text.split("\n") == [
        "# Hà Tĩnh phát động thi đua",
        "Phương châm Đổi mới - Sáng tạo",
        "Hiệu quả",
        "Đoạn & hai",
    ]


def test_jsonl_keeps_ids_titles_text_and_other_fields(tmp_path: Path) -> None:
    rows = [
        {"id": "law-1#5", "text": "Văn bản\n  giữ nguyên ", "title": "Điều 5", "article": "5"},
        {"id": 7, "text": "Không có tiêu đề", "law": "Luật X"},
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n"
    doc = load_document(write(tmp_path, "alqac.jsonl", body))
    first, second = doc.records
    assert (first.id, first.title, first.text) == ("law-1#5", "Điều 5", "Văn bản\n  giữ nguyên ")
    assert first.fields == {"article": "5"}
    assert (second.id, second.title, second.fields) == ("7", "", {"law": "Luật X"})
    assert doc.text == ""


# --- bad files --------------------------------------------------------------------------------


def assert_one_line_error(path: Path, *words: str, effective_to: str | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        load_document(path, effective_to=effective_to)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    assert message.startswith("Không nạp được tệp")
    for word in words:
        assert word in message
    return message


def test_corrupt_pdf(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, "hong.pdf", b"%PDF-1.4\nrac rac"), "PDF bị hỏng")


def test_pdf_without_text_layer_says_so(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, "scan.pdf", minimal_pdf([])), "OCR")


def test_corrupt_docx(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, "hong.docx", b"PK\x03\x04 not a zip"), "DOCX bị hỏng")


def test_binary_file_with_a_text_extension(tmp_path: Path) -> None:
    assert_one_line_error(
        write(tmp_path, "anh.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "nhị phân"
    )


def test_undecodable_text(tmp_path: Path) -> None:
    # invalid UTF-8, and 0x81/0x8d/0x8f are undefined in cp1258
    assert_one_line_error(write(tmp_path, "la.txt", b"Thi \x81\x8d\x8f \xe0\xe1"), "bảng mã")


@pytest.mark.parametrize("content", [b"", b"  \n\n\t"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    assert_one_line_error(write(tmp_path, "rong.md", content), "rỗng")


def test_front_matter_only_is_empty_content(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, "a.md", "---\ntitle: X\n---\n"), "không có nội dung")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', ("dòng 2", "JSON")),
        ('{"id": "a", "text": "x"}\n\n{"text": "y"}\n', ("dòng 3", "'id'")),
        ('{"id": "a", "text": ""}\n', ("dòng 1", "'text'")),
        ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', ("dòng 2", "trùng với dòng 1")),
        ('["id", "text"]\n', ("dòng 1", "đối tượng")),
    ],
)
def test_bad_jsonl_line_names_the_line(tmp_path: Path, body: str, words: tuple[str, ...]) -> None:
    assert_one_line_error(write(tmp_path, "x.jsonl", body), *words)


def test_unsupported_and_legacy_extensions(tmp_path: Path) -> None:
    assert_one_line_error(write(tmp_path, "a.xlsx", b"data"), "không được hỗ trợ", ".xlsx")
    assert_one_line_error(write(tmp_path, "a.doc", b"data"), ".doc", ".docx")


def test_bad_date_and_bad_front_matter(tmp_path: Path) -> None:
    bad_date = write(tmp_path, "a.md", "---\nissued: 31/2/2022\n---\nNội dung")
    assert_one_line_error(bad_date, "issued", "31/2/2022")
    assert_one_line_error(write(tmp_path, "b.md", "---\ntitle: [x\n---\nNội dung"), "YAML")
    assert_one_line_error(write(tmp_path, "c.md", "---\ntitle: X\nNội dung"), "YAML")
    assert_one_line_error(
        write(tmp_path, "d.md", "Nội dung"), "effective_to", effective_to="hôm qua"
    )


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path / "khong-co.md", "không tìm thấy")
