"""The inbox worker: runs stored updates through the unit of work, oldest first per chat.

A claim leases the oldest unhandled update of each chat, so one update per chat is in flight
whichever process holds it, and different chats run side by side. Files are downloaded before
the turn; a platform or database that is unwell sends the update back for a later try; an
update that cannot be handled at all is logged and dropped rather than block its chat. A
pressed button is acknowledged after its turn unless the webhook's answer already did it; a
turn that answered the press itself (a button of someone else's form) has its text shown
there, not sent to the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError

from bot.channels.base import ChannelError, FileTooLarge, MalformedUpdate, Update
from bot.delivery.loops import claim_loop
from bot.delivery.turns import Turns
from bot.messages import BUTTON_ANSWER, Incoming, Reply
from bot.store import inbox
from bot.store.db import run_db

log = logging.getLogger(__name__)


class Worked(Protocol):
    """A channel as the worker sees it."""

    name: str

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """Raises MalformedUpdate for a payload that is not a usable update."""
        ...

    async def resolve_attachments(self, incoming: Incoming) -> Incoming: ...

    async def answer_button(self, callback_id: str, text: str = "") -> None: ...

    def webhook_reply(self, update: Update) -> dict[str, Any] | None: ...


class InboxWorker:
    """Claims stored updates and runs them, up to `batch` at once."""

    def __init__(
        self,
        turns: Turns,
        channels: Mapping[str, Worked],
        *,
        file_too_large: Callable[[FileTooLarge], str],
        on_replies: Callable[[], None] = lambda: None,
        answer_buttons: bool = True,
        batch: int = 32,
        retention: timedelta = inbox.RETENTION,
        purge_every: timedelta = timedelta(minutes=10),
        lease: timedelta = inbox.LEASE,
    ) -> None:
        if retention < inbox.RETENTION:
            raise ValueError(f"dedupe rows must be kept at least {inbox.RETENTION}")
        self._turns = turns
        self._sessions = turns.sessions
        self._now = turns.now
        self._channels = dict(channels)
        self._file_too_large = file_too_large
        self._on_replies = on_replies
        # Behind webhooks the webhook's answer acknowledges a button press (webhook_reply);
        # updates that came by long polling are acknowledged here.
        self._answer_buttons = answer_buttons
        self._batch = batch
        self._retention = retention
        self._purge_every = purge_every
        self._next_purge: datetime | None = None
        self._lease = lease
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A new update was stored: claim now instead of at the next idle poll."""
        self._wake.set()

    def purge_if_due(self) -> tuple[int, int] | None:
        """Every `purge_every`, forget updates handled more than `retention` ago:
        (dedupe keys, inbox rows) deleted, or None when not yet due."""
        now = self._now()
        if self._next_purge is not None and now < self._next_purge:
            return None
        self._next_purge = now + self._purge_every
        with self._sessions.begin() as session:
            purged = inbox.purge(session, before=now - self._retention)
        if any(purged):
            log.info("purged %d dedupe keys and %d handled updates", *purged)
        return purged

    def _claim(self, limit: int) -> list[inbox.ClaimedUpdate]:
        try:
            self.purge_if_due()
        except Exception:  # housekeeping must never hold up the updates
            log.exception("dedupe purge failed")
        with self._sessions.begin() as session:
            return inbox.claim(session, now=self._now(), limit=limit, lease=self._lease)

    async def run_once(self) -> int:
        """One claim, its updates run to the end; how many were handled."""
        claimed = await run_db(self._sessions, self._claim, self._batch)
        done = await asyncio.gather(*(self._process(row) for row in claimed))
        return sum(done)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        """Claims and runs updates until `stop`, up to `batch` at once."""
        await claim_loop(
            functools.partial(run_db, self._sessions, self._claim),
            self._process,
            room=self._batch,
            wake=self._wake,
            stop=stop,
            idle_s=idle_s,
            name="inbox",
        )

    async def _process(self, row: inbox.ClaimedUpdate) -> int:
        """One update: 1 when handled (or dropped), 0 when sent back for a later try."""
        channel = self._channels.get(row.channel)
        try:
            if channel is None:
                raise LookupError(f"no channel '{row.channel}'")
            update = channel.parse(row.payload)
            # Behind webhooks, a press the webhook's answer left open is answered here.
            answers = bool(update.callback_id) and (
                self._answer_buttons or channel.webhook_reply(update) is None
            )
            answer = ""
            if update.incoming is not None:
                replies = await self._turn(channel, update, update.incoming, row.id, answers)
                answer = "\n".join(r.text for r in replies if r.meta.get(BUTTON_ANSWER))
                self._on_replies()
            else:
                await run_db(self._sessions, self._mark_done, row.id)
            if answers:
                await self._answer(channel, update.callback_id, answer)
        except MalformedUpdate as exc:  # stored before its parser grew stricter: it never will
            log.warning(
                "%s update %s (inbox %s) does not parse; dropped: %s",
                row.channel,
                exc.update_id or "?",
                row.id,
                exc.reason,
            )
            with contextlib.suppress(Exception):
                await run_db(self._sessions, self._mark_done, row.id)
        except (ChannelError, DBAPIError) as exc:  # the platform or the database is unwell
            detail = exc.detail if isinstance(exc, ChannelError) else type(exc.orig).__name__
            log.warning("update %s deferred: %s", row.id, detail)
            await self._defer(row)
            return 0
        except Exception:  # an update we cannot handle must not block its chat forever
            log.exception("update %s could not be processed; dropped", row.id)
            with contextlib.suppress(Exception):
                await run_db(self._sessions, self._mark_done, row.id)
        return 1

    async def _turn(
        self, channel: Worked, update: Update, incoming: Incoming, inbox_id: int, answers: bool
    ) -> list[Reply]:
        """The update's turn; its replies (queued, but for an answer to the press when the
        worker `answers` the press)."""
        try:
            incoming = await channel.resolve_attachments(incoming)
        except FileTooLarge as exc:
            log.info("file refused: %s", exc.detail)
            bare = replace(incoming, attachments=(), text="")
            await run_db(
                self._sessions,
                self._turns.without_turn,
                bare,
                [Reply(self._file_too_large(exc))],
                update_key=update.dedupe_key,
                inbox_id=inbox_id,
            )
            return []
        return await run_db(
            self._sessions,
            self._turns.run,
            incoming,
            update_key=update.dedupe_key,
            inbox_id=inbox_id,
            outbox_replies=True,
            answers_press=answers,
        )

    @staticmethod
    async def _answer(channel: Worked, callback_id: str, text: str) -> None:
        """Stops a pressed button's spinner, showing `text` if any; a failure costs only the
        spinner (the replies are already queued), so it is logged, not raised."""
        try:
            await channel.answer_button(callback_id, text)
        except Exception:
            log.warning("button press %s not answered", callback_id, exc_info=True)

    def _mark_done(self, inbox_id: int) -> None:
        with self._sessions.begin() as session:
            inbox.mark_done(session, inbox_id, now=self._now())

    async def _defer(self, row: inbox.ClaimedUpdate) -> None:
        """Hands an update back for another try after a back-off. Should even that fail, its
        lease runs out and it is claimed again."""
        retry = self._now() + timedelta(seconds=min(2**row.attempts, 300))
        try:
            await run_db(self._sessions, self._release, row.id, retry)
        except Exception:
            log.warning("update %s: retry not recorded; it returns when its lease ends", row.id)

    def _release(self, inbox_id: int, retry: datetime) -> None:
        with self._sessions.begin() as session:
            inbox.release(session, inbox_id, retry_at=retry)
