"""Where the log goes and how it looks: one handler on stderr, plain lines or JSON lines.

JSON lines come from python-json-logger, which handles what a hand-written formatter would get
wrong: the extra fields of a record, values JSON does not know, tracebacks. Whatever the
format, the handler takes every known secret out of each formatted line (the message, the
extra fields and the traceback alike), behind the filters bot.channels.common puts on the HTTP
stack's loggers.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.channels.common import known_secrets, redact

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("levelname", "name", "message")
_RENAMED = {"levelname": "level", "name": "logger"}


class Redacting(logging.Formatter):
    """Formats with `inner`, then removes every secret from the text."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), known_secrets())


def formatter(kind: str) -> logging.Formatter:
    """'json': one object per line with time (ISO 8601, UTC), level, logger, message and the
    record's extra fields; anything else: plain text lines."""
    if kind == "json":
        return Redacting(
            JsonFormatter(
                list(JSON_FIELDS),
                rename_fields=_RENAMED,
                timestamp="time",
                json_ensure_ascii=False,
            )
        )
    return Redacting(logging.Formatter(PLAIN))


def configure(level: str, kind: str, stream: TextIO | None = None, *, force: bool = False) -> None:
    """Sends the root logger to `stream` (stderr) at `level`, formatted as `kind`, replacing
    what a previous call installed. Like `logging.basicConfig`, it leaves alone a root logger
    that someone else already equipped (a test runner's capture), unless `force`."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "thidua", False)]
    if len(ours) < len(root.handlers) and not force:
        return
    for old in ours:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.thidua = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
