"""Incremental ingestion: only new or changed files are chunked and handed to the index.

A file is unchanged when its source hash equals the one stored at its last upsert. The hash
covers the file bytes, the metadata overrides, `PIPELINE_VERSION` (bump it when chunking
changes) and the root the file was found under, written as `<sha256>@<root tag>`.

Foreign documents: with `keep_foreign=True` a file whose doc_id is already owned by another
root is left alone (the bundled texts never overwrite an office's own copy of a text).

Prune rule: a document belongs to the root (folder or file argument) it was last ingested
from. With `prune=True`, documents owned by a given root whose files are no longer found
under it are removed; documents from other roots are never touched, and a root in which any
file failed is not pruned (its documents' ids are unknown).

Nothing is passed over silently: a file over the size limit (read no further than the limit) or
that cannot be read is a failure, and in a folder every entry that is not a supported regular
file (another type, a symbolic link that is dangling, loops or leads to a folder, a pipe) is
listed in `skipped` with its reason; hidden entries and Office lock files are only counted.
Either way the files after it are still ingested.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.chunker import chunk_document
from ingest.errors import IngestError
from ingest.loaders import SUPPORTED_EXTENSIONS, load_document, read_bytes, unsupported
from ingest.meta import check_override_keys
from ingest.progress import IngestProgress, NullProgress
from knowledge.documents import Chunk, DocumentMeta

PIPELINE_VERSION = "1"
MAX_FILE_BYTES = 5 * 1024 * 1024  # a 50 MB text is ~40,000 chunks, hours of embedding


class Index(Protocol):
    """The part of `knowledge.index.KnowledgeIndex` the pipeline uses."""

    def document_hashes(self) -> dict[str, str]: ...

    def upsert_document(
        self,
        meta: DocumentMeta,
        chunks: Sequence[Chunk],
        source_hash: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> int: ...

    def remove_document(self, doc_id: str) -> None: ...

    def refresh(self) -> None: ...


@dataclass
class IngestReport:
    """What one run did; `failed` holds (path, one-line Vietnamese message)."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    prune_skipped: list[Path] = field(default_factory=list)  # roots not pruned after a failure
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # in folders: (path, why)
    hidden: int = 0  # hidden entries ('.git', '.DS_Store') and Office lock files ('~$…')

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def ingest_paths(
    paths: Iterable[Path | str],
    index: Index,
    *,
    prune: bool = False,
    progress: IngestProgress | None = None,
    max_file_bytes: int | None = MAX_FILE_BYTES,
    keep_foreign: bool = False,
    **meta_overrides: object,
) -> IngestReport:
    """Ingest files and folders (recursively) into `index`; one bad file never stops the run.
    A file over `max_file_bytes` (None: no limit) is a failure, refused before it is read."""
    check_override_keys(meta_overrides)
    overrides = {k: v for k, v in meta_overrides.items() if v is not None and v != ""}
    sink = progress or NullProgress()
    report = IngestReport()
    roots = [Path(p) for p in paths]
    found, failed_roots = _collect(roots, report)
    report.files = len(found)
    stored = index.document_hashes()
    seen: dict[str, Path] = {}
    sink.start(len(found))
    for root, path in found:
        try:
            _ingest_file(
                root,
                path,
                index,
                stored,
                seen,
                overrides,
                sink,
                report,
                max_file_bytes,
                keep_foreign,
            )
        except IngestError as error:
            report.failed.append((path, str(error)))
            failed_roots.add(root)
        sink.file_done(path)
    if prune:
        _prune(roots, failed_roots, stored, set(seen), index, report)
    index.refresh()
    return report


