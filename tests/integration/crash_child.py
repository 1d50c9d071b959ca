"""The process the crash tests kill: the inbox worker and the outbox sender over a SQLite file.

    python -m tests.integration.crash_child <db url> <api url> <files dir> [mode] [lease] [limits]

Runs until killed. Uses the wall clock: it is a real process. The sender's rate limits are
raised far past Telegram's unless `limits` is `telegram`. Modes (and their leases in seconds,
unless given; bench/restart.py gives them):

* `expiry` (the default): the loops alone, with a one-second lease, so the next process
  takes over the rows this one left 'sending' soon after it dies, as any worker would.
* `alone`: started as `thidua run` or a one-process `thidua serve` starts them (the services,
  alone on their SQLite file), with leases of an hour: after a kill -9 only the restarted
  process's reclaim at start can free what the dead one held.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.channels.base import RateLimits
from bot.channels.refusals import file_too_large_text, unreadable_text
from bot.channels.telegram import TelegramChannel, make_bot
from bot.core.router import Router
from bot.delivery.sender import OutboxSender
from bot.delivery.services import Services
from bot.delivery.turns import Turns
from bot.delivery.worker import InboxWorker
from bot.store.db import make_engine, session_factory
from bot.store.files import FileStore
from tests.chat import FakeQA

TOKEN = "7012345678:AAH-crash-SECRET-token"
LEASE = timedelta(seconds=1)
LONG_LEASE = timedelta(hours=1)
RAISED = RateLimits(max_per_second=1000, per_chat_burst=100)


def now() -> datetime:
    return datetime.now(UTC)


async def main(
    db_url: str,
    api_url: str,
    files: str,
    mode: str = "expiry",
    lease_s: str = "",
    limits: str = "raised",
) -> None:
    alone = mode == "alone"
    lease = timedelta(seconds=float(lease_s)) if lease_s else LONG_LEASE if alone else LEASE
    sessions = session_factory(make_engine(db_url))
    channel = TelegramChannel(make_bot(TOKEN, base_url=api_url), bot_username="ThiDuaTestBot")
    await channel.start()
    channels = {"telegram": channel}
    turns = Turns(sessions, Router(FakeQA(), files=FileStore(Path(files))), now)
    sender = OutboxSender(
        sessions,
        channels,
        now=now,
        lease=lease,
        limits={"telegram": RateLimits() if limits == "telegram" else RAISED},
    )
    worker = InboxWorker(
        turns,
        channels,
        file_too_large=file_too_large_text,
        unreadable=unreadable_text,
        on_replies=sender.wake,
        lease=lease,
    )
    stop = asyncio.Event()  # never set: the test kills this process
    if alone:
        services = Services(sessions, channels, worker, sender, now, alone=True)
        loops = services.start_loops(stop)  # takes back the dead run's leases first
        print("ready", flush=True)
        await asyncio.gather(*loops)
        return
    print("ready", flush=True)
    await asyncio.gather(worker.run_forever(stop), sender.run_forever(stop, idle_s=0.05))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
