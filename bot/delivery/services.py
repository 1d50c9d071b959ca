"""The running parts the web app and the polling loop share, built by the composition root."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Channel
from bot.delivery.sender import OutboxSender
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

    def start_loops(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        """The background loops, until `stop` is set."""
        if not self.background:
            return []
        loops: list[Loop] = [self.worker, self.sender]
        if self.reminders is not None:
            loops.append(self.reminders)
        return [asyncio.create_task(loop.run_forever(stop)) for loop in loops]

    async def close(self) -> None:
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception:
                log.warning("closing %s failed", channel.name, exc_info=True)
