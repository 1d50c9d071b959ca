"""What every message reads first (bot.store.turns), and the one transaction it runs in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.accounts import TOUCH_EVERY, Caller
from bot.store.conversations import save_conversation
from bot.store.models import ChannelIdentity, Conversation, Unit
from bot.store.turns import open_turn

from .test_store_contract import NOW, add_person, add_unit


def _link(session: Session, person_id: int, external_id: str, seen_ago: timedelta | None) -> None:
    seen = None if seen_ago is None else NOW - seen_ago
    session.add(
        ChannelIdentity(
            channel="zalo",
            external_id=external_id,
            person_id=person_id,
            linked_at=NOW - timedelta(days=30),
            last_interaction_at=seen,
        )
    )
    session.flush()


def _seen(sessions: sessionmaker[Session], external_id: str) -> object:
    with sessions() as session:
        return session.scalar(
            select(ChannelIdentity.last_interaction_at).where(
                ChannelIdentity.external_id == external_id
            )
        )


def test_an_unlinked_account_in_a_new_chat(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        caller, state = open_turn(session, "zalo", "nobody", "chat-1", NOW)
    assert caller is None
    assert (state.channel, state.chat_id, state.exists, state.flow, state.version) == (
        "zalo",
        "chat-1",
        False,
        "",
        0,
    )


def test_the_caller_with_every_role_and_the_chats_conversation(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        unit = add_unit(session, "STP")
        person_id = add_person(session, "Lê Thị Hoa", unit, ["unit_head", "unit_officer"]).id
        _link(session, person_id, "z1", timedelta(minutes=1))
        caller, state = open_turn(session, "zalo", "z1", "group-9", NOW)
        state.flow, state.step, state.data["k"] = "registration", "targets", [1, "hai"]
        save_conversation(session, state, NOW)
    assert caller == Caller(person_id, unit.id, frozenset({"unit_head", "unit_officer"}))
    with sessions.begin() as session:
        again, state = open_turn(session, "zalo", "z1", "group-9", NOW)
        other_caller, other_chat = open_turn(session, "zalo", "z1", "group-10", NOW)
    assert again == caller == other_caller
    assert (state.exists, state.flow, state.step, state.version) == (
        True,
        "registration",
        "targets",
        1,
    )
    assert state.data == {"k": [1, "hai"]}
    assert not other_chat.exists


def test_a_person_without_roles_or_unit(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        person_id = add_person(session, "Trần Văn Bình").id
        _link(session, person_id, "z2", None)
        caller, _state = open_turn(session, "zalo", "z2", "z2", NOW)
    assert caller == Caller(person_id, None, frozenset())


@pytest.mark.parametrize(
    ("seen_ago", "touched"),
    [(None, True), (TOUCH_EVERY, True), (TOUCH_EVERY - timedelta(seconds=1), False)],
)
def test_the_seen_mark_is_rewritten_only_when_stale(
    sessions: sessionmaker[Session], seen_ago: timedelta | None, touched: bool
) -> None:
    with sessions.begin() as session:
        person_id = add_person(session, "Phạm Thị Cúc").id
        _link(session, person_id, "z3", seen_ago)
    before = _seen(sessions, "z3")
    with sessions.begin() as session:
        open_turn(session, "zalo", "z3", "z3", NOW)
    after = _seen(sessions, "z3")
    assert (after == NOW) is touched
    if not touched:
        assert after == before


def test_a_savepoint_after_reads_only_stays_inside_the_transaction(
    sessions: sessionmaker[Session],
) -> None:
    """pysqlite begins only before a write by itself: BEGIN is emitted when the session begins."""

    class Abort(Exception):
        pass

    with pytest.raises(Abort), sessions.begin() as session:
        open_turn(session, "zalo", "nobody", "chat-2", NOW)  # reads only
        with session.begin_nested():
            session.add(Unit(code="SAVE", name="Đơn vị trong savepoint"))
        raise Abort
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0
        assert session.scalar(select(func.count()).select_from(Conversation)) == 0


def test_a_chats_first_row_written_by_two_turns_at_once_lets_one_win(
    sessions: sessionmaker[Session],
) -> None:
    """Both turns read "no conversation yet"; the second to write gets Conflict, and its
    transaction, which goes on, can still roll back its own work alone."""
    from bot.store.conversations import Conflict

    with sessions.begin() as session:
        _caller, late = open_turn(session, "zalo", "nobody", "chat-7", NOW)
    with sessions.begin() as session:
        _caller, first = open_turn(session, "zalo", "nobody", "chat-7", NOW)
        first.flow, first.step = "registration", "collective"
        save_conversation(session, first, NOW)
    late.flow, late.step = "pledge", "cluster"
    with sessions.begin() as session:
        with pytest.raises(Conflict):
            save_conversation(session, late, NOW)
        assert session.scalar(select(func.count()).select_from(Unit)) is not None  # still usable
    with sessions() as session:
        row = session.scalars(select(Conversation).where(Conversation.chat_id == "chat-7")).one()
    assert (row.flow, row.step, row.version) == ("registration", "collective", 1)


def test_a_draft_keeps_its_content_and_an_unchanged_one_is_not_rewritten(
    sessions: sessionmaker[Session],
) -> None:
    """JSON columns go through orjson (bot.store.db.json_text): Vietnamese text stays text,
    integer keys come back as strings (as `json.dumps` made them), and a draft holding a
    value JSON has no type for (a date) still fingerprints, so reading it and saving it
    unchanged writes nothing."""
    draft = {"tên": "Tập thể lao động xuất sắc", 3: {"giá trị": [1.5, None, True]}}
    with sessions.begin() as session:
        _, state = open_turn(session, "telegram", "t1", "chat-json", NOW)
        state.flow, state.step = "registration", "targets"
        state.data.update(draft)
        save_conversation(session, state, NOW)
    with sessions.begin() as session:
        _, state = open_turn(session, "telegram", "t1", "chat-json", NOW)
        raw = session.scalar(select(Conversation.draft).where(Conversation.chat_id == "chat-json"))
        expected = {"tên": "Tập thể lao động xuất sắc", "3": {"giá trị": [1.5, None, True]}}
        assert state.data == expected
        assert raw == state.data
        state.data["hạn"] = NOW.date()  # kept only in memory: the save below writes it
        save_conversation(session, state, NOW)
        assert state.version == 2
    with sessions.begin() as session:
        _, state = open_turn(session, "telegram", "t1", "chat-json", NOW)
        assert state.data["hạn"] == NOW.date().isoformat()
        save_conversation(session, state, NOW)  # unchanged: no write, version stays
        assert state.version == 2
    with sessions() as session:
        assert (
            session.scalar(select(Conversation.version).where(Conversation.chat_id == "chat-json"))
            == 2
        )


def test_two_people_in_one_group_chat_each_have_their_own_conversation(
    sessions: sessionmaker[Session],
) -> None:
    """Keyed by chat and person: one person's save neither reads nor overwrites the other's."""
    for user, step in (("z4", "targets"), ("z5", "summary")):
        with sessions.begin() as session:
            _caller, state = open_turn(session, "zalo", user, "group-11", NOW)
            assert not state.exists
            state.flow, state.step = "registration", step
            save_conversation(session, state, NOW)
    with sessions.begin() as session:
        _caller, mine = open_turn(session, "zalo", "z4", "group-11", NOW)
        _caller, theirs = open_turn(session, "zalo", "z5", "group-11", NOW)
        _caller, private = open_turn(session, "zalo", "z4", "z4", NOW)
    assert (mine.user_id, mine.step, mine.version) == ("z4", "targets", 1)
    assert (theirs.user_id, theirs.step, theirs.version) == ("z5", "summary", 1)
    assert not private.exists
