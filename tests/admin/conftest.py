"""Admin commands run through the real `thidua` CLI against a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from bot.cli import app
from bot.store.db import make_engine, session_factory


class Admin:
    """Runs `thidua --data-dir … ARGS` and opens the same database for assertions."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._engine: Engine | None = None

    def run(self, *args: str | Path) -> tuple[int, str]:
        result = CliRunner().invoke(app, ["--data-dir", str(self.data_dir), *map(str, args)])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output

    def sessions(self) -> sessionmaker[Session]:
        if self._engine is None:
            self._engine = make_engine(f"sqlite:///{self.data_dir / 'thidua.db'}")
        return session_factory(self._engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Admin]:
    for name in ("THIDUA_DATABASE_URL", "THIDUA_TELEGRAM_BOT_USERNAME", "THIDUA_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    runner = Admin(tmp_path / "data")
    yield runner
    runner.close()
