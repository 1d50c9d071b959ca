"""THIDUA_CHROMA_URL: empty keeps the embedded index; an http(s) address names a server; a
malformed one stops every command with one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings


def test_empty_is_embedded_and_an_address_is_kept_without_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir("/")  # no .env of a developer's
    monkeypatch.delenv("THIDUA_CHROMA_URL", raising=False)
    assert Settings(_env_file=None).chroma_url == ""  # type: ignore[call-arg]
    assert Settings(chroma_url=" https://chroma.example.vn/ ").chroma_url == (
        "https://chroma.example.vn"
    )


@pytest.mark.parametrize(
    "url", ["chroma:8000", "ftp://chroma:8000", "http://", "http://chroma:8000/api/v2"]
)
def test_a_malformed_address_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="http://máy:cổng"):
        Settings(chroma_url=url)


def test_a_command_with_a_malformed_address_says_which_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_CHROMA_URL", "chroma:8000")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "ask", "xin chào"])
    assert result.exit_code == 2
    assert "THIDUA_CHROMA_URL" in result.stderr and "http://máy:cổng" in result.stderr
