"""A platform's access and refresh tokens, kept in the database so a rotated single-use
refresh token is never lost and every worker process uses the same pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from bot.store.dialects import insert_for
from bot.store.models import Base, UTCDateTime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PlatformToken(Base):
    """A platform's current access and refresh token (Zalo OA refresh tokens are single-use)."""

    __tablename__ = "platform_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    access_token: Mapped[str] = mapped_column(String(2048))
    refresh_token: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A worker refreshing the pair holds this lease: the others wait for its new pair instead
    # of spending the single-use refresh token a second time.
    refresh_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class StoredTokens:
    """The pair as read; the channel adapter reads these three attributes."""

    access_token: str
    refresh_token: str
    expires_at: datetime


class DatabaseTokenStore:
    """TokenStore over one `platform_tokens` row; `save` commits before it returns.

    Shared by every worker process: `claim_refresh` is a lease on the row (a conditional
    UPDATE, atomic on SQLite and PostgreSQL alike), so one worker at a time spends the
    single-use refresh token and the others read the pair it saves.
    """

    def __init__(
        self, sessions: sessionmaker[Session], name: str, initial_refresh: str = ""
    ) -> None:
        self._sessions = sessions
        self._name = name
        self._initial_refresh = initial_refresh

    def load(self) -> StoredTokens | None:
        with self._sessions() as session:
            row = session.scalars(
                select(PlatformToken).where(PlatformToken.name == self._name)
            ).first()
            if row is not None:
                return StoredTokens(row.access_token, row.refresh_token, row.expires_at)
        if self._initial_refresh:  # first start: only the refresh token from the settings
            return StoredTokens("", self._initial_refresh, EPOCH)
        return None

    def save(self, access: str, refresh: str, expires_at: datetime) -> None:
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            row = session.scalars(
                select(PlatformToken).where(PlatformToken.name == self._name).with_for_update()
            ).first()
            if row is None:
                session.add(
                    PlatformToken(
                        name=self._name,
                        access_token=access,
                        refresh_token=refresh,
                        expires_at=expires_at,
                        updated_at=now,
                    )
                )
            else:
                row.access_token, row.refresh_token = access, refresh
                row.expires_at, row.updated_at = expires_at, now
                row.refresh_lease_until = None

    def claim_refresh(self, now: datetime, lease: timedelta) -> bool:
        """True when this caller may refresh now (the lease is free or has run out)."""
        with self._sessions.begin() as session:
            if self._initial_refresh:  # first start: the row to lease may not exist yet
                dialect = session.get_bind().dialect.name
                session.execute(
                    insert_for(dialect)(PlatformToken)
                    .values(
                        name=self._name,
                        access_token="",
                        refresh_token=self._initial_refresh,
                        expires_at=EPOCH,
                        updated_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["name"])
                )
            free = (PlatformToken.refresh_lease_until.is_(None)) | (
                PlatformToken.refresh_lease_until <= now
            )
            result = session.execute(
                update(PlatformToken)
                .where(PlatformToken.name == self._name, free)
                .values(refresh_lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    def release_refresh(self) -> None:
        """A refresh that failed gives the lease back at once."""
        with self._sessions.begin() as session:
            session.execute(
                update(PlatformToken)
                .where(PlatformToken.name == self._name)
                .values(refresh_lease_until=None)
                .execution_options(synchronize_session=False)
            )
