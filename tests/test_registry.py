"""The document registry: data built from the project's TSV, chains of replacements to the
text in force on a given day, and what a question names by number."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from bot.core.qa_text import document_status, entry_status, not_loaded_text
from ingest.loaders import load_document
from ingest.registry_tsv import build, dump
from knowledge.prebuilt import BUNDLED_DIR
from knowledge.registry import BUNDLED_REGISTRY, DocumentRegistry, RegisteredDocument

TSV = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "document-registry.tsv"
AFTER_152 = date(2025, 8, 1)  # Nghị định 152/2025/NĐ-CP in force from 1/7/2025
BEFORE_152 = date(2025, 3, 1)


@pytest.fixture(scope="module")
def registry() -> DocumentRegistry:
    return DocumentRegistry.bundled()


def numbers(chain: list[RegisteredDocument]) -> list[str]:
    return [entry.number for entry in chain]


def test_decree_91_leads_to_decree_152_from_1_july_2025(registry: DocumentRegistry) -> None:
    nd91 = registry.find("91/2017/NĐ-CP")
    assert nd91 is not None and nd91.effective_to == date(2024, 1, 1)
    assert numbers(registry.successors(nd91, AFTER_152)) == ["98/2023/NĐ-CP", "152/2025/NĐ-CP"]
    assert numbers(registry.successors(nd91, BEFORE_152)) == ["98/2023/NĐ-CP"]
    assert registry.successors(nd91, date(2023, 6, 1)) == []  # NĐ 98 not yet in force


def test_circular_12_2019_leads_to_circular_15_2025(registry: DocumentRegistry) -> None:
    assert numbers(registry.successors("tt-12-2019-bnv", AFTER_152)) == [
        "01/2024/TT-BNV",
        "15/2025/TT-BNV",
    ]


def test_chains_from_older_texts_follow_every_step(registry: DocumentRegistry) -> None:
    assert numbers(registry.successors("nd-42-2010", AFTER_152)) == [
        "91/2017/NĐ-CP",
        "98/2023/NĐ-CP",
        "152/2025/NĐ-CP",
    ]
    assert numbers(registry.successors("luat-tdkt-2003", AFTER_152)) == ["06/2022/QH15"]


def test_every_link_points_to_a_known_entry_and_every_entry_is_complete(
    registry: DocumentRegistry,
) -> None:
    keys = {entry.key for entry in registry}
    assert len(registry) >= 15
    for entry in registry:
        assert entry.replaced_by in keys | {""}, entry.key
        assert entry.title and entry.issuer and entry.status, entry.key
        assert entry.url.startswith("https://") or entry.search_site.startswith("https://")
        assert entry.number or entry.key == "ha-tinh-quy-dinh-tdkt"
    law = registry.find("06/2022/QH15")
    assert law is not None and law.in_force(AFTER_152) and law.url.startswith("https://")


def test_numbers_are_found_however_they_are_typed(registry: DocumentRegistry) -> None:
    typed_forms = ("98/2023/NĐ-CP", "98/2023/nd-cp", "Nghị định 98/2023/NĐ-CP", "Nghị định 98/2023")
    for typed in (*typed_forms, "98/2023"):
        found = registry.find(typed)
        assert found is not None and found.key == "nd-98-2023", typed
    assert registry.find("98/2023/TT-BTC") is None
    found = registry.find("34-CT/TW")
    assert found is not None and found.doc_type == "Chỉ thị"


def test_a_question_names_loaded_registered_and_unknown_documents(
    registry: DocumentRegistry,
) -> None:
    law = load_document(BUNDLED_DIR / "luat-tdkt-2022.md").meta
    named = registry.named(
        "Luật 06/2022/QH15, nghi dinh 98/2023 và Nghị định 45/2019/NĐ-CP khác nhau thế nào?",
        [law],
    )
    assert named.loaded == (law,)
    assert [e.key for e in named.registered] == ["nd-98-2023"]
    assert named.unknown == ("45/2019/NĐ-CP",)
    assert not registry.named("Hạn nộp hồ sơ tháng 1/2024 là ngày 15/12/2023?", [law]).missing


def test_a_loaded_superseded_text_names_the_text_in_force_today(
    registry: DocumentRegistry,
) -> None:
    decree = load_document(BUNDLED_DIR / "nd-91-2017-nd-cp.md").meta
    assert document_status(decree, AFTER_152, registry) == (
        "đã hết hiệu lực từ 1/1/2024, thay bằng Nghị định 98/2023/NĐ-CP, nay là Nghị định "
        "152/2025/NĐ-CP, có hiệu lực từ 1/7/2025"
    )
    assert document_status(decree, BEFORE_152, registry) == (
        "đã hết hiệu lực từ 1/1/2024, thay bằng Nghị định 98/2023/NĐ-CP"
    )
    assert document_status(decree, date(2020, 1, 1), registry) == ""


def test_status_of_a_text_not_loaded(registry: DocumentRegistry) -> None:
    nd98 = registry.get("nd-98-2023")
    assert nd98 is not None
    assert entry_status(nd98, BEFORE_152, registry) == (
        "đang có hiệu lực, hết hiệu lực từ 1/7/2025"
    )
    assert entry_status(nd98, AFTER_152, registry) == (
        "đã hết hiệu lực từ 1/7/2025, thay bằng Nghị định 152/2025/NĐ-CP"
    )
    hd = registry.get("hd-1479-btdkt-2016")
    assert hd is not None
    assert entry_status(hd, AFTER_152, registry).startswith("chưa rõ còn hiệu lực")


def test_reply_about_a_text_not_loaded_points_to_the_loaded_successor(
    registry: DocumentRegistry,
) -> None:
    law = load_document(BUNDLED_DIR / "luat-tdkt-2022.md").meta
    named = registry.named("Luật 15/2003/QH11 quy định gì?", [law])
    text = not_loaded_text(named, AFTER_152, registry, [law])
    assert text.startswith("Kho văn bản chưa có Luật Thi đua, khen thưởng số 15/2003/QH11")
    assert "thay bằng Luật Thi đua, khen thưởng số 06/2022/QH15" in text
    assert "đã có trong kho" in text
    assert "tại https://vbpl.vn" in text


# --- the builder -------------------------------------------------------------------------------

HEADER = "short_name\tnumber\ttitle\tissuer\tissued\teffective\tstatus_2025\ttext_in_corpus\tfile"
HEADER += "\tbest_url\tnote"
ROWS = [
    "nd-new\t152/2025/NĐ-CP\tQuy định chi tiết Luật TĐKT\tChính phủ\t2025-06-14\t2025-07-01"
    "\tin force\tnone\t-\thttps://vbpl.vn/x\tthay NĐ 98/2023",
    "nd-old\t98/2023/NĐ-CP\tQuy định chi tiết\tChính phủ\t2023-12-31\t2024-01-01"
    "\treplaced 2025-07-01 by 152/2025\tnone\t-\tvbpl.vn\t",
    "tt-x\t02/2023/TT-BNV (as labelled in app)\tBiểu 0601.N/BNV-TĐKT\tBộ Nội vụ (Ông A)"
    "\t2024-02-01 (per third-party)\t?\tverify\tnone\t-\t-\t",
]


def tsv_rows(lines: list[str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("\n".join([HEADER, *lines])), delimiter="\t"))


def test_builder_cleans_the_working_notes_into_fields() -> None:
    new, old, circular = build(tsv_rows(ROWS))[:3]
    assert (new["doc_type"], new["title"]) == (
        "Nghị định",
        "Quy định chi tiết Luật Thi đua, khen thưởng",
    )
    assert (new["status"], new["url"], new["search_site"]) == (
        "in_force",
        "https://vbpl.vn/x",
        None,
    )
    assert (old["status"], old["effective_to"], old["replaced_by"]) == (
        "superseded",
        date(2025, 7, 1),
        "nd-new",
    )
    assert old["search_site"] == "https://vbpl.vn"
    assert circular["number"] == "02/2023/TT-BNV"
    assert circular["title"] == "Biểu 0601.N/BNV-TĐKT"  # an abbreviation inside a code stays
    assert (circular["issuer"], circular["issued"], circular["status"]) == (
        "Bộ Nội vụ",
        date(2024, 2, 1),
        "unknown",
    )
    assert "as labelled in app" in circular["note"] and "per third-party" in circular["note"]


def test_built_registry_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(dump(build(tsv_rows(ROWS))), encoding="utf-8")
    loaded = DocumentRegistry.load(path)
    assert numbers(loaded.successors("nd-old", AFTER_152)) == ["152/2025/NĐ-CP"]


@pytest.mark.skipif(not TSV.exists(), reason="the project's registry table is not on this machine")
def test_the_bundled_registry_is_what_make_registry_builds() -> None:
    with TSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert dump(build(rows)) == BUNDLED_REGISTRY.read_text(encoding="utf-8")
