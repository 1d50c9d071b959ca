"""The one exception a bad input file raises, so callers can report it and carry on."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file that cannot be ingested; ``str()`` is one Vietnamese line naming file and reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"Không nạp được tệp {self.path}: {reason}")
