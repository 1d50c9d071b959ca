"""The dashboard's signing key: an empty setting means "not set", never an empty key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.web import web_secret
from bot.config import Settings


def test_an_empty_web_secret_makes_and_keeps_a_random_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THIDUA_WEB_SECRET", "")
    settings = Settings(data_dir=tmp_path)
    assert settings.web_secret is None
    made = web_secret(settings)
    assert len(made) >= 40
    assert web_secret(Settings(data_dir=tmp_path)) == made  # kept in the data dir


def test_a_web_secret_set_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THIDUA_WEB_SECRET", "a-long-enough-secret-for-the-office")
    assert web_secret(Settings(data_dir=tmp_path)) == "a-long-enough-secret-for-the-office"
