"""The dashboard's pages read from a snapshot and hold no writer's lock (bot.web.deps): the
loops, which write the same SQLite file on the event loop's own thread, never wait on a page,
and a page never waits on them."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import event, text

from bot.store.db import run_db
from bot.web.app import create_app
from tests.forms.conftest import World
from tests.integration.services import services
from tests.web.conftest import dashboard_for, sign_in


def _pages(world: World) -> list[str]:
    return [
        "/web/movements",
        "/web/review",
        "/web/org",
        "/web/questions",
        "/web/questions/answers",
        "/web/audit",
        "/web/exports",
        "/web/nominations",
        f"/web/units/{world.units['SNV']}",
    ]


def test_pages_load_while_another_connection_holds_the_write_lock(
    app_client: TestClient, world: World
) -> None:
    """A page that wanted SQLite's write lock would wait here until the busy timeout and fail
    with "database is locked"."""
    sign_in(app_client, world, "office")
    with world.engine.connect() as loop_side:
        loop_side.begin()  # BEGIN IMMEDIATE: this connection holds the write lock
        loop_side.execute(text("UPDATE units SET name = name"))
        for path in _pages(world):
            page = app_client.get(path)
            assert page.status_code == 200, (path, page.text)
        loop_side.rollback()


def test_a_page_begins_only_a_read_transaction(app_client: TestClient, world: World) -> None:
    sign_in(app_client, world, "office")
    begun: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.upper().startswith("BEGIN"):
            begun.append(statement.upper())

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        for path in _pages(world):
            assert app_client.get(path).status_code == 200, path
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)
    assert begun and set(begun) == {"BEGIN DEFERRED"}


async def test_with_the_dashboard_mounted_the_loops_work_on_the_loops_thread(
    world: World,
) -> None:
    """As `thidua serve` builds it: the dashboard's threads do not send the loops' database
    work to a thread of its own (a hop per call, which cost a quarter of the CPU per update)."""
    create_app(services(world, {}, background=False), dashboard_for(world))
    assert await run_db(world.sessions, threading.get_ident) == threading.get_ident()
