"""The running parts the web app and the polling loop share, built by the composition root."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Channel
from bot.delivery.sender import OutboxSender
from bot.delivery.supervisor import Supervisor
from bot.delivery.worker import InboxWorker

log = logging.getLogger(__name__)


class Loop(Protocol):
    async def run_forever(self, stop: asyncio.Event) -> None: ...


@dataclass
class Services:
    """Everything that receives, runs and sends, around one database."""

    sessions: sessionmaker[Session]
    channels: Mapping[str, Channel]
    worker: InboxWorker
    sender: OutboxSender
    now: Callable[[], datetime]
    reminders: Loop | None = None  # the reminder loop, when this process runs it
    background: bool = True  # run the worker, sender and reminder loops in this process
    # The only process on its database (SQLite, one worker): whatever is leased at its start
    # was leased by a run that died, and is taken back at once instead of after the lease.
    alone: bool = False
    supervisor: Supervisor = field(default_factory=Supervisor)
    # What else this process needs reachable to serve, by name (the index), for /readyz:
    # each returns when its part answers and raises when it does not; all cheap.
    probes: Mapping[str, Callable[[], None]] = field(default_factory=dict)

    def start_loops(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        """The background loops, each restarted should it die, until `stop` is set."""
        if not self.background:
            return []
        if self.alone:
            self.reclaim()
        loops: dict[str, Loop] = {"inbox": self.worker, "outbox": self.sender}
        if self.reminders is not None:
            loops["reminders"] = self.reminders
        return [self.supervisor.start(name, loop.run_forever, stop) for name, loop in loops.items()]

    def reclaim(self) -> None:
        """Frees the updates and messages a dead run left leased (see `alone`)."""
        updates, messages = self.worker.reclaim(), self.sender.reclaim()
        if updates or messages:
            log.warning(
                "took back %d updates and %d messages left in hand by the previous run",
                updates,
                messages,
            )

    async def close(self) -> None:
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception:
                log.warning("closing %s failed", channel.name, exc_info=True)
