"""/readyz: 200 while the database and the index answer, 503 naming the part that does not,
through the services the composition root builds (embedded index, or a real Chroma server
that is then stopped)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot import wiring
from bot.config import Settings
from bot.store.db import make_engine, session_factory
from bot.web.app import create_app
from tests.chroma_server import start_chroma
from tests.forms.conftest import World
from tests.integration.services import services
from tests.rig import free_port


def readyz(app_services: object) -> tuple[int, dict[str, object]]:
    with TestClient(create_app(app_services)) as client:  # type: ignore[arg-type]
        response = client.get("/readyz")
        return response.status_code, response.json()


@pytest.mark.slow
def test_ready_on_the_database_and_the_embedded_index(settings: Settings) -> None:
    built = wiring.build_services(settings, webhooks=True)
    built.background = False
    status, body = readyz(built)
    assert status == 200
    assert body == {
        "status": "ready",
        "failed": [],
        "parts": {"database": {"ok": True}, "index": {"ok": True}},
        "channels": {},
    }


@pytest.mark.slow
def test_unready_when_the_chroma_server_goes_away(tmp_path: Path) -> None:
    server = start_chroma(tmp_path)
    try:
        settings = Settings(data_dir=tmp_path / "data", chroma_url=server.url)
        built = wiring.build_services(settings, webhooks=True)
        built.background = False
        status, body = readyz(built)
        assert (status, body["parts"]) == (200, {"database": {"ok": True}, "index": {"ok": True}})
    finally:
        server.stop()
    status, body = readyz(built)
    assert status == 503
    assert body["status"] == "unready" and body["failed"] == ["index"]
    assert body["parts"] == {
        "database": {"ok": True},
        "index": {"ok": False, "error": "IndexUnreachable"},
    }


def test_unready_when_the_database_does_not_answer(world: World) -> None:
    closed = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    broken = dataclasses.replace(
        services(world, {}, background=False), sessions=session_factory(closed)
    )
    status, body = readyz(broken)
    assert status == 503
    assert body["failed"] == ["database"]
    assert body["parts"] == {"database": {"ok": False, "error": "OperationalError"}}
    assert "127.0.0.1" not in str(body)  # where the database is stays in the log
