"""Statements run on the driver give what SQLAlchemy gives, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.delivery import OutboxMessage
from bot.store.driver import DriverStatement, session_connection
from bot.store.models import UTCDateTime

T = OutboxMessage.__table__
WHEN = datetime(2026, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=7)))  # Hà Tĩnh time


def _insert(_dialect: str) -> object:
    return (
        insert(T)
        .values(
            channel="telegram",  # fixed in the statement, not passed by the caller
            chat_id=bindparam("chat_id"),
            idempotency_key=bindparam("key"),
            payload=bindparam("payload", type_=T.c.payload.type),
            status="pending",
            attempts=0,
            parts_sent=0,
            not_before=bindparam("when", type_=UTCDateTime()),
            created_at=bindparam("when", type_=UTCDateTime()),
            last_error="",
        )
        .returning(T.c.id, T.c.payload, T.c.not_before)
    )


INSERT = DriverStatement(_insert)
BY_CHAT = DriverStatement(
    lambda _d: (
        select(T.c.id, T.c.channel, T.c.payload, T.c.created_at.label("at"))
        .where(T.c.chat_id == bindparam("chat_id"))
        .order_by(T.c.id)
    )
)
FAIL = DriverStatement(
    lambda _d: update(T).where(T.c.chat_id == bindparam("chat_id")).values(status="failed")
)
PAYLOAD = {"text": "Đăng ký thi đua", "buttons": [[{"label": "Xác nhận", "payload": "/ok"}]]}


def test_values_go_in_and_come_out_as_sqlalchemy_converts_them(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        row = INSERT.run(
            session.connection(), {"chat_id": "42", "key": "k1", "payload": PAYLOAD, "when": WHEN}
        ).first()
        assert row.payload == PAYLOAD
        assert row.not_before == WHEN and row.not_before.tzinfo == UTC
    with sessions.begin() as session:
        [ours] = BY_CHAT.run(session.connection(), {"chat_id": "42"}).rows
        theirs = (
            session.connection()
            .execute(select(T.c.id, T.c.channel, T.c.payload, T.c.created_at.label("at")))
            .one()
        )
        assert tuple(ours) == tuple(theirs)
        assert (ours.channel, ours.at) == ("telegram", WHEN)
        stored = session.get(OutboxMessage, row.id)
        assert stored is not None and (stored.status, stored.attempts) == ("pending", 0)


def test_rowcount_and_the_sessions_transaction(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        INSERT.run(session.connection(), {"chat_id": "7", "key": "a", "payload": {}, "when": WHEN})
        INSERT.run(session.connection(), {"chat_id": "7", "key": "b", "payload": {}, "when": WHEN})
    session = sessions()
    with session.begin():
        assert FAIL.run(session.connection(), {"chat_id": "7"}).rowcount == 2
        assert FAIL.run(session.connection(), {"chat_id": "8"}).rowcount == 0
        session.rollback()  # the driver's writes were the session's: they roll back with it
    with sessions() as session:
        statuses = session.scalars(select(T.c.status).where(T.c.chat_id == "7")).all()
    assert statuses == ["pending", "pending"]


def test_driver_errors_are_sqlalchemy_errors(sessions: sessionmaker[Session]) -> None:
    params = {"chat_id": "9", "key": "same", "payload": {}, "when": WHEN}
    with sessions.begin() as session:
        INSERT.run(session.connection(), params)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        INSERT.run(session.connection(), params)


def test_expanding_parameters_are_refused(sessions: sessionmaker[Session]) -> None:
    statement = DriverStatement(
        lambda _d: select(T.c.id).where(T.c.id.in_(bindparam("ids", expanding=True)))
    )
    with pytest.raises(ValueError, match="expanding"), sessions.begin() as session:
        statement.run(session.connection(), {"ids": [1]})


def test_one_statement_for_many_parameter_sets(sessions: sessionmaker[Session]) -> None:
    by_key = DriverStatement(
        lambda _d: (
            update(T)
            .where(T.c.idempotency_key == bindparam("key"))
            .values(status="sent", sent_at=bindparam("at", type_=UTCDateTime()))
        )
    )
    with sessions.begin() as session:
        for key in ("a", "b", "c"):
            INSERT.run(
                session.connection(), {"chat_id": "5", "key": key, "payload": {}, "when": WHEN}
            )
        rows = [{"key": "a", "at": WHEN}, {"key": "c", "at": WHEN}, {"key": "zz", "at": WHEN}]
        assert by_key.run_many(session.connection(), rows) == 2
        assert by_key.run_many(session.connection(), []) == 0
    with sessions() as session:
        found = session.execute(select(T.c.idempotency_key, T.c.status, T.c.sent_at)).all()
    assert sorted(found) == [("a", "sent", WHEN), ("b", "pending", None), ("c", "sent", WHEN)]


def test_the_kept_connection_follows_savepoints(sessions: sessionmaker[Session]) -> None:
    """`session_connection` keeps the connection per transaction and savepoint: a statement
    run through it inside a savepoint rolls back with that savepoint (the SAVEPOINT is only
    emitted when the savepoint first asks the session for its connection)."""
    with sessions.begin() as session:
        INSERT.run(
            session_connection(session),
            {"chat_id": "a", "key": "k-a", "when": WHEN, "payload": PAYLOAD},
        )
        undone = session.begin_nested()
        INSERT.run(
            session_connection(session),
            {"chat_id": "b", "key": "k-b", "when": WHEN, "payload": PAYLOAD},
        )
        undone.rollback()
        kept = session.begin_nested()
        INSERT.run(
            session_connection(session),
            {"chat_id": "c", "key": "k-c", "when": WHEN, "payload": PAYLOAD},
        )
        kept.commit()
        INSERT.run(
            session_connection(session),
            {"chat_id": "d", "key": "k-d", "when": WHEN, "payload": PAYLOAD},
        )
    with sessions() as session:
        chats = session.scalars(select(T.c.chat_id).order_by(T.c.chat_id)).all()
    assert chats == ["a", "c", "d"]
