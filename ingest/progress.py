"""Progress reporting: the protocol the pipeline calls and a `rich` bar for the CLI."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class IngestProgress(Protocol):
    """What `ingest_paths` reports; every method is called from the ingesting thread."""

    def start(self, total_files: int) -> None: ...

    def file_started(self, path: Path, chunks: int) -> None:
        """About to (re)index `path`, made of `chunks` chunks (unchanged ones are not embedded)."""

    def chunks_embedded(self, done: int) -> None:
        """Running count of chunks embedded so far for the current file."""

    def file_done(self, path: Path) -> None: ...


class NullProgress:
    """The default: reports nothing."""

    def start(self, total_files: int) -> None:
        pass

    def file_started(self, path: Path, chunks: int) -> None:
        pass

    def chunks_embedded(self, done: int) -> None:
        pass

    def file_done(self, path: Path) -> None:
        pass


class RichProgress:
    """Two bars, files and chunks embedded in the current file; use as a context manager."""

    def __init__(self, console: Console | None = None, *, transient: bool = False) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=transient,
        )
        self._files: TaskID | None = None
        self._chunks: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, total_files: int) -> None:
        self._files = self._progress.add_task("Tệp văn bản", total=total_files)
        self._chunks = self._progress.add_task("Mã hoá đoạn", total=None, visible=False)

    def file_started(self, path: Path, chunks: int) -> None:
        if self._chunks is not None:
            self._progress.update(
                self._chunks,
                description=f"Mã hoá {path.name}",
                total=chunks,
                completed=0,
                visible=True,
            )

    def chunks_embedded(self, done: int) -> None:
        if self._chunks is not None:
            self._progress.update(self._chunks, completed=done)

    def file_done(self, path: Path) -> None:
        if self._files is not None:
            self._progress.advance(self._files)
        if self._chunks is not None:
            self._progress.update(self._chunks, visible=False)
