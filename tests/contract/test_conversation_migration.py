"""Migration 0011 on both backends: a conversation per chat and person, existing rows kept.

A private chat's row goes to the chat's own account; a group chat's to the account of the
person who wrote last; a row with nobody linked keeps the chat's id. Afterwards one group chat
holds a row per person; downgrading keeps one row per chat.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.store.db import MIGRATIONS_DIR, make_engine

from .conftest import POSTGRES_URL, postgres_unreachable

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _to(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind, migrated by the test itself."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    if reason := postgres_unreachable():
        pytest.skip(reason)
    schema = f"migration_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(
        make_url(POSTGRES_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _conversation(
    chat_id: str, person_id: int | None, channel: str = "telegram"
) -> dict[str, object]:
    return {
        "channel": channel,
        "chat_id": chat_id,
        "person_id": person_id,
        "flow": "registration",
        "step": "summary",
        "draft": "{}",
        "version": 1,
        "updated_at": NOW,
    }


INSERT = text(
    "INSERT INTO conversations (channel, chat_id, person_id, flow, step, draft, version, "
    "updated_at) VALUES (:channel, :chat_id, :person_id, :flow, :step, :draft, :version, "
    ":updated_at)"
)


def test_rows_get_their_person_and_a_group_then_holds_one_per_person(empty: Engine) -> None:
    _to(empty, "0007")
    with empty.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO people (id, full_name, phone, position) "
                "VALUES (1, 'Trần Thị Mai', '', '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO channel_identities (channel, external_id, person_id, linked_at) "
                "VALUES ('telegram', '501', 1, :at)"
            ),
            {"at": NOW},
        )
        for row in (
            _conversation("501", 1),  # her private chat
            _conversation("-100777", 1),  # a group where she wrote last
            _conversation("zb-9", None, channel="zalo_bot"),  # nobody linked
        ):
            connection.execute(INSERT, row)
    _to(empty, "0009")
    with empty.begin() as connection:
        found = connection.execute(
            text("SELECT channel, chat_id, user_id FROM conversations ORDER BY id")
        ).all()
        assert [tuple(r) for r in found] == [
            ("telegram", "501", "501"),
            ("telegram", "-100777", "501"),
            ("zalo_bot", "zb-9", "zb-9"),
        ]
        insert = text(
            "INSERT INTO conversations (channel, chat_id, user_id, flow, step, draft, version, "
            "updated_at) VALUES ('telegram', '-100777', :user, '', '', '{}', 1, :at)"
        )
        connection.execute(insert, {"user": "502", "at": NOW})  # a second person, same group
    with pytest.raises(IntegrityError), empty.begin() as connection:
        connection.execute(insert, {"user": "502", "at": NOW})

    _to(empty, "-1", down=True)
    with empty.begin() as connection:
        chats = connection.execute(text("SELECT chat_id FROM conversations ORDER BY id")).all()
    assert sorted(r[0] for r in chats) == ["-100777", "501", "zb-9"]
