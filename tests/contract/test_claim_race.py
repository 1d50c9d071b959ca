"""Two senders on PostgreSQL: a claim that started before another sender claimed, sent and
marked a message must not take that message again.

A claim's statement reads the open rows in one snapshot, then locks them one by one (SKIP
LOCKED). Under READ COMMITTED, a row committed by another transaction in between is checked
again against the statement's conditions on the row itself, not against the snapshot's
"oldest open row of its chat": those conditions must say that the row is still open, or a
message already sent (its lease cleared) would be claimed and sent a second time. A cursor
that fetches one row at a time holds the statement between its snapshot and its later locks,
which makes the interleaving certain instead of a matter of timing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Reply
from bot.store import inbox, outbox
from bot.store.db import make_engine, migrate
from tests.contract.conftest import POSTGRES_URL, postgres_unreachable

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=20)


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A private, migrated schema on the PostgreSQL server (SQLite serialises claims whole)."""
    if reason := postgres_unreachable():
        pytest.skip(reason)
    schema = f"claim_race_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _streamed(session: Session, statement: object, params: dict[str, object]) -> object:
    """The claim's own SELECT, its rows locked only as they are fetched."""
    return session.execute(
        statement,  # type: ignore[call-overload]
        params,
        execution_options={"stream_results": True, "yield_per": 1},
    )


def test_a_message_sent_by_another_sender_mid_claim_is_not_claimed_again(
    pg_engine: Engine,
) -> None:
    sessions = sessionmaker(pg_engine)
    with sessions.begin() as session:
        for chat in ("1", "2"):
            outbox.enqueue(
                session, channel="telegram", chat_id=chat, replies=[Reply("x")], key=chat, now=T0
            )
    slow = sessions()
    try:
        result = _streamed(slow, outbox._DUE, {"now": T0, "limit": 100})
        first = result.fetchone()  # type: ignore[attr-defined]
        assert first is not None and first.chat_id == "1"  # locked; chat 2's row not yet
        with sessions.begin() as other:  # another sender claims, sends and marks chat 2's
            [taken] = outbox.claim_due(other, now=T0, lease=LEASE, owner="other")
            assert taken.chat_id == "2"
        with sessions.begin() as other:
            outbox.mark_sent(other, taken.id, now=T0 + timedelta(seconds=1))
        late = [row.chat_id for row in result]  # type: ignore[attr-defined]
    finally:
        slow.rollback()
        slow.close()
    assert late == []


def test_an_update_handled_by_another_worker_mid_claim_is_not_claimed_again(
    pg_engine: Engine,
) -> None:
    sessions = sessionmaker(pg_engine)
    with sessions.begin() as session:
        for chat in ("1", "2"):
            inbox.store(
                session,
                channel="telegram",
                update_key=f"u{chat}",
                chat_id=chat,
                payload={"update_id": chat},
                now=T0,
            )
    slow = sessions()
    try:
        params = {"now": T0, "limit": 100, "hold_start": T0 - inbox.HOLD}
        result = _streamed(slow, inbox._CLAIMABLE, params)
        first = result.fetchone()  # type: ignore[attr-defined]
        assert first is not None and first.chat_id == "1"
        with sessions.begin() as other:
            [taken] = inbox.claim(other, now=T0, lease=LEASE, owner="other", hold=inbox.HOLD)
            assert taken.chat_id == "2"
        with sessions.begin() as other:
            inbox.mark_done(other, taken.id, now=T0 + timedelta(seconds=1))
        late = [row.chat_id for row in result]  # type: ignore[attr-defined]
    finally:
        slow.rollback()
        slow.close()
    assert late == []
