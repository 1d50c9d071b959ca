"""Copying an embedded index to a Chroma server: the way from one machine to several.

Every collection of the embedded store (the chunks of each embedding model) goes over with
its ids, vectors, texts and metadata, a batch at a time, then each catalog file becomes its
catalog record on the server: last, so a process starting on the server meanwhile never
finds documents whose chunks are not there yet. The server ends up holding exactly what the
data dir holds (records it has and the data dir does not are removed), so a second run
changes nothing. The catalog's text is copied as is, so the data dir's BM25 and snapshot
caches still match it and a start on the server reads no chunk.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.backends import ServerCatalog, http_client, persistent_client

BATCH = 500  # well under the server's largest request
CATALOG_GLOB = "catalog-*.json"

Progress = Callable[[str, int, int], None]
"""(collection, records copied so far, records in all)."""


@dataclass(frozen=True)
class Copied:
    """One collection after the copy: its records in the data dir and on the server."""

    collection: str
    records: int
    on_server: int
    removed: int = 0  # records the server had and the data dir did not

    @property
    def verified(self) -> bool:
        return self.records == self.on_server


def embedded_store(directory: Path) -> Path:
    return directory / "chroma"


def copy_index(
    directory: Path, url: str, progress: Progress | None = None, *, batch: int = BATCH
) -> list[Copied]:
    """Copies the embedded index of `directory` to the server at `url` (IndexUnreachable
    when it does not answer); the data dir is only read."""
    if not embedded_store(directory).is_dir():
        raise FileNotFoundError(embedded_store(directory))
    source = persistent_client(directory)
    target = http_client(url)
    copied = [
        _copy_collection(collection, target, progress or _silent, batch)
        for collection in sorted(source.list_collections(), key=lambda c: str(c.name))
    ]
    for path in sorted(directory.glob(CATALOG_GLOB)):
        catalog = ServerCatalog(lambda: target, path.stem)
        catalog.write(path.read_text(encoding="utf-8"))
        copied.append(Copied(path.stem, 1, int(catalog.read() == path.read_text("utf-8"))))
    return copied


def _silent(_collection: str, _done: int, _total: int) -> None:
    pass


def _copy_collection(source: Any, target_client: Any, progress: Progress, batch: int) -> Copied:
    with warnings.catch_warnings():  # chromadb warns of its own stored config on reading it
        warnings.simplefilter("ignore", DeprecationWarning)
        hnsw = dict((source.configuration or {}).get("hnsw") or {})
    target = target_client.get_or_create_collection(
        source.name,
        embedding_function=None,
        configuration={"hnsw": {"space": hnsw.get("space", "l2")}},
        metadata=source.metadata or None,
    )
    total = source.count()
    progress(source.name, 0, total)
    copied: set[str] = set()
    for got in _pages(source, ["embeddings", "documents", "metadatas"], batch):
        target.upsert(
            ids=got["ids"],
            embeddings=got["embeddings"],
            documents=got["documents"],
            metadatas=got["metadatas"],
        )
        copied.update(got["ids"])
        progress(source.name, len(copied), total)
    extra = [cid for got in _pages(target, [], batch) for cid in got["ids"] if cid not in copied]
    for start in range(0, len(extra), batch):
        target.delete(ids=extra[start : start + batch])
    return Copied(source.name, total, target.count(), len(extra))


def _pages(collection: Any, include: list[str], batch: int) -> Any:
    offset = 0
    while True:
        got = collection.get(include=include, limit=batch, offset=offset)
        if not got["ids"]:
            return
        yield got
        offset += len(got["ids"])


__all__ = ["BATCH", "Copied", "Progress", "copy_index", "embedded_store"]
