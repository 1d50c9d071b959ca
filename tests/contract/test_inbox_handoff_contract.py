"""Updates stored already leased to their receiver (bot.store.delivery.store_update), and the
turn that records its update done in its own transaction (Router.handle's `handled`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.router import Router
from bot.messages import Incoming
from bot.store import delivery
from bot.store.delivery import InboxUpdate
from tests.chat import FakeQA

from .test_store_contract import NOW

LEASE = timedelta(seconds=60)


def _store(session: Session, key: str, chat: str) -> delivery.Stored | None:
    return delivery.store_update(
        session,
        channel="telegram",
        update_key=key,
        chat_id=chat,
        payload={"update_id": key},
        now=NOW,
        lease=LEASE,
    )


def test_only_a_chats_first_open_update_is_leased_to_its_receiver(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        first = _store(session, "a1", "A")
        second = _store(session, "a2", "A")  # A's first is still open: this one waits
        other = _store(session, "b1", "B")
        again = _store(session, "a1", "A")  # a redelivery is not stored twice
    assert first is not None and first.leased
    assert second is not None and not second.leased
    assert other is not None and other.leased
    assert again is None
    with sessions.begin() as session:  # leased rows are not claimable; the waiting one is
        claimed = delivery.claim_inbox(session, now=NOW)
    assert claimed == []
    with sessions.begin() as session:
        delivery.mark_received_done(session, first.id, now=NOW)
    with sessions.begin() as session:
        claimed = delivery.claim_inbox(session, now=NOW)
        later = _store(session, "a3", "A")  # A's second is open (now claimed): waits too
    assert [c.id for c in claimed] == [second.id]
    assert later is not None and not later.leased


def test_a_leased_update_left_by_a_dead_receiver_is_claimed_after_its_lease(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        stored = _store(session, "c1", "C")
    assert stored is not None and stored.leased
    with sessions.begin() as session:
        claimed = delivery.claim_inbox(session, now=NOW + LEASE + timedelta(seconds=1))
    assert [(c.id, c.attempts) for c in claimed] == [(stored.id, 2)]


def _processed(sessions: sessionmaker[Session], inbox_id: int) -> bool:
    with sessions() as session:
        row = session.get(InboxUpdate, inbox_id)
        return row is not None and row.processed_at is not None


def test_the_turn_records_its_update_done_in_its_own_transaction(
    sessions: sessionmaker[Session],
) -> None:
    router = Router(FakeQA(), sessions=sessions, now=lambda: NOW)
    with sessions.begin() as session:
        stored = _store(session, "d1", "D")
    assert stored is not None

    def done(session: Session) -> None:
        delivery.mark_received_done(session, stored.id, now=NOW)

    message = Incoming("telegram", "D", "D", text="xin chào")
    replies = router.handle(message, update_key="d1", outbox=True, handled=done)
    assert replies and _processed(sessions, stored.id)
    with sessions.begin() as session:  # as if the row were open again: a redelivered turn
        session.execute(
            InboxUpdate.__table__.update().values(processed_at=None)  # type: ignore[attr-defined]
        )
    assert router.handle(message, update_key="d1", outbox=True, handled=done) == []
    assert _processed(sessions, stored.id)  # the duplicate is recorded done, not left open
    with sessions() as session:
        queued = session.scalars(select(delivery.OutboxMessage.id)).all()
    assert len(queued) == len(replies)  # and its replies were queued once


def test_a_failing_turn_still_records_its_update_done(sessions: sessionmaker[Session]) -> None:
    class Broken(FakeQA):
        def ask(self, message: Incoming, *, session: object = None) -> object:  # type: ignore[override]
            raise RuntimeError("boom")

    router = Router(Broken(), sessions=sessions, now=lambda: NOW)
    with sessions.begin() as session:
        stored = _store(session, "e1", "E")
    assert stored is not None

    def done(session: Session) -> None:
        delivery.mark_received_done(session, stored.id, now=NOW)

    replies = router.handle(
        Incoming("telegram", "E", "E", text="câu hỏi"), update_key="e1", outbox=True, handled=done
    )
    assert replies and replies[0].meta.get("error") == "1"  # told, in Vietnamese
    assert _processed(sessions, stored.id)
