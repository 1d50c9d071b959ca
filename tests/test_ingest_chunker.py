"""Chunks: ids, titles and citations on the bundled texts; splitting; jsonl passages."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ingest.chunker import PASSAGE_MAX_CHARS, chunk_document, chunk_text
from ingest.loaders import load_document
from knowledge.documents import Chunk, DocumentMeta

SOURCES = Path(__file__).resolve().parents[1] / "knowledge" / "sources"
META = DocumentMeta(doc_id="luat", title="Luật Mẫu")


def chunks_of(name: str) -> dict[str, Chunk]:
    return {c.id: c for c in chunk_document(load_document(SOURCES / name))}


@pytest.fixture(scope="module")
def law() -> dict[str, Chunk]:
    return chunks_of("luat-tdkt-2022.md")


def articles(chunks: dict[str, Chunk]) -> list[str]:
    """The Điều numbers the chunks cover, in order, each once."""
    out: list[str] = []
    for chunk in chunks.values():
        if chunk.citation.article and chunk.citation.article not in out:
            out.append(chunk.citation.article)
    return out


def test_every_article_of_the_law_is_chunked_between_preamble_and_closing(
    law: dict[str, Chunk],
) -> None:
    ids = list(law)
    assert articles(law) == [str(n) for n in range(1, 97)]
    assert ids[0] == "luat-tdkt-2022#s1" and ids[-1] == "luat-tdkt-2022#s2"
    assert ids[1:4] == ["luat-tdkt-2022#d1", "luat-tdkt-2022#d2", "luat-tdkt-2022#d3"]
    assert law["luat-tdkt-2022#s2"].text.startswith("Luật này được Quốc hội")
    assert all(len(c.text) <= 2 * 1500 for c in law.values())


def test_article_chunk_text_title_and_citation(law: dict[str, Chunk]) -> None:
    chunk = law["luat-tdkt-2022#d16"]
    assert chunk.title == "Luật Thi đua, khen thưởng - Điều 16. Hình thức, phạm vi tổ chức thi đua"
    assert chunk.text.startswith("Điều 16. Hình thức, phạm vi tổ chức thi đua\n1. Hình thức")
    assert chunk.text.endswith("d) Cơ quan, tổ chức, đơn vị.")
    citation = chunk.citation
    assert (citation.article, citation.clause) == ("16", "")
    assert citation.headings[-1] == "Điều 16. Hình thức, phạm vi tổ chức thi đua"
    assert citation.headings[0].startswith("Chương II.")
    assert citation.document.doc_number == "06/2022/QH15"
    assert citation.basis().startswith("Điều 16 Luật Thi đua, khen thưởng số 06/2022/QH15")


def test_a_long_article_is_cited_by_each_of_its_khoan(law: dict[str, Chunk]) -> None:
    parts = [c for c in law.values() if c.citation.article == "84"]
    assert [c.id for c in parts] == [f"luat-tdkt-2022#d84-k{n}" for n in range(1, 8)]
    assert [c.citation.clause for c in parts] == [str(n) for n in range(1, 8)]
    first = parts[0]
    assert first.title.startswith("Luật Thi đua, khen thưởng - Điều 84. Hồ sơ đề nghị xét tặng")
    assert first.text.startswith("1. Hồ sơ đề nghị xét tặng danh hiệu thi đua gồm:\na) Tờ trình")
    assert first.citation.headings[1].startswith("Mục 2. THỦ TỤC, HỒ SƠ")
    assert first.citation.basis().startswith("khoản 1 Điều 84 Luật Thi đua, khen thưởng")
    revoked = law["luat-tdkt-2022#d93-k2"]
    assert revoked.citation.location() == "khoản 2 Điều 93"
    assert "b) Cung cấp thông tin sai sự thật hoặc làm giả hồ sơ" in revoked.text


def test_the_whole_decree_is_chunked_and_carries_its_status() -> None:
    decree = chunks_of("nd-91-2017-nd-cp.md")
    assert articles(decree) == [str(n) for n in range(1, 81)]
    chunk = decree["nd-91-2017-nd-cp#d11"]
    assert chunk.citation.document.status_note(date(2025, 1, 1)) == (
        "đã hết hiệu lực từ 1/1/2024, thay bằng Nghị định 98/2023/NĐ-CP"
    )


def test_news_article_is_packed_into_paragraph_groups() -> None:
    chunks = list(chunks_of("ha-tinh-thi-dua-2021.md").values())
    assert [c.id for c in chunks] == [f"ha-tinh-thi-dua-2021#s{n}" for n in range(1, 5)]
    assert all(300 <= len(c.text) <= 1500 for c in chunks)
    assert "Đổi mới - Sáng tạo - Hiệu quả" in "".join(c.text for c in chunks)
    assert chunks[0].title == chunks[0].citation.document.title


def test_guidance_sections_cite_their_heading_path() -> None:
    chunks = list(chunks_of("hd-1479-btdkt-2016.md").values())
    assert chunks[-1].citation.headings == ("I. VỀ TỔ CHỨC CỤM, KHỐI THI ĐUA", "1. Quy định chung")
    assert chunks[-1].title.endswith(" - I. VỀ TỔ CHỨC CỤM, KHỐI THI ĐUA - 1. Quy định chung")
    assert chunks[-1].citation.basis().startswith("mục «1. Quy định chung»,")


def long_article(number: int, clauses: int = 4, size: int = 600) -> str:
    body = "\n".join(f"{k}. {'Nội dung khoản dài ' * (size // 19)}." for k in range(1, clauses + 1))
    return f"Điều {number}. Điều dài\nCác quy định sau đây:\n{body}"


def test_long_article_is_split_by_clause_with_heading_context() -> None:
    chunks = chunk_text(META, long_article(7))
    assert [c.id for c in chunks] == ["luat#d7-k1", "luat#d7-k2", "luat#d7-k3", "luat#d7-k4"]
    assert all(c.title == "Luật Mẫu - Điều 7. Điều dài" for c in chunks)
    assert [c.citation.clause for c in chunks] == ["1", "2", "3", "4"]
    assert all(c.citation.article == "7" for c in chunks)
    assert all(c.text.startswith("Các quy định sau đây:\n") for c in chunks)
    assert chunks[1].citation.location() == "khoản 2 Điều 7"


def test_ids_and_content_are_stable_when_unrelated_text_changes() -> None:
    before = chunk_text(META, "Lời nói đầu.\n" + long_article(1) + "\nĐiều 2. Ngắn\nMột câu.")
    after = chunk_text(
        META,
        "Lời nói đầu đã sửa.\n"
        + long_article(1).replace("4. Nội", "4. Đã sửa nội")
        + "\nĐiều 2. Ngắn\nMột câu.",
    )
    old = {c.id: c.content_hash for c in before}
    new = {c.id: c.content_hash for c in after}
    assert old.keys() == new.keys()
    changed = {cid for cid in old if old[cid] != new[cid]}
    assert changed == {"luat#s1", "luat#d1-k4"}


def test_repeated_article_numbers_get_distinct_ids() -> None:
    chunks = chunk_text(META, "Điều 1. A\nx\nĐiều 1. B\ny")
    assert [c.id for c in chunks] == ["luat#d1", "luat#d1_2"]


def write_jsonl(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "passages.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_jsonl_passage_keeps_its_id_title_and_exact_text(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {
            "id": "01/2009/QH12#12",
            "title": "Điều 12",
            "text": "Nội  dung\ngiữ nguyên ",
            "article": 12,
            "law": "Luật Bảo hiểm",
            "doc_number": "01/2009/QH12",
        },
        {"id": "p2", "text": "Không có tiêu đề"},
    ]
    first, second = chunk_document(load_document(write_jsonl(tmp_path, rows)))
    assert (first.id, first.title, first.text) == (
        "01/2009/QH12#12",
        "Điều 12",
        "Nội  dung\ngiữ nguyên ",
    )
    assert first.embed_text == "Điều 12\nNội  dung\ngiữ nguyên "
    assert first.citation.article == "12"
    assert first.citation.document.title == "Luật Bảo hiểm"
    assert first.citation.document.doc_number == "01/2009/QH12"
    assert first.citation.document.doc_id == "passages"
    assert (second.id, second.title, second.embed_text) == ("p2", "", "Không có tiêu đề")
    assert second.citation.document.title == "passages"


def test_only_very_long_passages_are_split(tmp_path: Path) -> None:
    sentence = "Câu thứ một trong đoạn rất dài. "
    long_text = sentence * (PASSAGE_MAX_CHARS // len(sentence) * 2)
    just_fits = "x" * PASSAGE_MAX_CHARS
    rows: list[dict[str, object]] = [
        {"id": "dai", "title": "T", "text": long_text},
        {"id": "vua", "text": just_fits},
    ]
    chunks = chunk_document(load_document(write_jsonl(tmp_path, rows)))
    ids = [c.id for c in chunks]
    assert ids[-1] == "vua" and chunks[-1].text == just_fits
    assert ids[:-1] == [f"dai#{n}" for n in range(1, len(ids))]
    assert len(ids) >= 3
    assert all(len(c.text) <= PASSAGE_MAX_CHARS and c.title == "T" for c in chunks[:-1])
    joined = " ".join(c.text for c in chunks[:-1])
    assert re.sub(r"\s+", " ", joined).strip() == long_text.strip()


def test_chunk_document_uses_the_meta_given_at_load_time(tmp_path: Path) -> None:
    path = tmp_path / "qd.md"
    path.write_text("Điều 1. Phạm vi\nNội dung.", encoding="utf-8")
    (chunk,) = chunk_document(load_document(path, doc_id="qd-12", title="Quyết định 12"))
    assert chunk.id == "qd-12#d1"
    assert chunk.citation.document == replace(META, doc_id="qd-12", title="Quyết định 12")


# --- the bundled sources themselves ------------------------------------------------------------


EXCERPTS = ("ha-tinh-thi-dua-2021.md", "hd-1479-btdkt-2016.md")
WHOLE = ("luat-tdkt-2022.md", "nd-91-2017-nd-cp.md")


def test_the_bundle_is_the_whole_law_the_whole_decree_and_two_excerpts() -> None:
    assert sorted(p.name for p in SOURCES.glob("*.md")) == sorted(EXCERPTS + WHOLE)


@pytest.mark.parametrize("path", sorted(SOURCES.glob("*.md")), ids=lambda p: p.name)
def test_bundled_sources_are_clean_and_say_how_complete_they_are(path: Path) -> None:
    doc = load_document(path)
    raw = path.read_text(encoding="utf-8")
    assert doc.meta.doc_id == path.stem
    assert doc.meta.title and doc.meta.doc_type and doc.meta.issuer
    note = str(doc.extra.get("note", "")).lower()
    if path.name in WHOLE:
        assert doc.meta.completeness.startswith("toàn văn") and not doc.meta.is_partial
        assert doc.meta.doc_number and doc.meta.issued and doc.meta.effective_from
        assert doc.meta.source_url.startswith("https://")
        assert "nguồn" in note and "nfc" in note
    else:
        assert doc.meta.completeness.startswith("trích một phần") and doc.meta.is_partial
        assert "một phần" in note and "toàn văn" in note
    for leftover in ("[...]", "<<<", "CHƯA CÓ", "===", "[Điều", "Phản hồi", "Các tin khác"):
        assert leftover not in raw
    assert not any(line.startswith("--- ") for line in doc.text.split("\n"))


def test_bundled_metadata_of_the_law_and_the_expired_decree() -> None:
    law = load_document(SOURCES / "luat-tdkt-2022.md").meta
    assert (law.issuer, law.doc_type, law.issued) == ("Quốc hội", "Luật", date(2022, 6, 15))
    assert law.effective_from == date(2024, 1, 1) and law.effective_to is None
    assert law.in_force(date(2025, 1, 1))
    decree = load_document(SOURCES / "nd-91-2017-nd-cp.md")
    assert decree.meta.effective_from == date(2017, 10, 1)
    assert decree.meta.effective_to == date(2024, 1, 1)
    assert decree.meta.replaced_by == "Nghị định 98/2023/NĐ-CP"
    assert "152/2025" in str(decree.extra["note"])
