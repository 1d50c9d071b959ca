"""How the knowledge index stores a Chunk outside memory, and reads it back.

Two forms: Chroma's flat metadata (scalars only, so citations are spread over fields and
nested values are JSON strings) and the snapshot file's JSON records, which a start reads
instead of Chroma. Kept apart from knowledge.index so each format has one writer and one
reader side by side.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.documents import Chunk, Citation, DocumentMeta
from knowledge.embedders import Vectors

__all__ = [
    "chunk_from_record",
    "chunk_record",
    "from_chroma",
    "read_snapshot",
    "snapshot_matches",
    "to_metadata",
    "write_snapshot",
]


def to_metadata(chunk: Chunk, seq: int, meta: DocumentMeta) -> dict[str, str | int]:
    """Flat scalars; the chunk's own DocumentMeta only when it differs from the document's
    (a JSONL file of passages from several laws gives each its own title and number)."""
    cit = chunk.citation
    own = cit.document
    return {
        "doc_id": meta.doc_id,
        "seq": seq,
        "title": chunk.title,
        "article": cit.article,
        "clause": cit.clause,
        "point": cit.point,
        "headings": json.dumps(list(cit.headings), ensure_ascii=False),
        "content_hash": chunk.content_hash,
        "document": "" if own == meta else json.dumps(own.to_metadata(), ensure_ascii=False),
    }


def chunk_record(chunk: Chunk) -> dict[str, Any]:
    cit = chunk.citation
    return {
        "id": chunk.id,
        "text": chunk.text,
        "title": chunk.title,
        "article": cit.article,
        "clause": cit.clause,
        "point": cit.point,
        "headings": list(cit.headings),
        "document": cit.document.to_metadata(),
    }


def chunk_from_record(record: Mapping[str, Any], doc: DocumentMeta) -> Chunk:
    own = DocumentMeta.from_metadata(record["document"])
    citation = Citation(
        document=doc if own == doc else own,
        article=record["article"],
        clause=record["clause"],
        point=record["point"],
        headings=tuple(record["headings"]),
    )
    return Chunk(id=record["id"], text=record["text"], citation=citation, title=record["title"])


def from_chroma(
    collection: Any, docs: Mapping[str, DocumentMeta], *, page: int
) -> Iterator[tuple[str, Chunk, int, Vectors]]:
    """The one place Chroma's result dicts become Chunks: (doc id, chunk, position in its
    document, vector) for every record of a catalogued document, read `page` at a time."""
    offset = 0
    while True:
        got = collection.get(
            include=["documents", "metadatas", "embeddings"], limit=page, offset=offset
        )
        if not got["ids"]:
            return
        for cid, text, meta, vec in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        ):
            owner = str(meta.get("doc_id", ""))
            doc = docs.get(owner)
            if doc is None:
                continue
            if meta.get("document"):
                doc = DocumentMeta.from_metadata(json.loads(str(meta["document"])))
            citation = Citation(
                document=doc,
                article=str(meta.get("article", "")),
                clause=str(meta.get("clause", "")),
                point=str(meta.get("point", "")),
                headings=tuple(json.loads(str(meta.get("headings", "[]")))),
            )
            chunk = Chunk(
                id=cid, text=text or "", citation=citation, title=str(meta.get("title", ""))
            )
            yield owner, chunk, int(meta.get("seq", 0)), np.asarray(vec, dtype=np.float32)
        offset += len(got["ids"])


def write_snapshot(
    path: Path, vectors: Vectors, records: list[dict[str, Any]], catalog: str
) -> None:
    """Records and their vectors, tagged with the digest of the catalog they match; written
    to a temporary file of this process's own and renamed, so a reader never sees half a
    snapshot and two processes never write one file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp.npz")
    np.savez(
        tmp,
        vectors=vectors,
        records=np.array(json.dumps(records, ensure_ascii=False)),
        catalog=np.array(catalog),
    )
    os.replace(tmp, path)


def snapshot_matches(path: Path, catalog: str) -> bool:
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["catalog"]) == catalog
    except (OSError, ValueError, KeyError):
        return False


def read_snapshot(path: Path, catalog: str) -> tuple[list[dict[str, Any]], Vectors] | None:
    """The records and vectors when the snapshot exists, is whole and matches `catalog`."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["catalog"]) != catalog:
                return None
            records = json.loads(str(data["records"]))
            vectors = np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError):
        return None
    if len(records) != len(vectors):
        return None
    return records, vectors
