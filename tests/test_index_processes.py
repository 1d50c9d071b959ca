"""Several processes on one Chroma server: two readers (one data dir between them, as two
`serve` workers of a machine) open the index over and over while an ingest on another
machine rewrites a folder of texts. No process fails, every state a reader opens is whole,
and in the end every process and the server hold exactly the last ingest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge.index import KnowledgeIndex
from tests.index_procs import ReadOnly

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 4
WAIT_S = 600


def spawn(*args: str | Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.index_procs", *map(str, args)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[bytes]) -> None:
    _, err = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, err.decode(errors="replace")[-3000:]


def test_two_readers_and_an_ingest_never_see_or_leave_a_torn_index(
    tmp_path: Path, chroma_url: str
) -> None:
    done = tmp_path / "done"
    shared = tmp_path / "machine-a"  # the readers' data dir
    outs = [tmp_path / "reader-1.json", tmp_path / "reader-2.json"]
    readers = [spawn("reader", chroma_url, shared, done, out) for out in outs]
    try:
        deadline = time.monotonic() + WAIT_S
        while not all(out.with_suffix(".ready").exists() for out in outs):
            assert all(r.poll() is None for r in readers), "a reader stopped before the ingest"
            assert time.monotonic() < deadline, "the readers never opened the index"
            time.sleep(0.1)
        written = tmp_path / "writer.json"
        finish(
            spawn("writer", chroma_url, tmp_path / "machine-b", tmp_path / "texts", ROUNDS, written)
        )
    finally:
        done.touch()
        for reader in readers:
            finish(reader)

    final = json.loads(written.read_text(encoding="utf-8"))
    assert len(final["hashes"]) == 3 and all(
        f"phiên bản {ROUNDS - 1}" in t for _, t in final["chunks"]
    )
    for out in outs:
        seen = json.loads(out.read_text(encoding="utf-8"))
        print(f"{out.name}: {seen['opens']} opens, {seen['settled']} settled")
        assert {k: seen[k] for k in ("hashes", "chunks")} == final
        assert seen["settled"] >= 1
    # The server holds the last ingest and nothing else; a new machine starts from it.
    fresh = KnowledgeIndex.open(tmp_path / "machine-c", ReadOnly(), server=chroma_url)
    assert [[c.id, c.text] for c in fresh.chunks()] == final["chunks"]
    assert fresh._collection.count() == len(final["chunks"])
    restarted = KnowledgeIndex.open(shared, ReadOnly(), server=chroma_url)
    assert restarted.settled and restarted._collection_obj is None  # the readers' caches
    assert [[c.id, c.text] for c in restarted.chunks()] == final["chunks"]
