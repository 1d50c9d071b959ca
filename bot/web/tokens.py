"""Zalo OA tokens kept in the database, so a rotated single-use refresh token is never lost."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.zalo_oa import OATokens
from bot.store.delivery import PlatformToken

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DatabaseTokenStore:
    """TokenStore over one `platform_tokens` row; `save` commits before it returns."""

    def __init__(
        self, sessions: sessionmaker[Session], name: str, initial_refresh: str = ""
    ) -> None:
        self._sessions = sessions
        self._name = name
        self._initial_refresh = initial_refresh

    def load(self) -> OATokens | None:
        with self._sessions() as session:
            row = session.scalars(
                select(PlatformToken).where(PlatformToken.name == self._name)
            ).first()
            if row is not None:
                return OATokens(row.access_token, row.refresh_token, row.expires_at)
        if self._initial_refresh:  # first start: only the refresh token from the settings
            return OATokens("", self._initial_refresh, EPOCH)
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
