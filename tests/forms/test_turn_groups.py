"""Several chats' turns in one transaction (`Router.handle_group`): each stands alone.

The inbox worker runs a claim's turns this way on SQLite. The turns run side by side without
savepoints; when one fails or conflicts the group runs again with a savepoint per turn, so that
turn rolls back and answers as it would alone while the others commit; a redelivered group
changes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.i18n import vi
from bot.messages import Incoming
from bot.store import lookups, registrations
from bot.store.conversations import Conflict, ConversationState
from bot.store.delivery import OutboxMessage, ProcessedUpdate
from bot.store.models import Conversation
from tests.forms.conftest import World
from tests.forms.test_registration import fill_to_summary, registration


def count(world: World, model: type) -> int:
    with world.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def officer_conflicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the officer's conversation was always saved by someone else first."""
    save = registrations.save_conversation

    def conflicted(session: object, state: ConversationState, now: object) -> None:
        if state.chat_id == "officer":
            raise Conflict(state.version + 1, "", None)
        save(session, state, now)  # type: ignore[arg-type]

    monkeypatch.setattr(registrations, "save_conversation", conflicted)  # the router reads it there


def flow_of(world: World, chat_id: str) -> str | None:
    with world.sessions() as session:
        return session.scalar(select(Conversation.flow).where(Conversation.chat_id == chat_id))


def test_a_failing_and_a_conflicting_turn_leave_the_others_committed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = world.chat("head")
    fill_to_summary(head)
    submit = head.button("Xác nhận và nộp")
    router = world.router()
    queued = count(world, OutboxMessage)

    def boom(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(registrations, "_replace_targets", boom)
    officer_conflicts(monkeypatch)
    group = [
        (Incoming("console", "head", "head", payload=submit.payload), "g:1"),
        (Incoming("console", "head2", "head2", text="/dangky"), "g:2"),
        (Incoming("console", "officer", "officer", text="/dangky"), "g:3"),
    ]
    failed, started, busy = router.handle_group(group)

    assert [r.text for r in failed] == [vi.INTERNAL_ERROR]
    assert registration(world) is None  # nothing of the failed turn was written
    assert [r.text for r in busy] == [vi.BUSY]
    assert flow_of(world, "officer") is None  # the conflicting turn's change rolled back
    assert started and flow_of(world, "head2") == "registration"  # committed with the group
    assert count(world, ProcessedUpdate) == 3  # every update answered once, errors included
    assert count(world, OutboxMessage) == queued + len(failed) + len(started) + len(busy)

    monkeypatch.undo()
    assert router.handle_group(group) == [[], [], []]  # redelivered: nothing runs again
    assert count(world, OutboxMessage) == queued + len(failed) + len(started) + len(busy)
    head.press("Xác nhận và nộp")  # the failed turn's draft survived
    reg = registration(world)
    assert reg is not None and reg.version == 1


def test_a_transactions_turns_read_the_movement_once_and_the_next_transaction_reads_it_again(
    world: World,
) -> None:
    """Each turn of a group starts from the rows (the router lets go of what the last turn
    read), but the movement, which the forms never write, is read once per transaction."""
    from sqlalchemy import event

    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        reads.extend(t for t in ("movements", "report_periods") if f"FROM {t}" in statement)

    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        with world.sessions.begin() as session:
            first = lookups.movement(session, world.movement_id)
            session.expunge_all()  # as Router._grouped does between turns
            again = lookups.movement(session, world.movement_id)
            assert again is first and again in session
            assert reads == ["movements"]
            assert again is not None and again.periods  # not read with it: read now
            assert reads == ["movements", "report_periods"]
            session.expunge_all()
            with_periods = lookups.movement(session, world.movement_id, periods=True)
            assert with_periods is first and with_periods in session
            assert reads == ["movements", "report_periods"]
        with world.sessions.begin() as session:
            lookups.movement(session, world.movement_id)
        assert reads == ["movements", "report_periods", "movements"]
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)


def test_a_transactions_turns_list_the_open_movements_once(world: World) -> None:
    """When a movement opens every unit registers at once, so a group's turns all list the
    open movements: read once per transaction, as the same objects `lookups.movement` keeps."""
    from sqlalchemy import event

    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        reads.extend(t for t in ("movements", "report_periods") if f"FROM {t}" in statement)

    today = world.clock().date()
    event.listen(world.engine, "before_cursor_execute", seen)
    try:
        with world.sessions.begin() as session:
            [first] = lookups.open_movements(session, today)
            session.expunge_all()  # as Router._grouped does between turns
            [again] = lookups.open_movements(session, today)
            assert again is first and again in session
            assert lookups.movement(session, world.movement_id) is first
            assert reads == ["movements"]
        with world.sessions.begin() as session:
            assert [m.id for m in lookups.open_movements(session, today)] == [world.movement_id]
        assert reads == ["movements", "movements"]
    finally:
        event.remove(world.engine, "before_cursor_execute", seen)


def test_savepoints_only_when_a_turn_raised(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group whose turns all run needs no savepoint; one that raised runs again, every turn
    in its own savepoint, and the good turns still commit once each."""
    from sqlalchemy.orm import Session

    nested: list[int] = []
    begin_nested = Session.begin_nested

    def counted(self: Session) -> object:
        nested.append(1)
        return begin_nested(self)

    monkeypatch.setattr(Session, "begin_nested", counted)
    router = world.router()
    calm = [
        (Incoming("console", "head", "head", text="/dangky"), "s:1"),
        (Incoming("console", "head2", "head2", text="/dangky"), "s:2"),
    ]
    replies = router.handle_group(calm)
    assert all(replies) and not nested
    assert flow_of(world, "head") == flow_of(world, "head2") == "registration"

    officer_conflicts(monkeypatch)
    queued = count(world, OutboxMessage)
    stormy = [
        (Incoming("console", "head3", "head3", text="/dangky"), "s:3"),
        (Incoming("console", "officer", "officer", text="/dangky"), "s:4"),
    ]
    started, busy = router.handle_group(stormy)
    assert len(nested) == 2  # the second run: one savepoint per turn
    assert [r.text for r in busy] == [vi.BUSY]
    assert started and flow_of(world, "head3") == "registration"
    assert flow_of(world, "officer") is None
    assert count(world, OutboxMessage) == queued + len(started) + len(busy)  # once each
