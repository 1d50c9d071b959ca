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
import contextlib
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
    """Parse and store one update; raises ValueError for a body that is not an update."""
    update = channel.parse(payload)
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

    async def run_once(self) -> int:
        with self._sessions.begin() as session:
            rows = delivery.claim_inbox(session, now=self._now(), limit=self._batch)
            jobs = [(r.id, r.channel, dict(r.payload), r.attempts) for r in rows]
        if not jobs:
            return 0
        done = await asyncio.gather(*(self._process(*job) for job in jobs))
        return sum(done)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.05) -> None:
        while not stop.is_set():
            try:
                count = await self.run_once()
            except Exception:
                log.exception("inbox round failed")
                count = 0
            if not count:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_s)

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
            with self._sessions.begin() as session:
                delivery.release_inbox(session, inbox_id, retry_at=retry)
            return 0
        except Exception:  # a payload we cannot handle must not block its chat forever
            log.exception("update %s could not be processed; dropped", inbox_id)
        with self._sessions.begin() as session:
            delivery.mark_received_done(session, inbox_id, now=self._now())
        return 1

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
