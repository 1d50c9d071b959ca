"""What a data dir keeps of an index for a fast start: the BM25 indexes and the snapshot
(chunks and vectors), both derived from the records and tagged with the digest of the
catalog they were built from.

A cache is used only under the tag asked for, and written only with a tag: a process whose
state matches no one catalog (it read during a write; see knowledge.index) passes '' and
neither reads nor writes. Several processes may share a data dir: every file is written
under a name of its writer's own and renamed into place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from knowledge.documents import Chunk, DocumentMeta
from knowledge.embedders import Vectors
from knowledge.index_records import (
    chunk_from_record,
    chunk_record,
    read_snapshot,
    snapshot_matches,
    write_snapshot,
)
from knowledge.lexical import LexicalIndex


class IndexCaches:
    """One index's caches in `directory` (None: an index in memory keeps none)."""

    def __init__(self, directory: Path | None, slug: str) -> None:
        self._directory = directory
        self._slug = slug

    def _path(self, name: str) -> Path | None:
        return None if self._directory is None else self._directory / name

    def snapshot(
        self, tag: str, docs: Mapping[str, DocumentMeta]
    ) -> list[tuple[str, Chunk, Vectors]] | None:
        """(doc id, chunk, vector) in the index's order, when the snapshot is whole, of
        `tag`, and names only documents of `docs`."""
        path = self._path(f"snapshot-{self._slug}.npz")
        if path is None or not tag:
            return None
        snapshot = read_snapshot(path, tag)
        if snapshot is None:
            return None
        records, vectors = snapshot
        if any(record["doc_id"] not in docs for record in records):
            return None
        return [
            (record["doc_id"], chunk_from_record(record, docs[record["doc_id"]]), vec)
            for record, vec in zip(records, vectors, strict=True)
        ]

    def snapshot_current(self, tag: str) -> bool:
        """Nothing to write: the snapshot is of `tag` already, or there is no tag to write."""
        path = self._path(f"snapshot-{self._slug}.npz")
        return path is None or not tag or snapshot_matches(path, tag)

    def save_snapshot(
        self, tag: str, chunks: Sequence[Chunk], owners: Mapping[str, str], vectors: Vectors
    ) -> None:
        path = self._path(f"snapshot-{self._slug}.npz")
        if path is None or not tag:
            return
        records: list[dict[str, Any]] = [
            {"doc_id": owners.get(c.id, ""), **chunk_record(c)} for c in chunks
        ]
        write_snapshot(path, vectors, records, tag)

    def lexical(self, tag: str, ids: Sequence[str]) -> LexicalIndex | None:
        """The BM25 indexes of `tag` over exactly these rows, or None."""
        path = self._path(f"lexical-{self._slug}")
        if path is None or not tag:
            return None
        lexical = LexicalIndex.load(path, tag=tag)
        if lexical is None or lexical.ids != list(ids):
            return None
        return lexical

    def save_lexical(self, tag: str, lexical: LexicalIndex) -> None:
        path = self._path(f"lexical-{self._slug}")
        if path is not None and tag:
            lexical.save(path, tag=tag)


__all__ = ["IndexCaches"]
