"""Long polling for the embedded default: no public URL needed, same inbox and outbox path.

Each poll's updates are stored (bot.gateway.receive_many, one commit for all) before the poll
that confirms them, so a crash never drops one; the inbox worker and the outbox sender run
beside the polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.base import ChannelError
from bot.gateway import receive_many, run_db
from bot.heap import freeze_startup_objects
from bot.web.app import WebServices

log = logging.getLogger(__name__)
POLL_TIMEOUT_S = 25


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _loop(
    name: str,
    services: WebServices,
    stop: asyncio.Event,
    poll: Callable[[], Awaitable[list[dict[str, Any]]]],
) -> None:
    channel = services.channels[name]
    failures = 0
    while not stop.is_set():
        try:
            payloads = await poll()
        except ChannelError as exc:
            failures += 1
            wait = max(exc.retry_after_s, min(2.0**failures, 60.0))
            log.warning("%s polling failed (%s); retrying in %.0f s", name, exc.detail, wait)
            await _pause(stop, wait)
            continue
        failures = 0
        if not payloads:
            continue
        items = [(channel, payload) for payload in payloads]
        outcomes = await run_db(
            services.sessions, receive_many, services.sessions, items, services.now()
        )  # one commit for the whole poll; a failure propagates before the next poll confirms
        services.worker.wake()
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                log.warning("%s: an update we cannot read was skipped", name)


async def run_polling(services: WebServices, stop: asyncio.Event) -> None:
    """Polls every configured platform and runs the inbox worker and the sender until `stop`."""
    freeze_startup_objects()
    services.worker.send_with(services.sender)
    tasks = [
        asyncio.create_task(services.worker.run_forever(stop)),
        asyncio.create_task(services.sender.run_forever(stop)),
    ]
    if services.reminders is not None:
        tasks.append(asyncio.create_task(services.reminders.run_forever(stop)))
    telegram = services.channels.get("telegram")
    if telegram is not None:
        await telegram.start()
        await telegram.delete_webhook()  # getUpdates is refused while a webhook is set
        offset: list[int | None] = [None]

        async def poll_telegram() -> list[dict[str, Any]]:
            payloads, offset[0] = await telegram.poll(offset[0], POLL_TIMEOUT_S)
            return list(payloads)

        tasks.append(asyncio.create_task(_loop("telegram", services, stop, poll_telegram)))
    zalo = services.channels.get("zalo_bot")
    if zalo is not None:

        async def poll_zalo() -> list[dict[str, Any]]:
            return list(await zalo.poll(POLL_TIMEOUT_S))

        tasks.append(asyncio.create_task(_loop("zalo_bot", services, stop, poll_zalo)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in services.channels.values():
            close = getattr(channel, "close", None)
            if close is not None:
                await close()
