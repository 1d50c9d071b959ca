"""Report attachments on disk, named by their SHA-256: `<root>/<sha[:2]>/<sha>`.

Content addressing stores a photo sent twice (or by two units) once, and makes a write
idempotent: a file is written to a temporary name and renamed into place, so a reader never
sees half a file and a crash leaves at most a stray temporary file. Files are never deleted
here: old report versions in the audit log still point at them.

The directory is passed in by the composition root; the core never reads Settings.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    created: bool  # False when the same content was already stored


MAX_FILE_BYTES = 10 * 1024 * 1024  # a phone photo or a scanned page; larger goes by email
MAX_FILES = 10  # per report


class FileStore:
    """Where attachment bytes go; the limits travel with it so a deployment can change them."""

    def __init__(
        self, root: Path, *, max_bytes: int = MAX_FILE_BYTES, max_files: int = MAX_FILES
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_files = max_files

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> StoredFile:
        """Store `data` once under its hash; a second put of the same bytes writes nothing."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.exists():
            return StoredFile(sha, len(data), created=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredFile(sha, len(data), created=True)

    def read(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
