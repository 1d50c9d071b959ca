"""Seen updates and the outbox on SQLite and PostgreSQL: dedupe, order, leases, blocking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Attachment, Button, Reply
from bot.store import inbox, outbox, reply_json, unreachable
from bot.store.outbox import OutboxMessage

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def queue(sessions: sessionmaker[Session], chat: str, key: str, *texts: str) -> int:
    with sessions.begin() as session:
        return outbox.enqueue(
            session,
            channel="telegram",
            chat_id=chat,
            replies=[Reply(t) for t in texts],
            key=key,
            now=T0,
        )


def test_an_update_is_processed_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert inbox.mark_processed(session, channel="telegram", update_key="tg:1", now=T0)
    with sessions.begin() as session:
        assert not inbox.mark_processed(session, channel="telegram", update_key="tg:1", now=T0)
        assert inbox.mark_processed(session, channel="zalo_bot", update_key="tg:1", now=T0)


def test_purge_keeps_recent_keys(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        inbox.mark_processed(session, channel="telegram", update_key="old", now=T0)
        inbox.mark_processed(
            session, channel="telegram", update_key="new", now=T0 + timedelta(hours=47)
        )
    with sessions.begin() as session:
        removed = inbox.purge(session, before=T0 + timedelta(hours=1))
    assert removed == (1, 0)
    with sessions.begin() as session:
        assert not inbox.mark_processed(session, channel="telegram", update_key="new", now=T0)


def test_queuing_the_same_key_twice_queues_nothing_more(sessions: sessionmaker[Session]) -> None:
    assert queue(sessions, "100", "k1", "một", "hai") == 2
    assert queue(sessions, "100", "k1", "một", "hai") == 0
    with sessions() as session:
        assert session.query(OutboxMessage).count() == 2


def test_claims_take_the_oldest_message_of_each_chat(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "100-1", "100-2")
    queue(sessions, "200", "b", "200-1")
    with sessions.begin() as session:
        first = [
            reply_json.reply_from_json(r.payload).text for r in outbox.claim_due(session, now=T0)
        ]
    assert first == ["100-1", "200-1"]
    # Leased rows are not claimed again, and the chat's next message waits for its first.
    with sessions.begin() as session:
        assert outbox.claim_due(session, now=T0 + timedelta(seconds=1)) == []
    with sessions.begin() as session:
        ids = {r.chat_id: r.id for r in session.scalars(select(OutboxMessage))}
        outbox.mark_sent(session, ids["200"], now=T0)
    with sessions.begin() as session:
        row_100 = session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == "100").order_by(OutboxMessage.id)
        ).first()
        assert row_100 is not None
        outbox.mark_sent(session, row_100.id, now=T0)
    with sessions.begin() as session:
        nxt = [
            reply_json.reply_from_json(r.payload).text for r in outbox.claim_due(session, now=T0)
        ]
    assert nxt == ["100-2"]


def test_an_expired_lease_hands_the_row_to_the_next_worker(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "xin chào")
    with sessions.begin() as session:
        [row] = outbox.claim_due(session, now=T0)
        assert row.attempts == 1
    later = T0 + outbox.LEASE + timedelta(seconds=1)
    with sessions.begin() as session:
        [again] = outbox.claim_due(session, now=later)
        assert again.attempts == 2


def test_rescheduled_rows_wait_for_their_time(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "xin chào")
    with sessions.begin() as session:
        [row] = outbox.claim_due(session, now=T0)
        outbox.reschedule(
            session, row.id, not_before=T0 + timedelta(seconds=30), error="429", parts_sent=1
        )
    with sessions.begin() as session:
        assert outbox.claim_due(session, now=T0 + timedelta(seconds=29)) == []
    with sessions.begin() as session:
        [row] = outbox.claim_due(session, now=T0 + timedelta(seconds=30))
        assert row.parts_sent == 1


def test_an_unreachable_chat_fails_its_queue(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "một", "hai")
    queue(sessions, "200", "b", "ba")
    with sessions.begin() as session:
        unreachable.mark_unreachable(
            session, channel="telegram", chat_id="100", reason="blocked", now=T0
        )
    with sessions() as session:
        statuses = {(r.chat_id, r.status) for r in session.scalars(select(OutboxMessage))}
    assert statuses == {("100", "blocked"), ("200", "pending")}


def test_replies_survive_the_round_trip_through_json(sessions: sessionmaker[Session]) -> None:
    reply = Reply(
        "Chọn danh hiệu",
        buttons=((Button("Tập thể lao động xuất sắc", "t:TTLDXS"),),),
        attachments=(Attachment("photo", "anh.jpg", "image/jpeg", data=b"\xff\xd8\x00"),),
        meta={"k": "v"},
    )
    with sessions.begin() as session:
        outbox.enqueue(session, channel="telegram", chat_id="1", replies=[reply], key="r", now=T0)
    with sessions() as session:
        [row] = session.scalars(select(OutboxMessage))
        assert reply_json.reply_from_json(row.payload) == reply


def test_two_workers_claim_disjoint_rows(engine: Engine, sessions: sessionmaker[Session]) -> None:
    for n in range(6):
        queue(sessions, str(n), f"k{n}", f"tin {n}")
    first = sessions()
    second = sessions()
    try:
        with first.begin(), second.begin():
            a = {r.id for r in outbox.claim_due(first, now=T0, limit=3)}
            first.flush()
            if engine.dialect.name == "sqlite":  # one writer at a time: the second waits
                first.commit()
            b = {r.id for r in outbox.claim_due(second, now=T0, limit=6)}
        assert a and b and not (a & b)
        assert len(a | b) == 6
    finally:
        first.close()
        second.close()


def texts_of(claimed: list[outbox.Claimed]) -> list[str]:
    return [reply_json.reply_from_json(c.payload).text for c in claimed]


def test_a_released_row_is_claimable_at_once_with_its_parts_kept(
    sessions: sessionmaker[Session],
) -> None:
    queue(sessions, "100", "a", "100-1", "100-2")
    with sessions.begin() as session:
        [row] = outbox.claim_due(session, now=T0)
        outbox.release(session, row.id, parts_sent=1)
    with sessions.begin() as session:
        [back] = outbox.claim_due(session, now=T0)
        assert (back.id, back.parts_sent, back.attempts) == (row.id, 1, 2)
        assert texts_of([back]) == ["100-1"]


def store_update(session: Session, chat: str, key: str) -> None:
    payload = {"update_id": key, "chat": chat}
    assert inbox.store(
        session, channel="telegram", update_key=key, chat_id=chat, payload=payload, now=T0
    )


def test_an_update_is_stored_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_update(session, "100", "u1")
    with sessions.begin() as session:
        payload = {"update_id": "u1"}
        assert not inbox.store(
            session, channel="telegram", update_key="u1", chat_id="100", payload=payload, now=T0
        )


def test_updates_are_claimed_oldest_first_one_per_chat(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_update(session, "100", "u1")
        store_update(session, "100", "u2")
        store_update(session, "200", "u3")
        store_update(session, "300", "u4")
    with sessions.begin() as session:
        claimed = inbox.claim(session, now=T0)
    assert [c.payload["update_id"] for c in claimed] == ["u1", "u3", "u4"]
    assert [c.attempts for c in claimed] == [1, 1, 1]
    with sessions.begin() as session:  # in work: nothing more of those chats
        assert inbox.claim(session, now=T0) == []
        inbox.mark_done(session, claimed[0].id, now=T0)
        inbox.release(
            session, claimed[1].id, retry_at=T0 + timedelta(seconds=8), now=T0, error="5xx"
        )
    with sessions.begin() as session:  # u2 is next; u3 waits for its retry time
        assert [c.payload["update_id"] for c in inbox.claim(session, now=T0)] == ["u2"]
    with sessions.begin() as session:
        [retry] = inbox.claim(session, now=T0 + timedelta(seconds=8))
        assert (retry.payload["update_id"], retry.attempts) == ("u3", 2)


def test_purge_forgets_handled_updates_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_update(session, "100", "u1")
        store_update(session, "200", "u2")
    with sessions.begin() as session:
        done, _waiting = inbox.claim(session, now=T0)
        inbox.mark_done(session, done.id, now=T0)
    with sessions.begin() as session:
        assert inbox.purge(session, before=T0 + timedelta(hours=49)) == (0, 1)
    with sessions.begin() as session:  # the update still waiting is kept however old
        [left] = inbox.claim(session, now=T0 + inbox.LEASE + timedelta(hours=49))
        assert left.payload["update_id"] == "u2"
