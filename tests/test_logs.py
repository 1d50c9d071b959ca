"""Log lines, plain or JSON (THIDUA_LOG_FORMAT): one object per line with time, level, logger,
message and the extra fields, and no secret in either format, wherever it hides."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.channels.common import protect_logs
from bot.cli import logs
from bot.config import Settings

TOKEN = "7012345678:AAH-logs-SECRET-token"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_the_format_is_a_setting_plain_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("THIDUA_LOG_FORMAT", raising=False)
    assert Settings().log_format == "plain"
    monkeypatch.setenv("THIDUA_LOG_FORMAT", "json")
    assert Settings().log_format == "json"
    monkeypatch.setenv("THIDUA_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        Settings()


def test_json_lines_carry_time_level_logger_message_and_extras(stream: io.StringIO) -> None:
    logs.configure("INFO", "json", stream, force=True)
    logging.getLogger("bot.delivery.worker").warning(
        "update %s deferred", 42, extra={"channel": "telegram", "attempt": 2}
    )
    logging.getLogger("bot.test").debug("below the level")
    try:
        raise RuntimeError("hỏng")
    except RuntimeError:
        logging.getLogger("bot.test").exception("Lỗi khi gửi")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING"
    assert first["logger"] == "bot.delivery.worker"
    assert first["message"] == "update 42 deferred"
    assert (first["channel"], first["attempt"]) == ("telegram", 2)
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert second["message"] == "Lỗi khi gửi"  # Vietnamese kept readable
    assert "RuntimeError: hỏng" in second["exc_info"]


@pytest.mark.parametrize("kind", ["plain", "json"])
def test_no_secret_reaches_either_format(stream: io.StringIO, kind: str) -> None:
    """In the message, in an extra field and in a traceback, from any logger."""
    protect_logs(TOKEN)
    logs.configure("DEBUG", kind, stream, force=True)
    log = logging.getLogger("bot.anything")
    log.info("calling https://api.telegram.org/bot%s/sendMessage", TOKEN)
    log.info("request", extra={"url": f"https://api.telegram.org/bot{TOKEN}/getMe"})
    try:
        raise ConnectionError(f"bot{TOKEN.lower()} unreachable")
    except ConnectionError:
        log.exception("send failed")
    text = stream.getvalue()
    assert TOKEN.lower() not in text.lower()
    assert text.count("<redacted>") == (3 if kind == "json" else 2)  # plain shows no extras
    if kind == "json":
        assert all(json.loads(line) for line in text.splitlines())


def test_a_root_logger_set_up_by_someone_else_is_left_alone(stream: io.StringIO) -> None:
    """As logging.basicConfig: a test runner's capture (or an embedding app) keeps its own."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    theirs = logging.StreamHandler(io.StringIO())
    root.addHandler(theirs)
    logs.configure("INFO", "json", stream)
    assert root.handlers == [theirs]


def test_configuring_again_replaces_the_handler(stream: io.StringIO) -> None:
    logs.configure("INFO", "plain", stream, force=True)
    logs.configure("INFO", "json", stream, force=True)
    logging.getLogger("bot.test").info("một lần")
    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "một lần"