def source_hash(data: bytes, overrides: Mapping[str, object], root: Path) -> str:
    """`<sha256 of bytes, overrides and pipeline version>@<root tag>`."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps(overrides, sort_keys=True, default=str).encode("utf-8"))
    digest.update(f"\0pipeline={PIPELINE_VERSION}".encode())
    return f"{digest.hexdigest()}@{root_tag(root)}"


def root_tag(root: Path) -> str:
    return hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:12]


def pending(root: Path, stored: Mapping[str, str]) -> bool:
    """Whether `ingest_paths([root], keep_foreign=True)` would add or update a document:
    some file under `root` is new or changed and its doc_id is not another root's.

    Cheap when nothing changed (hashing the files); a file whose hash is unknown is loaded to
    learn its doc_id. A file that cannot be loaded adds nothing, so it is not pending."""
    known = set(stored.values())
    found, failed = _collect([root], IngestReport())
    if failed:
        return False
    tag = f"@{root_tag(root)}"
    for _, path in found:
        try:
            data = read_bytes(path)
            if source_hash(data, {}, root) in known:
                continue
            doc_id = load_document(path, data=data).meta.doc_id
        except IngestError:
            continue
        if doc_id not in stored or stored[doc_id].endswith(tag):
            return True
    return False


def _collect(roots: list[Path], report: IngestReport) -> tuple[list[tuple[Path, Path]], set[Path]]:
    """(root, file) pairs in a stable order, each file once; missing roots are failures."""
    found: list[tuple[Path, Path]] = []
    failed_roots: set[Path] = set()
    seen: set[Path] = set()
    for root in roots:
        if root.is_dir():
            files = _walk(root, report)
        elif root.is_file():
            files = [root]  # an explicit file: unsupported types are reported, not skipped
        else:
            reason = "không phải tệp thường" if root.exists() else "không tìm thấy tệp hoặc thư mục"
            report.failed.append((root, str(IngestError(root, reason))))
            failed_roots.add(root)
            continue
        for path in files:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                found.append((root, path))
    return found, failed_roots


def _walk(root: Path, report: IngestReport) -> list[Path]:
    """The supported regular files under `root`, sorted. Every other entry is added to
    `report.skipped` with why (hidden ones only counted); symbolic links to folders are not
    followed, so a link that leads back up the tree cannot loop."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename or root)
        skipped.append((where, f"không đọc được thư mục ({error.strerror})"))

    for top, folders, names in os.walk(root, onerror=unreadable):
        here = Path(top)
        kept = []
        for name in folders:  # links to folders are listed here, and not descended
            if _hidden(name):
                report.hidden += 1
            elif (here / name).is_symlink():
                skipped.append((here / name, _why_not(here / name) or ""))
            else:
                kept.append(name)
        folders[:] = kept
        for name in names:
            path = here / name
            if _hidden(name):
                report.hidden += 1
            elif (why := _why_not(path)) is not None:
                skipped.append((path, why))
            else:
                files.append(path)
    report.skipped.extend(sorted(skipped))
    return sorted(files)


def _hidden(name: str) -> bool:
    """Hidden ('.git', '.DS_Store') or an Office lock file ('~$báo cáo.docx')."""
    return name.startswith((".", "~$"))


def _why_not(path: Path) -> str | None:
    """Why a folder entry is not ingested, or None for a supported regular file."""
    if path.is_symlink():
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return f"liên kết tượng trưng tới {os.readlink(path)}, nơi không còn tồn tại"
        except OSError as error:
            if error.errno == errno.ELOOP:
                return "liên kết tượng trưng vòng lặp (qua các liên kết lại trỏ về chính nó)"
            return f"không đọc được liên kết tượng trưng ({error.strerror})"
        if stat.S_ISDIR(mode):
            return f"liên kết tới thư mục {os.readlink(path)}, không đi theo (tránh vòng lặp)"
    if not path.is_file():
        return "không phải tệp thường (ống, socket hoặc thiết bị)"
    suffix = path.suffix.lower()
    return None if suffix in SUPPORTED_EXTENSIONS else unsupported(suffix)


def _ingest_file(
    root: Path,
    path: Path,
    index: Index,
    stored: Mapping[str, str],
    seen: dict[str, Path],
    overrides: Mapping[str, object],
    sink: IngestProgress,
    report: IngestReport,
    max_file_bytes: int | None,
    keep_foreign: bool = False,
) -> None:
    data = read_bytes(path, max_file_bytes)
    digest = source_hash(data, overrides, root)
    document = load_document(path, data=data, **overrides)
    doc_id = document.meta.doc_id
    if doc_id in seen:
        raise IngestError(path, f"mã văn bản {doc_id!r} trùng với tệp {seen[doc_id]}")
    seen[doc_id] = path
    if stored.get(doc_id) == digest or (
        keep_foreign and doc_id in stored and not stored[doc_id].endswith(f"@{root_tag(root)}")
    ):
        report.unchanged += 1
        return
    chunks = chunk_document(document)
    if not chunks:
        raise IngestError(path, "không tách được đoạn văn bản nào")
    sink.file_started(path, len(chunks))
    try:
        embedded = index.upsert_document(document.meta, chunks, digest, sink.chunks_embedded)
    except ValueError as error:  # the index refuses chunk ids owned by another document
        raise IngestError(
            path, "chỉ mục từ chối văn bản (thường do mã đoạn trùng với một văn bản khác)"
        ) from error
    report.chunks_embedded += embedded
    if doc_id in stored:
        report.updated += 1
    else:
        report.added += 1


def _prune(
    roots: list[Path],
    failed_roots: set[Path],
    stored: Mapping[str, str],
    seen: set[str],
    index: Index,
    report: IngestReport,
) -> None:
    for root in roots:
        if root in failed_roots:
            report.prune_skipped.append(root)
            continue
        suffix = f"@{root_tag(root)}"
        for doc_id in sorted(stored):
            if stored[doc_id].endswith(suffix) and doc_id not in seen:
                index.remove_document(doc_id)
                report.removed += 1
                report.removed_ids.append(doc_id)
