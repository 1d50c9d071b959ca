"""Seen updates and the outbox on SQLite and PostgreSQL: dedupe, order, leases, blocking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.messages import Attachment, Button, Reply
from bot.store import delivery
from bot.store.delivery import OutboxMessage

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def queue(sessions: sessionmaker[Session], chat: str, key: str, *texts: str) -> int:
    with sessions.begin() as session:
        return delivery.enqueue(
            session,
            channel="telegram",
            chat_id=chat,
            replies=[Reply(t) for t in texts],
            key=key,
            now=T0,
        )


def test_an_update_is_processed_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert delivery.mark_processed(session, channel="telegram", update_key="tg:1", now=T0)
    with sessions.begin() as session:
        assert not delivery.mark_processed(session, channel="telegram", update_key="tg:1", now=T0)
        assert delivery.mark_processed(session, channel="zalo_bot", update_key="tg:1", now=T0)


def test_purge_keeps_recent_keys(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        delivery.mark_processed(session, channel="telegram", update_key="old", now=T0)
        delivery.mark_processed(
            session, channel="telegram", update_key="new", now=T0 + timedelta(hours=47)
        )
    with sessions.begin() as session:
        removed = delivery.purge_processed(session, older_than=T0 + timedelta(hours=1))
    assert removed == 1
    with sessions.begin() as session:
        assert not delivery.mark_processed(session, channel="telegram", update_key="new", now=T0)


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
            delivery.reply_from_json(r.payload).text for r in delivery.claim_due(session, now=T0)
        ]
    assert first == ["100-1", "200-1"]
    # Leased rows are not claimed again, and the chat's next message waits for its first.
    with sessions.begin() as session:
        assert delivery.claim_due(session, now=T0 + timedelta(seconds=1)) == []
    with sessions.begin() as session:
        ids = {r.chat_id: r.id for r in session.scalars(select(OutboxMessage))}
        delivery.mark_sent(session, ids["200"], now=T0)
    with sessions.begin() as session:
        row_100 = session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == "100").order_by(OutboxMessage.id)
        ).first()
        assert row_100 is not None
        delivery.mark_sent(session, row_100.id, now=T0)
    with sessions.begin() as session:
        nxt = [
            delivery.reply_from_json(r.payload).text for r in delivery.claim_due(session, now=T0)
        ]
    assert nxt == ["100-2"]


def test_an_expired_lease_hands_the_row_to_the_next_worker(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "xin chào")
    with sessions.begin() as session:
        [row] = delivery.claim_due(session, now=T0)
        assert row.attempts == 1
    later = T0 + delivery.LEASE + timedelta(seconds=1)
    with sessions.begin() as session:
        [again] = delivery.claim_due(session, now=later)
        assert again.attempts == 2


def test_rescheduled_rows_wait_for_their_time(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "xin chào")
    with sessions.begin() as session:
        [row] = delivery.claim_due(session, now=T0)
        delivery.reschedule(
            session, row.id, not_before=T0 + timedelta(seconds=30), error="429", parts_sent=1
        )
    with sessions.begin() as session:
        assert delivery.claim_due(session, now=T0 + timedelta(seconds=29)) == []
    with sessions.begin() as session:
        [row] = delivery.claim_due(session, now=T0 + timedelta(seconds=30))
        assert row.parts_sent == 1


def test_an_unreachable_chat_fails_its_queue(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "một", "hai")
    queue(sessions, "200", "b", "ba")
    with sessions.begin() as session:
        delivery.mark_unreachable(
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
        delivery.enqueue(session, channel="telegram", chat_id="1", replies=[reply], key="r", now=T0)
    with sessions() as session:
        [row] = session.scalars(select(OutboxMessage))
        assert delivery.reply_from_json(row.payload) == reply


def test_two_workers_claim_disjoint_rows(engine: Engine, sessions: sessionmaker[Session]) -> None:
    for n in range(6):
        queue(sessions, str(n), f"k{n}", f"tin {n}")
    first = sessions()
    second = sessions()
    try:
        with first.begin(), second.begin():
            a = {r.id for r in delivery.claim_due(first, now=T0, limit=3)}
            first.flush()
            if engine.dialect.name == "sqlite":  # one writer at a time: the second waits
                first.commit()
            b = {r.id for r in delivery.claim_due(second, now=T0, limit=6)}
        assert a and b and not (a & b)
        assert len(a | b) == 6
    finally:
        first.close()
        second.close()


def texts_of(claimed: list[delivery.Claimed]) -> list[str]:
    return [delivery.reply_from_json(c.payload).text for c in claimed]


def test_a_chats_head_is_claimed_by_chat_as_by_claim_due(sessions: sessionmaker[Session]) -> None:
    """`claim_outbox_heads` takes only the named chats' oldest open rows, when due and free."""
    queue(sessions, "100", "a", "100-1", "100-2")
    queue(sessions, "200", "b", "200-1")
    queue(sessions, "300", "c", "300-1")
    chats = [("telegram", "100"), ("telegram", "200"), ("telegram", "100"), ("zalo_bot", "300")]
    with sessions.begin() as session:
        claimed = delivery.claim_outbox_heads(session, chats, now=T0)
    assert texts_of(claimed) == ["100-1", "200-1"]  # each chat once; 300 is not on zalo_bot
    assert [c.attempts for c in claimed] == [1, 1]
    with sessions.begin() as session:  # leased: neither claim takes them, nor what follows
        assert delivery.claim_outbox_heads(session, chats, now=T0) == []
        assert texts_of(delivery.claim_due(session, now=T0)) == ["300-1"]
        delivery.mark_sent(session, claimed[0].id, now=T0)
    with sessions.begin() as session:
        assert texts_of(delivery.claim_outbox_heads(session, chats, now=T0)) == ["100-2"]


