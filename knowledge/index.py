"""The knowledge index: vectors and chunk texts in Chroma, a document catalog, BM25 beside them.

Layout of a directory (one index per embedding model, so switching models never mixes spaces):
    chroma/                   Chroma PersistentClient; collection `chunks-<model slug>`
    catalog-<slug>.json       DocumentMeta and source hash of every document
    lexical-<slug>/           the two persisted BM25 indexes (see lexical.py)
    snapshot-<slug>.npz       chunks and vectors as of the last refresh, for a fast start
With a Chroma server (knowledge.backends) the chunks and the catalog are the server's, in
collections `chunks-<slug>` and `catalog-<slug>`; the directory keeps the last two.
Chroma never embeds anything itself: its default embedding function downloads a model.
A chunk whose text has a prebuilt vector (knowledge.prebuilt: the bundled texts' vectors,
shipped in the package) takes that vector instead of being embedded.

The BM25 indexes and the snapshot are caches derived from the records, each tagged with the
digest of the catalog they were built from; a process uses one only when its tag is the
catalog it read. A writer changes the catalog before it touches a chunk and again when it
is done, so a read whose catalog is the same before and after saw no write: only such a
read, with no document half-written, is cached. Processes reading while one ingests never
persist a torn state. A start whose snapshot matches the catalog reads no chunk from Chroma
(embedded: not even its slow import); the chunks collection is opened on the first write.
How a chunk looks in Chroma and in the snapshot is in index_records.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import backends
from knowledge.backends import Backend
from knowledge.documents import Chunk, DocumentMeta
from knowledge.embedders import Embedder, Vectors
from knowledge.index_cache import IndexCaches
from knowledge.index_records import from_chroma, to_metadata
from knowledge.lexical import LexicalIndex
from knowledge.prebuilt import PrebuiltVectors, model_slug

_BATCH = 500  # well under Chroma's max batch size
_EMBED_BATCH = 16
_PENDING = ""  # source hash while a document is being written: a crash leaves it re-ingestable
_LOAD_TRIES = 5  # reads of the records while a writer keeps changing them, before taking one


def _digest(catalog: str) -> str:
    return hashlib.sha256(catalog.encode("utf-8")).hexdigest() if catalog else ""


@dataclass(frozen=True)
class IndexView:
    """An immutable snapshot for searching: rows in a fixed order, their vectors and BM25."""

    chunks: list[Chunk]
    vectors: Vectors
    lexical: LexicalIndex
    documents: dict[str, DocumentMeta]
    row_of: dict[str, int] = field(default_factory=dict)


class KnowledgeIndex:
    """Documents and their chunks, embedded once, searchable densely and lexically."""

    def __init__(
        self,
        backend: Backend,
        embedder: Embedder,
        directory: Path | None,
        prebuilt: PrebuiltVectors | None = None,
        collection_name: str | None = None,
    ) -> None:
        self.embedder = embedder
        self._prebuilt = prebuilt
        self._backend = backend
        self._slug = model_slug(embedder.model_id)
        self._collection_name = collection_name or backends.chunks_name(self._slug)
        self._collection_obj: Any = None
        self._caches = IndexCaches(directory, self._slug)
        self._lock = threading.RLock()
        self._docs: dict[str, DocumentMeta] = {}
        self._hashes: dict[str, str] = {}
        self._chunks: dict[str, list[Chunk]] = {}
        self._owner: dict[str, str] = {}  # chunk id -> doc id
        self._vectors: dict[str, Vectors] = {}
        self._view: IndexView | None = None
        self._digest = ""  # the catalog the state in memory matches; '' = none to cache
        self._catalog = ""  # the catalog's text as this process last read or wrote it
        self._load()

    @property
    def _collection(self) -> Any:
        """Chroma's collection, opened on first use (a start from the snapshot never needs it)."""
        if self._collection_obj is None:
            self._collection_obj = self._backend.client().get_or_create_collection(
                self._collection_name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"model_id": self.embedder.model_id},
            )
        return self._collection_obj

    @classmethod
    def open(
        cls,
        directory: Path,
        embedder: Embedder,
        prebuilt: PrebuiltVectors | None = None,
        *,
        server: str = "",
    ) -> KnowledgeIndex:
        """The index of `directory`; with `server` (a Chroma server's URL) the records and
        the catalog are the server's and the directory keeps only this machine's caches."""
        directory.mkdir(parents=True, exist_ok=True)
        slug = model_slug(embedder.model_id)
        backend = backends.server(server, slug) if server else backends.embedded(directory, slug)
        return cls(backend, embedder, directory, prebuilt)

    @classmethod
    def ephemeral(cls, embedder: Embedder) -> KnowledgeIndex:
        """In memory only; a fresh collection each time (ephemeral clients share one store)."""
        return cls(
            backends.ephemeral(), embedder, None, collection_name=f"chunks-{uuid.uuid4().hex}"
        )

    @property
    def server(self) -> str:
        """The Chroma server's URL; '' when the index is embedded."""
        return self._backend.server

    @property
    def settled(self) -> bool:
        """The state in memory is one catalog's whole (no write seen while reading it)."""
        return bool(self._digest)

    def ping(self) -> None:
        """Raises unless the records are reachable (a server: its heartbeat); cheap."""
        self._backend.ping()

    # -- reading -------------------------------------------------------------------------

    def document_hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._hashes)

    def documents(self) -> list[DocumentMeta]:
        with self._lock:
            return list(self._docs.values())

    def document(self, doc_id: str) -> DocumentMeta | None:
        with self._lock:
            return self._docs.get(doc_id)

    def chunks(self) -> list[Chunk]:
        with self._lock:
            return [c for doc_id in self._docs for c in self._chunks.get(doc_id, [])]

    def is_empty(self) -> bool:
        with self._lock:
            return not any(self._chunks.values())

    def view(self) -> IndexView:
        """The current snapshot; rebuilt (BM25 included) only after a change."""
        with self._lock:
            if self._view is None:
                lexical = self._caches.lexical(self._digest, [c.id for c in self.chunks()])
                self._view = self._build_view(lexical)
                if lexical is None:
                    self._caches.save_lexical(self._digest, self._view.lexical)
                if not self._caches.snapshot_current(self._digest):
                    self._save_snapshot(self._view)  # the next start skips Chroma
            return self._view

    # -- writing -------------------------------------------------------------------------

    def upsert_document(
        self,
        meta: DocumentMeta,
        chunks: Sequence[Chunk],
        source_hash: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace a document's chunks; only new or changed chunk texts without a prebuilt
        vector are embedded.

        `on_progress` gets the running count of new or changed chunks given a vector so far
        (prebuilt ones first). Returns how many chunks were embedded.
        """
        ids = [c.id for c in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{meta.doc_id}: chunk ids are not unique")
        with self._lock:
            self._check_unchanged()
            for chunk_id in ids:
                owner = self._owner.get(chunk_id, meta.doc_id)
                if owner != meta.doc_id:
                    raise ValueError(f"chunk id {chunk_id!r} already belongs to {owner!r}")
            old = self._collection.get(where={"doc_id": meta.doc_id}, include=[])
            old_ids = [str(i) for i in old["ids"]]
            self._docs[meta.doc_id] = meta
            self._hashes[meta.doc_id] = _PENDING
            self._save_catalog()

            stored = self._stored_vectors(ids)
            fresh = [c for c in chunks if c.id not in stored or stored[c.id][0] != c.content_hash]
            vectors = {cid: vec for cid, (_, vec) in stored.items()}
            to_embed = []
            for chunk in fresh:
                known = None if self._prebuilt is None else self._prebuilt.get(chunk.content_hash)
                if known is None:
                    to_embed.append(chunk)
                else:
                    vectors[chunk.id] = known
            done = len(fresh) - len(to_embed)
            if done and on_progress is not None:
                on_progress(done)
            for start in range(0, len(to_embed), _EMBED_BATCH):
                batch = to_embed[start : start + _EMBED_BATCH]
                embedded = self.embedder.embed_passages([c.embed_text for c in batch])
                for chunk, vec in zip(batch, embedded, strict=True):
                    vectors[chunk.id] = np.asarray(vec, dtype=np.float32)
                done += len(batch)
                if on_progress is not None:
                    on_progress(done)

            for start in range(0, len(chunks), _BATCH):
                batch = list(chunks[start : start + _BATCH])
                self._collection.upsert(
                    ids=[c.id for c in batch],
                    embeddings=np.vstack([vectors[c.id] for c in batch]),
                    documents=[c.text for c in batch],
                    metadatas=[to_metadata(c, start + i, meta) for i, c in enumerate(batch)],
                )
            stale = sorted(set(old_ids) - set(ids))
            if stale:
                self._collection.delete(ids=stale)
            for chunk_id in stale:
                self._vectors.pop(chunk_id, None)
                self._owner.pop(chunk_id, None)

            self._chunks[meta.doc_id] = list(chunks)
            self._owner.update({c.id: meta.doc_id for c in chunks})
            self._vectors.update({c.id: vectors[c.id] for c in chunks})
            self._hashes[meta.doc_id] = source_hash
            self._save_catalog()
            self._view = None
            return len(to_embed)

    def remove_document(self, doc_id: str) -> None:
        with self._lock:
            self._check_unchanged()
            self._collection.delete(where={"doc_id": doc_id})
            for chunk in self._chunks.pop(doc_id, []):
                self._vectors.pop(chunk.id, None)
                self._owner.pop(chunk.id, None)
            self._docs.pop(doc_id, None)
            self._hashes.pop(doc_id, None)
            self._save_catalog()
            self._view = None

    def refresh(self) -> None:
        """Rebuild the BM25 indexes from the current chunks and persist them."""
        with self._lock:
            view = self._build_view(None)
            self._caches.save_lexical(self._digest, view.lexical)
            self._save_snapshot(view)
            self._view = view

    # -- persistence ---------------------------------------------------------------------

    def _save_catalog(self) -> None:
        catalog = self._backend.catalog
        if catalog is None:
            return
        data = {
            doc_id: {"meta": meta.to_metadata(), "source_hash": self._hashes.get(doc_id, "")}
            for doc_id, meta in self._docs.items()
        }
        text = json.dumps(data, ensure_ascii=False, indent=1)
        catalog.write(text)
        self._catalog = text
        self._digest = self._cacheable(text)

    def _read_catalog(self) -> str:
        catalog = self._backend.catalog
        return "" if catalog is None else catalog.read()

    def _check_unchanged(self) -> None:
        """Before a write: the catalog is still the one this process holds."""
        if self._read_catalog() != self._catalog:
            raise backends.IndexChanged("the index was written by another process; reopen it")

    def _cacheable(self, catalog: str) -> str:
        """The catalog's digest, or '' while a document is half-written (no cache of it)."""
        return "" if _PENDING in self._hashes.values() else _digest(catalog)

    def _load(self) -> None:
        """The catalog, then the chunks from the snapshot that matches it or from Chroma;
        read again while a writer changed the catalog meanwhile (see the module's doc)."""
        catalog = self._read_catalog()
        for attempt in range(_LOAD_TRIES):
            self._reset(catalog)
            if self._load_snapshot(_digest(catalog)):
                self._digest = self._cacheable(catalog)
                return
            try:
                self._load_records()
            except Exception as error:
                if attempt == _LOAD_TRIES - 1 or not backends.racing_a_write(error):
                    raise
                time.sleep(0.1 * 2**attempt)
                catalog = self._read_catalog()
                continue
            again = self._read_catalog()
            if again == catalog:
                self._digest = self._cacheable(catalog)
                return
            catalog = again
        self._digest = ""  # a writer kept changing it: serve this read, cache nothing

    def _reset(self, catalog: str) -> None:
        self._catalog = catalog
        self._docs.clear()
        self._hashes.clear()
        self._chunks.clear()
        self._owner.clear()
        self._vectors.clear()
        for doc_id, entry in (json.loads(catalog) if catalog else {}).items():
            self._docs[doc_id] = DocumentMeta.from_metadata(entry["meta"])
            self._hashes[doc_id] = entry["source_hash"]

    def _load_records(self) -> None:
        # Records of documents missing from the catalog (an upsert that died before writing
        # it) are left in Chroma unused: a re-ingest reuses their vectors.
        rows: dict[str, list[tuple[int, Chunk]]] = {}
        for doc_id, chunk, seq, vec in from_chroma(self._collection, self._docs, page=_BATCH * 4):
            rows.setdefault(doc_id, []).append((seq, chunk))
            self._vectors[chunk.id] = vec
            self._owner[chunk.id] = doc_id
        for doc_id, pairs in rows.items():
            self._chunks[doc_id] = [c for _, c in sorted(pairs, key=lambda p: p[0])]

    def _save_snapshot(self, view: IndexView) -> None:
        self._caches.save_snapshot(self._digest, view.chunks, self._owner, view.vectors)

    def _load_snapshot(self, digest: str) -> bool:
        """Chunks and vectors from the snapshot, when it is of this very catalog."""
        rows = self._caches.snapshot(digest, self._docs)
        if rows is None:
            return False
        for doc_id, chunk, vec in rows:
            self._chunks.setdefault(doc_id, []).append(chunk)
            self._vectors[chunk.id] = vec
            self._owner[chunk.id] = doc_id
        return True

    def _build_view(self, lexical: LexicalIndex | None) -> IndexView:
        rows = self.chunks()
        ids = [c.id for c in rows]
        if lexical is None:
            lexical = LexicalIndex.build(ids, [c.embed_text for c in rows])
        vectors = (
            np.vstack([self._vectors[i] for i in ids]) if rows else np.zeros((0, 0), np.float32)
        )
        return IndexView(
            chunks=rows,
            vectors=vectors.astype(np.float32, copy=False),
            lexical=lexical,
            documents=dict(self._docs),
            row_of={cid: n for n, cid in enumerate(ids)},
        )

    def _stored_vectors(self, ids: Sequence[str]) -> dict[str, tuple[str, Vectors]]:
        """content_hash and vector Chroma holds for these ids (model checked by collection)."""
        out: dict[str, tuple[str, Vectors]] = {}
        for start in range(0, len(ids), _BATCH):
            got = self._collection.get(
                ids=list(ids[start : start + _BATCH]), include=["metadatas", "embeddings"]
            )
            for cid, meta, vec in zip(got["ids"], got["metadatas"], got["embeddings"], strict=True):
                out[cid] = (str(meta.get("content_hash", "")), np.asarray(vec, dtype=np.float32))
        return out
