"""Long polling, for a deployment without a public address: the same inbox and outbox path.

Each poll's updates are stored (one commit for all) before the next poll confirms them, so a
crash never drops one; the inbox worker and the outbox sender run beside the polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from typing import Any

from bot.channels.base import Channel, ChannelError, MalformedUpdate, Update
from bot.delivery.receiving import store_updates
from bot.delivery.services import Services
from bot.store.db import run_db

log = logging.getLogger(__name__)
POLL_TIMEOUT_S = 25


def _backoff(failures: int) -> float:
    return min(2.0**failures, 60.0)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def poll_channel(services: Services, channel: Channel, stop: asyncio.Event) -> None:
    """Polls one channel until `stop`, backing off while the platform is unwell."""
    await channel.prepare_polling()
    failures = 0
    while not stop.is_set():
        try:
            payloads = await channel.poll(POLL_TIMEOUT_S)
        except ChannelError as exc:
            failures += 1
            wait = max(exc.retry_after_s, _backoff(failures))
            log.warning(
                "%s polling failed (%s); retrying in %.0f s", channel.name, exc.detail, wait
            )
            await _pause(stop, wait)
            continue
        except Exception:  # an adapter's surprise must not end the polling
            failures += 1
            wait = _backoff(failures)
            log.exception("%s polling failed; retrying in %.0f s", channel.name, wait)
            await _pause(stop, wait)
            continue
        failures = 0
        if not payloads:
            continue
        # One commit for the whole poll. Should it fail, the updates are kept and stored again
        # before the next poll, which would confirm them; a stop meanwhile leaves them
        # unconfirmed, for the platform to send again.
        outcomes = await _store(services, channel, payloads, stop)
        if outcomes is None:
            return
        services.worker.wake()  # an update it cannot use was logged and skipped


async def _store(
    services: Services, channel: Channel, payloads: list[dict[str, Any]], stop: asyncio.Event
) -> list[Update | MalformedUpdate] | None:
    """The poll's updates stored, retried with back-off while the database fails; None when
    stopped first."""
    failures = 0
    while not stop.is_set():
        try:
            return await run_db(
                services.sessions,
                store_updates,
                services.sessions,
                channel,
                payloads,
                services.now(),
            )
        except Exception:
            failures += 1
            wait = _backoff(failures)
            log.warning(
                "%s: storing %d polled updates failed; retrying in %.0f s",
                channel.name,
                len(payloads),
                wait,
                exc_info=True,
            )
            await _pause(stop, wait)
    return None


async def run_polling(services: Services, stop: asyncio.Event) -> None:
    """Polls every channel that can, and runs the background loops, until `stop`."""
    loops = services.start_loops(stop)
    polls = []
    for channel in services.channels.values():
        if channel.can_poll:
            await channel.start()
            polls.append(
                services.supervisor.start(
                    f"polling:{channel.name}",
                    functools.partial(poll_channel, services, channel),
                    stop,
                )
            )
    try:
        await stop.wait()
    finally:
        stop.set()
        for poll in polls:  # a long poll would hold the stop for its whole timeout
            poll.cancel()
        await asyncio.gather(*polls, *loops, return_exceptions=True)
        await services.close()
