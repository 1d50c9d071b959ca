"""The inbox worker: runs stored updates through the unit of work, oldest first per chat.

A claim leases the oldest unhandled update of each chat, so one update per chat is in flight
whichever process holds it, and different chats run side by side. Files are downloaded before
the turn. An update that fails is tried again after a back-off; what happens then depends on
whether the error can heal (`Retries`): a platform or database that is unwell (5xx, network,
429, a lost connection) is tried again for up to a day, holding back its chat's later updates
only for a short while; an error that will not heal (the platform refusing the request with
a 4xx, a body we cannot read) is tried a few times, then the update becomes a dead letter
with its reason, the person is told, and the chat goes on. A
pressed button is acknowledged after its turn unless the webhook's answer already did it; a
turn that answered the press itself (a button of someone else's form) has its text shown
there, not sent to the chat. A turn that waits on a language model does it between two tries
of the turn, on a thread, with no transaction open, while the chat shows the bot typing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import DBAPIError

from bot import metrics
from bot.channels.base import ChannelError, FileTooLarge, MalformedUpdate, SendStatus, Update
from bot.delivery.loops import claim_loop
from bot.delivery.turns import Turns
from bot.messages import BUTTON_ANSWER, Incoming, Reply, WaitOutside
from bot.store import inbox, queues
from bot.store.db import run_db

log = logging.getLogger(__name__)
_HEALING = (SendStatus.TRANSIENT, SendStatus.RETRY_AFTER)
TYPING_EVERY_S = 4.0  # Telegram shows "typing…" for 5 seconds or until the next message


class Worked(Protocol):
    """A channel as the worker sees it."""

    name: str

    def parse(self, payload: Mapping[str, Any]) -> Update:
        """Raises MalformedUpdate for a payload that is not a usable update."""
        ...

    async def resolve_attachments(self, incoming: Incoming) -> Incoming: ...

    async def answer_button(self, callback_id: str, text: str = "") -> None: ...

    async def show_typing(self, chat_id: str) -> None: ...

    def webhook_reply(self, update: Update) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Retries:
    """How the worker treats an update that failed.

    `attempts`: tries of an update whose error will not heal before it is a dead letter;
    `hold`: how long after its first failure an update may hold back its chat's later ones
    (then it is tried again between them); `give_up`: how long an error that may heal is
    tried; `cap`: the longest wait between two tries."""

    attempts: int = 3
    hold: timedelta = inbox.HOLD
    give_up: timedelta = timedelta(hours=24)
    cap: timedelta = timedelta(minutes=5)

    def wait(self, attempts: int, asked_s: float = 0.0) -> timedelta:
        """The back-off after the `attempts`-th try, at least what the platform asked for."""
        seconds = max(min(2.0**attempts, self.cap.total_seconds()), asked_s)
        return timedelta(seconds=seconds)


def may_heal(error: Exception) -> bool:
    """A platform that is unwell (5xx, network, 429) or a database that is; everything else
    (a 4xx, a body we cannot read, a bug) gives the same answer every time."""
    if isinstance(error, ChannelError):
        return error.status in _HEALING
    return isinstance(error, DBAPIError)


def _detail(error: Exception) -> str:
    if isinstance(error, ChannelError):
        return error.detail
    if isinstance(error, DBAPIError):
        return type(error.orig).__name__
    return f"{type(error).__name__}: {error}"[:300]


class InboxWorker:
    """Claims stored updates and runs them, up to `batch` at once."""

    def __init__(
        self,
        turns: Turns,
        channels: Mapping[str, Worked],
        *,
        file_too_large: Callable[[FileTooLarge], str],
        unreadable: Callable[[Incoming | None], str] | None = None,
        on_replies: Callable[[], None] = lambda: None,
        answer_buttons: bool = True,
        batch: int = 32,
        retention: timedelta = inbox.RETENTION,
        purge_every: timedelta = timedelta(minutes=10),
        lease: timedelta = inbox.LEASE,
        retries: Retries = Retries(),
        owner: str | None = None,
    ) -> None:
        """`unreadable`: what a person is told when their update became a dead letter (None:
        nothing); it is given the update as far as it could be read (None: not at all).
        `owner`: the name on this worker's leases (default: a new one)."""
        if retention < inbox.RETENTION:
            raise ValueError(f"dedupe rows must be kept at least {inbox.RETENTION}")
        self._turns = turns
        self._sessions = turns.sessions
        self._now = turns.now
        self._channels = dict(channels)
        self._file_too_large = file_too_large
        self._unreadable = unreadable
        self._on_replies = on_replies
        # Behind webhooks the webhook's answer acknowledges a button press (webhook_reply);
        # updates that came by long polling are acknowledged here.
        self._answer_buttons = answer_buttons
        self._batch = batch
        self._retention = retention
        self._purge_every = purge_every
        self._next_purge: datetime | None = None
        self._lease = lease
        self._retries = retries
        self.owner = owner or queues.new_owner()
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

    def reclaim(self) -> int:
        """At the start of a process alone on its database: frees the updates a previous run
        left leased when it died, so they are claimed at once. How many."""
        with self._sessions.begin() as session:
            return inbox.reclaim(session, now=self._now())

    def _renew(self, rows: list[inbox.ClaimedUpdate]) -> int:
        ids = [row.id for row in rows]
        with self._sessions.begin() as session:
            return inbox.renew(
                session, owner=self.owner, ids=ids, now=self._now(), lease=self._lease
            )

    def _claim(self, limit: int) -> list[inbox.ClaimedUpdate]:
        try:
            self.purge_if_due()
        except Exception:  # housekeeping must never hold up the updates
            log.exception("dedupe purge failed")
        with self._sessions.begin() as session:
            return inbox.claim(
                session,
                now=self._now(),
                limit=limit,
                lease=self._lease,
                owner=self.owner,
                hold=self._retries.hold,
            )

    async def run_once(self) -> int:
        """One claim, its updates run to the end; how many were handled."""
        claimed = await run_db(self._sessions, self._claim, self._batch)
        done = await asyncio.gather(*(self._process(row) for row in claimed))
        return sum(done)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        """Claims and runs updates until `stop`, up to `batch` at once; renews the leases of
        the updates in hand four times a lease."""
        await claim_loop(
            functools.partial(run_db, self._sessions, self._claim),
            self._process,
            room=self._batch,
            wake=self._wake,
            stop=stop,
            idle_s=idle_s,
            name="inbox",
            renew=functools.partial(run_db, self._sessions, self._renew),
            renew_every_s=self._lease.total_seconds() / 4,
        )

    async def _process(self, row: inbox.ClaimedUpdate) -> int:
        """One update: 1 when handled (or a dead letter), 0 when given back for a later try."""
        channel = self._channels.get(row.channel)
        incoming: Incoming | None = None
        try:
            if channel is None:
                raise LookupError(f"no channel '{row.channel}'")
            update = channel.parse(row.payload)
            incoming = update.incoming
            # Behind webhooks, a press the webhook's answer left open is answered here.
            answers = bool(update.callback_id) and (
                self._answer_buttons or channel.webhook_reply(update) is None
            )
            answer = ""
            if incoming is not None:
                replies = await self._turn(channel, update, incoming, row.id, answers)
                answer = "\n".join(r.text for r in replies if r.meta.get(BUTTON_ANSWER))
                self._on_replies()
            else:
                await run_db(self._sessions, self._mark_done, row.id)
            if answers:
                await self._answer(channel, update.callback_id, answer)
        except MalformedUpdate as exc:  # stored before its parser grew stricter: it never will
            log.warning(
                "%s update %s (inbox %s) does not parse: %s",
                row.channel,
                exc.update_id or "?",
                row.id,
                exc.reason,
            )
            await self._bury(row, incoming, f"malformed: {exc.reason}")
            metrics.UPDATES_PROCESSED.labels(row.channel, "dead_letter").inc()
            return 1
        except Exception as error:
            done = await self._failed(row, incoming, error)
            metrics.UPDATES_PROCESSED.labels(row.channel, "dead_letter" if done else "retry").inc()
            return done
        metrics.UPDATES_PROCESSED.labels(row.channel, "handled").inc()
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
        turn = functools.partial(
            run_db,
            self._sessions,
            self._turns.run,
            incoming,
            update_key=update.dedupe_key,
            inbox_id=inbox_id,
            outbox_replies=True,
            answers_press=answers,
            wait=False,
        )
        try:
            return await turn()
        except WaitOutside as outside:  # the turn rolled back: wait with no transaction open
            await self._wait_outside(channel, incoming.chat_id, outside)
        return await turn(waited=True)

    @staticmethod
    async def _wait_outside(channel: Worked, chat_id: str, outside: WaitOutside) -> None:
        """Runs the turn's slow work (a model writing an answer) on a thread, off the event
        loop, showing the chat that the bot is typing until it is done."""
        work = asyncio.ensure_future(asyncio.to_thread(outside.work))
        while not work.done():
            try:
                await channel.show_typing(chat_id)
            except Exception:  # only the indicator is lost
                log.info("typing indicator not shown in %s", chat_id, exc_info=True)
            await asyncio.wait({work}, timeout=TYPING_EVERY_S)
        work.result()

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

    async def _failed(
        self, row: inbox.ClaimedUpdate, incoming: Incoming | None, error: Exception
    ) -> int:
        """Tries the update again later, or ends it as a dead letter once its tries are spent."""
        detail = _detail(error)
        now = self._now()
        if may_heal(error):
            first = row.failing_since or now
            spent = now - first >= self._retries.give_up
        else:
            spent = row.attempts >= self._retries.attempts
        if not spent:
            log.warning("update %s deferred after try %d: %s", row.id, row.attempts, detail)
            asked = error.retry_after_s if isinstance(error, ChannelError) else 0.0
            await self._defer(row, now + self._retries.wait(row.attempts, asked), detail)
            return 0
        log.error(
            "update %s of %s is a dead letter after %d tries: %s",
            row.id,
            row.channel,
            row.attempts,
            detail,
            exc_info=error if not isinstance(error, ChannelError | DBAPIError) else None,
        )
        await self._bury(row, incoming, detail)
        return 1

    async def _bury(self, row: inbox.ClaimedUpdate, incoming: Incoming | None, reason: str) -> None:
        """The dead letter, its reason and the notice to the person, in one transaction
        (which also records the update's key: a redelivery does nothing). Should even that
        fail, the lease runs out and the update is tried again."""
        notice = self._unreadable(incoming) if self._unreadable is not None else ""
        to = incoming or Incoming(channel=row.channel, chat_id=row.chat_id, user_id="")
        try:
            await run_db(
                self._sessions,
                self._turns.without_turn,
                to,
                [Reply(notice)] if notice else [],
                update_key=row.update_key,
                inbox_id=row.id,
                dead_reason=reason or "failed",
            )
        except Exception:
            log.warning("update %s: dead letter not recorded; it returns", row.id, exc_info=True)
            return
        self._on_replies()

    async def _defer(self, row: inbox.ClaimedUpdate, retry: datetime, detail: str) -> None:
        """Hands an update back for another try at `retry`. Should even that fail, its lease
        runs out and it is claimed again."""
        try:
            await run_db(self._sessions, self._release, row.id, retry, detail)
        except Exception:
            log.warning("update %s: retry not recorded; it returns when its lease ends", row.id)

    def _release(self, inbox_id: int, retry: datetime, detail: str) -> None:
        with self._sessions.begin() as session:
            inbox.release(session, inbox_id, retry_at=retry, now=self._now(), error=detail)
