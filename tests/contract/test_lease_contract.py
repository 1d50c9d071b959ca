"""Leases with owners and heartbeats, taken back at a lone restart; updates set aside after the
hold; dead letters. On SQLite and PostgreSQL, with an injected `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Reply
from bot.store import inbox, outbox
from bot.store.inbox import InboxUpdate

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=20)
HOLD = timedelta(seconds=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def store(sessions: sessionmaker[Session], chat: str, *keys: str) -> None:
    with sessions.begin() as session:
        for key in keys:
            payload = {"update_id": key}
            inbox.store(
                session, channel="telegram", update_key=key, chat_id=chat, payload=payload, now=T0
            )


def claim(sessions: sessionmaker[Session], now: datetime, owner: str) -> list[inbox.ClaimedUpdate]:
    with sessions.begin() as session:
        return inbox.claim(session, now=now, lease=LEASE, owner=owner, hold=HOLD)


def keys(claimed: list[inbox.ClaimedUpdate]) -> list[str]:
    return [c.update_key for c in claimed]


def test_a_live_owner_keeps_its_update_past_the_lease_and_a_dead_one_loses_it_after(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, "100", "u1")
    store(sessions, "200", "u2")
    u1, _u2 = claim(sessions, T0, "a")
    with sessions.begin() as session:  # a's heartbeat, a quarter lease apart, for u1 only
        for beat in (5, 10, 15, 20, 25):  # (u2 it gave up on without releasing it)
            assert inbox.renew(session, owner="a", ids=[u1.id], now=at(beat), lease=LEASE) == 1
            assert inbox.renew(session, owner="b", ids=[u1.id], now=at(beat), lease=LEASE) == 0
    assert keys(claim(sessions, at(40), "b")) == ["u2"]  # u1 is past its first lease: a lives
    [taken] = claim(sessions, at(45), "b")  # a stopped beating at 25: free at 45
    assert (taken.update_key, taken.attempts) == ("u1", 2)
    with sessions.begin() as session:
        row = session.get(InboxUpdate, taken.id)
        assert row is not None and row.lease_owner == "b"


def test_a_lone_restart_takes_back_the_leases_of_the_dead_run_at_once(
    sessions: sessionmaker[Session],
) -> None:
    """The process that died held u1 and a message; a retry time is not a lease: u2's stays."""
    store(sessions, "100", "u1")
    store(sessions, "200", "u2")
    with sessions.begin() as session:
        outbox.enqueue(
            session, channel="telegram", chat_id="100", replies=[Reply("x")], key="k", now=T0
        )
    _u1, u2 = claim(sessions, T0, "dead")
    with sessions.begin() as session:
        inbox.release(session, u2.id, retry_at=at(30), now=T0, error="5xx")
        [sending] = outbox.claim_due(session, now=T0, lease=LEASE, owner="dead")
    assert claim(sessions, at(1), "new") == []  # the dead run's lease runs for 19 s more
    with sessions.begin() as session:
        assert inbox.reclaim(session, now=at(1)) == 1
        assert outbox.reclaim(session, now=at(1)) == 1
    assert keys(claim(sessions, at(1), "new")) == ["u1"]  # u2 waits for its retry time
    with sessions.begin() as session:
        [again] = outbox.claim_due(session, now=at(1), lease=LEASE, owner="new")
    assert (again.id, again.attempts) == (sending.id, 2)


def test_a_failing_update_holds_its_chat_for_the_hold_then_is_tried_between_the_others(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, "100", "u1", "u2", "u3")
    [u1] = claim(sessions, T0, "w")
    with sessions.begin() as session:  # fails; next try at 70 s
        inbox.release(session, u1.id, retry_at=at(70), now=T0, error="getFile: 502")
    assert claim(sessions, at(60), "w") == []  # held: still within the hold
    [u2] = claim(sessions, at(61), "w")  # the hold is over: the chat goes on
    assert u2.update_key == "u2"
    assert claim(sessions, at(70), "w") == []  # u1 is due, but u2 is in flight
    with sessions.begin() as session:
        inbox.mark_done(session, u2.id, now=at(70))
    [again] = claim(sessions, at(70), "w")  # one at a time: u1's try comes before u3
    assert (again.update_key, again.attempts, again.failing_since) == ("u1", 2, T0)
    with sessions.begin() as session:
        inbox.release(session, again.id, retry_at=at(200), now=at(70), error="getFile: 502")
        row = session.get(InboxUpdate, again.id)
        assert row is not None and (row.failing_since, row.last_error) == (T0, "getFile: 502")
    assert keys(claim(sessions, at(71), "w")) == ["u3"]


def test_a_dead_letter_closes_the_update_keeps_its_reason_and_survives_the_purge(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, "100", "u1", "u2")
    [u1] = claim(sessions, T0, "w")
    with sessions.begin() as session:
        inbox.mark_dead(session, u1.id, now=T0, reason="BadRequest: invalid file_id")
    [u2] = claim(sessions, T0, "w")
    assert u2.update_key == "u2"
    with sessions.begin() as session:
        inbox.mark_done(session, u2.id, now=T0)
        assert inbox.purge(session, before=T0 + timedelta(hours=49)) == (0, 1)
    with sessions.begin() as session:
        [dead] = inbox.dead_letters(session)
        assert (dead.update_key, dead.last_error) == ("u1", "BadRequest: invalid file_id")
        assert dead.processed_at is not None and dead.lease_owner is None
        assert session.scalars(select(InboxUpdate.update_key)).all() == ["u1"]
