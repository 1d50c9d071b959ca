"""The records on every backend: SQLite (a temporary file) and PostgreSQL (the real server).

PostgreSQL runs at 127.0.0.1:5432 (trust auth, database `test`) here and in CI; override with
THIDUA_TEST_POSTGRES_URL. Each test run gets its own schema, dropped at the end, so runs never
see each other's rows. The PostgreSQL cases are skipped only when the server cannot be reached.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.store.db import make_engine, migrate, session_factory
from bot.store.schema import METADATA

POSTGRES_URL = os.environ.get(
    "THIDUA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@functools.cache
def postgres_unreachable() -> str:
    """Why PostgreSQL cannot be used ('' when it can)."""
    import psycopg

    url = make_url(POSTGRES_URL).set(drivername="postgresql")
    try:
        psycopg.connect(url.render_as_string(hide_password=False), connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {url.render_as_string()}: {error}".strip()
    return ""


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A freshly migrated database of each kind, shared by the tests of one run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("contract") / "records.db"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    if reason := postgres_unreachable():
        pytest.skip(reason)
    schema = f"contract_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(
        make_url(POSTGRES_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(backend: Engine) -> Iterator[Engine]:
    """The backend, emptied after each test so tests do not depend on one another."""
    yield backend
    with backend.begin() as connection:
        for table in reversed(METADATA.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
