"""The incremental pipeline against an in-memory index with the KnowledgeIndex API."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from rich.console import Console

from ingest.pipeline import IngestReport, ingest_paths
from ingest.progress import RichProgress
from knowledge.documents import Chunk, DocumentMeta

SOURCES = Path(__file__).resolve().parents[1] / "knowledge" / "sources"


class FakeIndex:
    """Embeds (counts) only chunks whose id is new or whose content hash changed."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[DocumentMeta, list[Chunk], str]] = {}
        self.vectors: dict[str, str] = {}  # chunk id -> content hash it was embedded from
        self.upserts: list[str] = []
        self.refreshes = 0

    def document_hashes(self) -> dict[str, str]:
        return {doc_id: digest for doc_id, (_, _, digest) in self.docs.items()}

    def upsert_document(
        self,
        meta: DocumentMeta,
        chunks: Sequence[Chunk],
        source_hash: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        self.upserts.append(meta.doc_id)
        fresh = [c for c in chunks if self.vectors.get(c.id) != c.content_hash]
        for done, chunk in enumerate(fresh, start=1):
            self.vectors[chunk.id] = chunk.content_hash
            if on_progress is not None:
                on_progress(done)
        self.remove_document(meta.doc_id)
        self.docs[meta.doc_id] = (meta, list(chunks), source_hash)
        self.vectors.update({c.id: c.content_hash for c in chunks})
        return len(fresh)

    def remove_document(self, doc_id: str) -> None:
        _, chunks, _ = self.docs.pop(doc_id, (None, [], ""))
        for chunk in chunks:
            self.vectors.pop(chunk.id, None)

    def refresh(self) -> None:
        self.refreshes += 1

    def chunk_ids(self, doc_id: str) -> list[str]:
        return [c.id for c in self.docs[doc_id][1]]


ARTICLES = "Điều 1. Phạm vi\nNội dung một.\nĐiều 2. Đối tượng\nNội dung hai.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "vanban"
    (root / "con").mkdir(parents=True)
    (root / "qd-1.md").write_text(ARTICLES, encoding="utf-8")
    (root / "con" / "tin.txt").write_text("Một bản tin ngắn về thi đua.", encoding="utf-8")
    (root / "ghi-chu.xlsx").write_bytes(b"ignored: not a supported type")
    (root / ".an").mkdir()
    (root / ".an" / "nhap.md").write_text("Bản nháp ẩn.", encoding="utf-8")
    (root / "~$qd-1.docx").write_bytes(b"office lock file")
    return root


def test_first_run_adds_every_supported_file(folder: Path) -> None:
    index = FakeIndex()
    report = ingest_paths([folder], index)
    assert (report.files, report.added, report.updated, report.unchanged) == (2, 2, 0, 0)
    assert report.failed == []
    assert sorted(index.docs) == ["qd-1", "tin"]
    assert index.chunk_ids("qd-1") == ["qd-1#d1", "qd-1#d2"]
    assert report.chunks_embedded == 3
    assert [path for path, _ in report.skipped] == [folder / "ghi-chu.xlsx"]
    assert report.hidden == 2  # the folder .an and the lock file ~$qd-1.docx
    assert index.refreshes == 1


def test_unchanged_files_are_not_upserted_or_embedded(folder: Path) -> None:
    index = FakeIndex()
    ingest_paths([folder], index)
    index.upserts.clear()
    report = ingest_paths([folder], index)
    assert (report.unchanged, report.added, report.updated, report.chunks_embedded) == (2, 0, 0, 0)
    assert index.upserts == []
    assert not report.changed


def test_a_changed_file_replaces_its_chunks_and_embeds_only_what_changed(folder: Path) -> None:
    index = FakeIndex()
    ingest_paths([folder], index)
    (folder / "qd-1.md").write_text(
        "Điều 1. Phạm vi\nNội dung một.\nĐiều 3. Mới\nNội dung ba.\n", encoding="utf-8"
    )
    report = ingest_paths([folder], index)
    assert (report.updated, report.unchanged, report.chunks_embedded) == (1, 1, 1)
    assert index.upserts[-1:] == ["qd-1"]
    assert index.chunk_ids("qd-1") == ["qd-1#d1", "qd-1#d3"]
    assert "qd-1#d2" not in index.vectors


def test_changed_metadata_overrides_count_as_a_change(folder: Path) -> None:
    index = FakeIndex()
    ingest_paths([folder / "qd-1.md"], index)
    report = ingest_paths([folder / "qd-1.md"], index, issuer="UBND tỉnh Hà Tĩnh")
    assert report.updated == 1
    assert index.docs["qd-1"][0].issuer == "UBND tỉnh Hà Tĩnh"
    assert report.chunks_embedded == 0  # same chunk texts: vectors are reused


def test_prune_removes_documents_whose_files_are_gone(folder: Path) -> None:
    index = FakeIndex()
    ingest_paths([folder], index)
    (folder / "con" / "tin.txt").unlink()
    kept = ingest_paths([folder], index)
    assert kept.removed == 0 and "tin" in index.docs
    report = ingest_paths([folder], index, prune=True)
    assert (report.removed, report.removed_ids) == (1, ["tin"])
    assert sorted(index.docs) == ["qd-1"]


def test_prune_leaves_documents_from_other_roots_alone(folder: Path, tmp_path: Path) -> None:
    index = FakeIndex()
    ingest_paths([SOURCES], index)
    ingest_paths([folder], index)
    (folder / "qd-1.md").unlink()
    report = ingest_paths([folder], index, prune=True)
    assert report.removed_ids == ["qd-1"]
    assert "luat-tdkt-2022" in index.docs and "tin" in index.docs


def test_one_bad_file_is_reported_and_the_others_ingested(folder: Path) -> None:
    (folder / "hong.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "rong.md").write_bytes(b"")
    index = FakeIndex()
    report = ingest_paths([folder], index)
    assert report.added == 2
    assert [path.name for path, _ in report.failed] == ["hong.pdf", "rong.md"]
    assert all(path.name in message and "\n" not in message for path, message in report.failed)
    assert sorted(index.docs) == ["qd-1", "tin"]


def test_every_entry_not_ingested_is_named_with_why_and_the_files_after_it_ingest(
    folder: Path,
) -> None:
    (folder / "a-cu.doc").write_bytes(b"\xd0\xcf\x11\xe0 an old Word file")
    (folder / "b-mat.md").symlink_to(folder / "da-xoa.md")  # dangling
    (folder / "c-vong.md").symlink_to(folder / "c-vong.md")  # a link to itself
    (folder / "d-mot.md").symlink_to(folder / "d-hai.md")  # two links to each other
    (folder / "d-hai.md").symlink_to(folder / "d-mot.md")
    (folder / "con" / "len").symlink_to(folder)  # back up the tree: would loop if followed
    os.mkfifo(folder / "e-ong.txt")  # reading it would wait for ever
    # A file that exists but cannot be read: /proc/self/mem answers EIO at offset 0 (a chmod 000
    # file would do for anyone but root, who runs these tests in the container).
    (folder / "f-hong.md").symlink_to("/proc/self/mem")
    (folder / "g-lon.md").write_text("Điều 1. Dài\n" + "Nội dung rất dài. " * 1000, "utf-8")
    (folder / "z-cuoi.md").write_text(ARTICLES, encoding="utf-8")  # after all of them

    report = ingest_paths([folder], FakeIndex(), max_file_bytes=10_000)

    skipped = {path.name: why for path, why in report.skipped}
    assert skipped == {
        "a-cu.doc": "định dạng .doc cũ không được hỗ trợ, hãy lưu lại thành .docx",
        "b-mat.md": f"liên kết tượng trưng tới {folder / 'da-xoa.md'}, nơi không còn tồn tại",
        "c-vong.md": "liên kết tượng trưng vòng lặp (qua các liên kết lại trỏ về chính nó)",
        "d-mot.md": "liên kết tượng trưng vòng lặp (qua các liên kết lại trỏ về chính nó)",
        "d-hai.md": "liên kết tượng trưng vòng lặp (qua các liên kết lại trỏ về chính nó)",
        "len": f"liên kết tới thư mục {folder}, không đi theo (tránh vòng lặp)",
        "e-ong.txt": "không phải tệp thường (ống, socket hoặc thiết bị)",
        "ghi-chu.xlsx": (
            "định dạng không được hỗ trợ (.xlsx); chỉ nhận .docx, .htm, .html, .jsonl, .markdown, "
            ".md, .pdf, .txt"
        ),
    }
    failed = {path.name: message for path, message in report.failed}
    assert set(failed) == {"f-hong.md", "g-lon.md"}
    assert failed["f-hong.md"].endswith("không đọc được tệp (Input/output error)")
    size = (folder / "g-lon.md").stat().st_size / 1024
    assert failed["g-lon.md"].endswith(
        f"tệp {size:.1f} KB vượt giới hạn 9,8 KB cho mỗi tệp nên đã bỏ qua ".replace(".", ",")
        + "(hãy tách thành các tệp nhỏ hơn, hoặc nâng giới hạn)"
    )
    assert (report.added, report.files) == (3, 5)  # qd-1, tin and z-cuoi, after every bad one


def test_a_file_over_the_default_limit_is_refused_and_keeps_its_document(
    folder: Path,
) -> None:
    index = FakeIndex()
    ingest_paths([folder], index)
    big = folder / "qd-1.md"
    big.write_text(ARTICLES + "Nội dung thêm. " * 400_000, encoding="utf-8")  # 6,9 MB
    report = ingest_paths([folder], index, prune=True)
    [(path, message)] = report.failed
    assert path == big
    assert "tệp 6,9 MB vượt giới hạn 5,0 MB cho mỗi tệp nên đã bỏ qua" in message
    assert report.prune_skipped == [folder] and "qd-1" in index.docs  # its old version stays
    assert ingest_paths([folder], FakeIndex(), max_file_bytes=None).failed == []  # no limit


def test_prune_is_skipped_for_a_root_with_a_failed_file(folder: Path) -> None:
    index = FakeIndex()
    ingest_paths([folder], index)
    (folder / "con" / "tin.txt").write_bytes(b"\x00\x01binary")
    report = ingest_paths([folder], index, prune=True)
    assert report.removed == 0 and report.prune_skipped == [folder]
    assert "tin" in index.docs


def test_missing_path_and_unsupported_explicit_file_are_failures(tmp_path: Path) -> None:
    (tmp_path / "bang.xlsx").write_bytes(b"x")
    report = ingest_paths([tmp_path / "khong-co", tmp_path / "bang.xlsx"], FakeIndex())
    messages = [message for _, message in report.failed]
    assert "không tìm thấy" in messages[0]
    assert "không được hỗ trợ" in messages[1]


def test_two_files_with_the_same_doc_id_fail_the_second(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "qd.md").write_text("Nội dung A.", encoding="utf-8")
    (tmp_path / "b" / "qd.md").write_text("Nội dung B.", encoding="utf-8")
    report = ingest_paths([tmp_path], FakeIndex())
    assert report.added == 1
    ((path, message),) = report.failed
    assert path == tmp_path / "b" / "qd.md" and "'qd'" in message


def test_unknown_metadata_override_is_a_programming_error(folder: Path) -> None:
    with pytest.raises(TypeError):
        ingest_paths([folder], FakeIndex(), isued="2024-01-01")


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, total_files: int) -> None:
        self.events.append(("start", total_files))

    def file_started(self, path: Path, chunks: int) -> None:
        self.events.append(("file", (path.name, chunks)))

    def chunks_embedded(self, done: int) -> None:
        self.events.append(("embedded", done))

    def file_done(self, path: Path) -> None:
        self.events.append(("done", path.name))


def test_progress_reports_files_and_running_chunk_counts(folder: Path) -> None:
    progress = RecordingProgress()
    ingest_paths([folder / "qd-1.md"], FakeIndex(), progress=progress)
    assert progress.events == [
        ("start", 1),
        ("file", ("qd-1.md", 2)),
        ("embedded", 1),
        ("embedded", 2),
        ("done", "qd-1.md"),
    ]


def test_rich_progress_renders_to_its_console(folder: Path) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=100)
    with RichProgress(console) as progress:
        report: IngestReport = ingest_paths([folder], FakeIndex(), progress=progress)
    assert report.added == 2
    assert "Tệp văn bản" in out.getvalue()


def test_bundled_sources_ingest_cleanly() -> None:
    index = FakeIndex()
    report = ingest_paths([SOURCES], index)
    assert report.failed == [] and report.added == 4
    assert sorted(index.docs) == [
        "ha-tinh-thi-dua-2021",
        "hd-1479-btdkt-2016",
        "luat-tdkt-2022",
        "nd-91-2017-nd-cp",
    ]
