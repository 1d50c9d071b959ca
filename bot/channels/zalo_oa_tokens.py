"""Zalo OA access tokens: where they live and how they are refreshed.

Access tokens last ~25 h; the refresh token is SINGLE-USE, so every refresh is saved through a
TokenStore at once (the lead persists it atomically in the database), refreshes within a
process are serialised, and workers sharing the store take a lease on it before refreshing.
A helper of the OA adapter (bot.channels.zalo_oa); it imports no adapter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.channels.base import ChannelError, SendStatus, TokenPair, TokenStore
from bot.channels.common import protect_logs

__all__ = ["MemoryTokenStore", "OATokens", "TokenKeeper", "TokenPair", "TokenStore"]

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_POLL_S = 0.2  # how often a worker waiting for another's refresh looks at the store


@dataclass(frozen=True)
class OATokens:
    access_token: str
    refresh_token: str
    expires_at: datetime


class MemoryTokenStore:
    """TokenStore for tests; `saves` counts rotations."""

    def __init__(self, tokens: OATokens | None = None) -> None:
        self.tokens = tokens
        self.saves = 0
        self.lease_until: datetime | None = None

    def load(self) -> OATokens | None:
        return self.tokens

    def save(self, access: str, refresh: str, expires_at: datetime) -> None:
        self.tokens = OATokens(access, refresh, expires_at)
        self.saves += 1
        self.lease_until = None

    def claim_refresh(self, now: datetime, lease: timedelta) -> bool:
        if self.lease_until is not None and self.lease_until > now:
            return False
        self.lease_until = now + lease
        return True

    def release_refresh(self) -> None:
        self.lease_until = None


class TokenKeeper:
    """Hands out a usable access token, refreshing it at most once per expiry or rejection
    across the tasks of a process (a lock) and the workers sharing the store (a lease)."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        tokens: TokenStore,
        client: httpx.AsyncClient,
        oauth_base: str,
        now: Callable[[], datetime],
        timeout_s: float,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.tokens = tokens
        self.client = client
        self._oauth = oauth_base.rstrip("/")
        self._now = now
        self._timeout_s = timeout_s
        self._lock = asyncio.Lock()

    async def access_token(self, *, stale: str | None = None) -> str:
        """A usable access token; refreshes when expired, or when `stale` was just refused.

        Serialised by a lock, and re-read from the store inside it: when another task (or,
        through a shared store, another worker) has already rotated the pair, its token is
        used instead of spending the refresh token a second time.
        """
        current = self.tokens.load()
        if current:
            protect_logs(current.access_token, current.refresh_token)
        if current and stale is None and current.expires_at - REFRESH_MARGIN > self._now():
            return current.access_token
        async with self._lock:
            usable = await self._usable_or_lease(stale)
            if isinstance(usable, str):
                return usable
            try:
                return await self._refresh(usable.refresh_token)
            except BaseException:
                self.tokens.release_refresh()
                raise

    async def _usable_or_lease(self, stale: str | None) -> str | TokenPair:
        """A usable access token from the store, or, once this worker holds the refresh lease,
        the pair to refresh. Another worker's refresh is waited for (up to its lease), then
        its pair is used: the single-use refresh token is spent once across workers."""
        lease = timedelta(seconds=self._timeout_s * 2 + 5)
        deadline = self._now() + lease + timedelta(seconds=1)
        while True:
            current = self.tokens.load()
            if current is None:
                raise ChannelError(SendStatus.TRANSIENT, "no_tokens")
            fresh = current.expires_at - REFRESH_MARGIN > self._now()
            if fresh and current.access_token != stale:
                return current.access_token
            if self.tokens.claim_refresh(self._now(), lease):
                again = self.tokens.load()  # saved by another worker since the read above?
                if again is not None and again.access_token != current.access_token:
                    self.tokens.release_refresh()
                    continue
                return current
            if self._now() > deadline:
                raise ChannelError(SendStatus.TRANSIENT, "token_refresh_pending")
            await asyncio.sleep(REFRESH_POLL_S)

    async def _refresh(self, refresh_token: str) -> str:
        try:
            response = await self.client.post(
                f"{self._oauth}/v4/oa/access_token",
                headers={"secret_key": self._app_secret},
                data={
                    "app_id": self.app_id,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                },
            )
        except httpx.HTTPError as exc:
            raise ChannelError(SendStatus.TRANSIENT, type(exc).__name__) from None
        body = json_body(response)
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if response.status_code != 200 or not access or not refresh:
            log.error("zalo oa token refresh failed: %s", body.get("error_name") or "?")
            raise ChannelError(SendStatus.TRANSIENT, "token_refresh_failed")
        protect_logs(str(access), str(refresh))
        expires_at = self._now() + timedelta(seconds=int(body.get("expires_in") or 3600))
        self.tokens.save(str(access), str(refresh), expires_at)
        return str(access)


def json_body(response: httpx.Response) -> dict[str, Any]:
    """Zalo's JSON answer as a dict; anything else (an HTML error page) as an empty one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
