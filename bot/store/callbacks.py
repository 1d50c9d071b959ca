"""Telegram callback payloads too long for callback_data (64 bytes), kept in the database.

The adapter puts a payload under a short key derived from it (a hash) when it sends the
button, and looks the key up when the button is pressed; rows in the database survive a
restart and are shared by every worker, so a button pressed after a redeploy still works.
Implements bot.channels.base.CallbackStore (structurally: the store does not
import the channels).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.store.dialects import insert_for
from bot.store.models import Base, UTCDateTime

CACHE_LIMIT = 10_000


class TelegramCallback(Base):
    """One long button payload under its short key."""

    __tablename__ = "telegram_callbacks"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DatabaseCallbackStore:
    """CallbackStore over `telegram_callbacks`; `put` commits before the button is sent.

    Keys are derived from payloads, so `put` is idempotent (insert-or-ignore) and a small
    in-process cache spares the database the buttons sent over and over.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._cache: dict[str, str] = {}

    def put(self, key: str, payload: str) -> None:
        if self._cache.get(key) == payload:
            return
        with self._sessions.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = insert_for(dialect)
            session.execute(
                insert(TelegramCallback)
                .values(key=key, payload=payload, created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["key"])
            )
        self._remember(key, payload)

    def get(self, key: str) -> str | None:
        if key in self._cache:
            return self._cache[key]
        with self._sessions() as session:
            payload = session.scalars(
                select(TelegramCallback.payload).where(TelegramCallback.key == key)
            ).first()
        if payload is not None:
            self._remember(key, payload)
        return payload

    def purge(self, *, older_than: timedelta, now: datetime) -> int:
        """Forget payloads of buttons sent long ago; a press on one is then a stale button."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(TelegramCallback).where(TelegramCallback.created_at < now - older_than)
            )
        self._cache.clear()
        return int(getattr(result, "rowcount", 0) or 0)

    def _remember(self, key: str, payload: str) -> None:
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = payload