def test_a_chats_head_waits_for_its_time_and_its_lease(sessions: sessionmaker[Session]) -> None:
    queue(sessions, "100", "a", "100-1", "100-2")
    chat = [("telegram", "100")]
    with sessions.begin() as session:
        [row] = delivery.claim_outbox_heads(session, chat, now=T0)
        delivery.reschedule(
            session, row.id, not_before=T0 + timedelta(seconds=30), error="5xx", parts_sent=0
        )
    with sessions.begin() as session:  # not due: the chat's later row waits behind it
        assert delivery.claim_outbox_heads(session, chat, now=T0 + timedelta(seconds=29)) == []
    with sessions.begin() as session:
        [row] = delivery.claim_outbox_heads(session, chat, now=T0 + timedelta(seconds=30))
        assert row.attempts == 2
    later = T0 + timedelta(seconds=30) + delivery.LEASE + timedelta(seconds=1)
    with sessions.begin() as session:  # its sender died: the lease ran out
        [again] = delivery.claim_outbox_heads(session, chat, now=later)
        assert (again.id, again.attempts) == (row.id, 3)
        delivery.release(session, again.id, parts_sent=1)
    with sessions.begin() as session:  # given back: claimable at once, parts kept
        [back] = delivery.claim_due(session, now=later)
        assert (back.id, back.parts_sent) == (row.id, 1)


def store_update(session: Session, chat: str, key: str) -> None:
    payload = {"update_id": key, "chat": chat}
    assert delivery.receive(
        session, channel="telegram", update_key=key, chat_id=chat, payload=payload, now=T0
    )


def test_a_chats_next_update_is_claimed_by_chat(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        store_update(session, "100", "u1")
        store_update(session, "100", "u2")
        store_update(session, "200", "u3")
        store_update(session, "300", "u4")
    chats = [("telegram", "100"), ("telegram", "200"), ("zalo_bot", "300")]
    with sessions.begin() as session:
        claimed = delivery.claim_inbox_heads(session, chats, now=T0)
    assert [c.payload["update_id"] for c in claimed] == ["u1", "u3"]
    assert [c.attempts for c in claimed] == [1, 1]
    with sessions.begin() as session:  # in work: nothing more of those chats
        assert delivery.claim_inbox_heads(session, chats, now=T0) == []
        assert [c.payload["update_id"] for c in delivery.claim_inbox(session, now=T0)] == ["u4"]
        delivery.mark_received_done(session, claimed[0].id, now=T0)
        delivery.release_inbox(session, claimed[1].id, retry_at=T0 + timedelta(seconds=8))
    with sessions.begin() as session:  # u2 is next; u3 waits for its retry time
        assert [
            c.payload["update_id"] for c in delivery.claim_inbox_heads(session, chats, now=T0)
        ] == ["u2"]
    with sessions.begin() as session:
        [retry] = delivery.claim_inbox_heads(session, chats, now=T0 + timedelta(seconds=8))
        assert (retry.payload["update_id"], retry.attempts) == ("u3", 2)
