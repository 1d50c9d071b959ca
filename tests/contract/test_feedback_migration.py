"""Migration 0012 on both backends: unanswered questions logged before it get the folded key
that groups their repeats; the new tables come and go with the revision; and the store's
grouping, answers and curated rows work on each backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot.store import answer_log, unanswered
from bot.store import curated as store
from bot.store.db import session_factory

from .test_conversation_migration import _to, empty

__all__ = ["empty"]
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NEW = {"answer_log", "curated_answers", "curated_questions"}


def test_0012_keys_old_questions_and_drops_cleanly(empty: Engine) -> None:
    _to(empty, "0012")
    with empty.begin() as connection:
        for n, question in enumerate(("Ai tặng Giấy khen?", "ai tang giay khen", "Giá vàng?")):
            connection.execute(
                text(
                    "INSERT INTO unanswered_questions (asked_at, channel, chat_id, user_id, "
                    "question, confidence, best_chunk_id) VALUES (:at, 'telegram', :chat, "
                    ":chat, :q, 0.1, '')"
                ),
                {"at": NOW + timedelta(minutes=n), "chat": str(n), "q": question},
            )
    _to(empty, "0013")
    assert set(inspect(empty).get_table_names()) >= NEW
    sessions = session_factory(empty)
    with sessions() as session:
        groups = unanswered.open_groups(session)
    assert [(g.key, g.count, g.chats, g.question) for g in groups] == [
        ("ai tang giay khen", 2, 2, "ai tang giay khen"),
        ("gia vang", 1, 1, "Giá vàng?"),
    ]
    assert groups[0].last_at == NOW + timedelta(minutes=1)  # aware UTC on both backends
    _to(empty, "0012", down=True)
    assert not NEW & set(inspect(empty).get_table_names())
    columns = {c["name"] for c in inspect(empty).get_columns("unanswered_questions")}
    assert "question_key" not in columns


def test_answers_and_curated_rows_on_each_backend(empty: Engine) -> None:
    _to(empty, "head")
    sessions: sessionmaker[Session] = session_factory(empty)
    with sessions.begin() as session:
        first = answer_log.log_answer(
            session,
            asked_at=NOW,
            channel="zalo_bot",
            chat_id="c",
            user_id="u",
            question="Tiêu chuẩn Lao động tiên tiến?",
            answer="…",
            citations=[{"article": "24", "basis": "Điều 24"}],
        )
        row = answer_log.get(session, first)
        assert row is not None
        answer_log.rate(session, row, answer_log.DOWN, NOW)
        answer_log.set_reason(session, first, "  thiếu khoản 3  ")
        added = store.add(
            session,
            question="Ai tặng Giấy khen?",
            answer="Thủ trưởng.",
            citations=[{"doc_id": "luat", "article": "75", "hash": "x"}],
            answered_on=NOW.date(),
            wordings=[
                store.Wording("Ai tặng Giấy khen?", "ai tang giay khen", "m", b"\0" * 8, b"\1" * 8)
            ],
            now=NOW,
        )
        answer_log.mark_answered(session, [first], added.id)
    with sessions() as session:
        assert answer_log.latest_of(session, "zalo_bot", "c", "u", NOW - timedelta(hours=1))
        assert answer_log.latest_of(session, "zalo_bot", "c", "u", NOW + timedelta(hours=1)) is None
        [rated] = answer_log.rated(session)
        assert (rated.reason, rated.answered_by) == ("thiếu khoản 3", added.id)
        assert answer_log.disliked(session) == []  # answered by the office
        [wording] = store.active_wordings(session)
        assert (wording.curated_id, wording.vector) == (added.id, b"\0" * 8)
    with sessions.begin() as session:
        assert store.remove(session, added.id)
    with sessions() as session:
        assert store.active_wordings(session) == []
