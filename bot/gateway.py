"""From a platform update to queued replies: the path webhooks and polling loops share.

Receipt and processing are two steps with a row between them. `receive` stores the raw update
(once: redeliveries are recognised by their key) and the webhook answers 200 or the polling
loop confirms its offset only after that commit. `InboxWorker` then runs stored updates
through the router, oldest first within each chat, different chats concurrently; the router
writes the dedupe key, the change and the outbox rows in one transaction. A crash at any
point leaves either the stored update (processed again) or its committed turn (skipped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelError, FileTooLarge, Update
from bot.core.router import Router
from bot.messages import Incoming, Reply
from bot.store import delivery

log = logging.getLogger(__name__)


class InboundChannel(Protocol):
    name: str

    def parse(self, payload: Any) -> Update: ...

    async def resolve_attachments(self, incoming: Incoming) -> Incoming: ...


def receive(
    sessions: sessionmaker[Session],
    channel: InboundChannel,
    payload: Mapping[str, Any],
    now: datetime,
) -> Update:
    """Parse and store one update; raises ValueError for a body that is not an update.

    A channel that reports interactions (Zalo OA's `last_interaction`: customer-service
    messages are allowed only within 7 days of the person's last one) has it recorded on the
    person's linked identity, for events we otherwise ignore (a follow) as well.
    """
    update = channel.parse(payload)
    interaction = getattr(channel, "last_interaction", None)
    seen = interaction(payload) if interaction is not None else None
    if seen is not None:
        with sessions.begin() as session:
            delivery.record_interaction(
                session, channel=channel.name, external_id=seen[0], at=seen[1]
            )
    if update.incoming is None:
        return update  # acknowledged, nothing to do (e.g. a group message not for us)
    with sessions.begin() as session:
        delivery.receive(
            session,
            channel=channel.name,
            update_key=update.dedupe_key,
            chat_id=update.incoming.chat_id,
            payload=dict(payload),
            now=now,
        )
    return update


class InboxWorker:
    """Processes stored updates; one in flight per chat, many chats at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        router: Router,
        channels: Mapping[str, InboundChannel],
        *,
        now: Callable[[], datetime],
        file_too_large: Callable[[FileTooLarge], str],
        batch: int = 100,
    ) -> None:
        self._sessions = sessions
        self._router = router
        self._channels = dict(channels)
        self._now = now
        self._file_too_large = file_too_large
        self._batch = batch
        self._wake = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []

    def wake(self) -> None:
        """A new update was stored: claim now instead of at the next idle poll."""
        self._wake.set()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after each processed update (e.g. the outbox sender's wake)."""
        self._listeners.append(listener)

    def _claim(self, limit: int) -> list[tuple[int, str, dict[str, Any], int]]:
        with self._sessions.begin() as session:
            rows = delivery.claim_inbox(session, now=self._now(), limit=limit)
            return [(r.id, r.channel, dict(r.payload), r.attempts) for r in rows]

    async def run_once(self) -> int:
        jobs = await asyncio.to_thread(self._claim, self._batch)
        if not jobs:
            return 0
        done = await asyncio.gather(*(self._process(*job) for job in jobs))
        return sum(done)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.05) -> None:
        """Claims whenever woken (or every idle_s) while earlier updates are still in flight.

        A leased row is not claimed again and a chat's next update is not claimable before
        its earlier one is done, so overlapping claims keep one update in flight per chat.
        """
        tasks: set[asyncio.Task[int]] = set()
        while not stop.is_set():
            self._wake.clear()
            room = self._batch - len(tasks)
            jobs: list[tuple[int, str, dict[str, Any], int]] = []
            if room > 0:
                try:
                    jobs = await asyncio.to_thread(self._claim, room)
                except Exception:
                    log.exception("inbox round failed")
            for job in jobs:
                task = asyncio.create_task(self._process(*job))
                tasks.add(task)
                task.add_done_callback(self._finished(tasks))
            if not jobs:
                await _nap(self._wake, stop, idle_s)
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, tasks: set[asyncio.Task[int]]) -> Callable[[asyncio.Task[int]], None]:
        def done(task: asyncio.Task[int]) -> None:
            tasks.discard(task)
            self._wake.set()  # room for more, and the chat's next update may be due

        return done

    async def _process(
        self, inbox_id: int, channel_name: str, payload: dict[str, Any], attempts: int
    ) -> int:
        channel = self._channels.get(channel_name)
        try:
            if channel is None:
                raise LookupError(f"no channel '{channel_name}'")
            update = channel.parse(payload)
            if update.incoming is not None:
                await self._turn(channel, update, update.incoming)
            answer = getattr(channel, "answer_callback", None)
            if update.callback_id and answer is not None:
                await answer(update.callback_id)
        except ChannelError as exc:  # the platform is unwell: try this update again later
            log.warning("update %s deferred: %s", inbox_id, exc.detail)
            retry = self._now() + timedelta(seconds=min(2**attempts, 300))
            await asyncio.to_thread(self._release, inbox_id, retry)
            return 0
        except Exception:  # a payload we cannot handle must not block its chat forever
            log.exception("update %s could not be processed; dropped", inbox_id)
        await asyncio.to_thread(self._done, inbox_id)
        for listener in self._listeners:
            listener()
        return 1

    def _release(self, inbox_id: int, retry: datetime) -> None:
        with self._sessions.begin() as session:
            delivery.release_inbox(session, inbox_id, retry_at=retry)

    def _done(self, inbox_id: int) -> None:
        with self._sessions.begin() as session:
            delivery.mark_received_done(session, inbox_id, now=self._now())

    async def _turn(self, channel: InboundChannel, update: Update, incoming: Incoming) -> None:
        try:
            incoming = await channel.resolve_attachments(incoming)
        except FileTooLarge as exc:
            log.info("file refused: %s", exc.detail)
            bare = replace(incoming, attachments=(), text="")
            await asyncio.to_thread(
                self._router.deliver,
                bare,
                [Reply(self._file_too_large(exc))],
                update_key=update.dedupe_key,
            )
            return
        await asyncio.to_thread(
            self._router.handle, incoming, update_key=update.dedupe_key, outbox=True
        )


async def _nap(wake: asyncio.Event, stop: asyncio.Event, idle_s: float) -> None:
    """Sleeps until woken, stopped or idle_s has passed."""
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
