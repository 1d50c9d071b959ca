"""The loop the inbox worker and the outbox sender share: claim what is due (up to the room
left), handle each claimed row in a task of its own, renew the leases of the rows in hand,
sleep until woken or idle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
Row = TypeVar("Row")


async def claim_loop(
    claim: Callable[[int], Awaitable[list[Row]]],
    handle: Callable[[Row], Coroutine[Any, Any, int]],
    *,
    room: int,
    wake: asyncio.Event,
    stop: asyncio.Event,
    idle_s: float,
    name: str,
    renew: Callable[[list[Row]], Awaitable[object]] | None = None,
    renew_every_s: float = 5.0,
) -> None:
    """Claims whenever woken (rows stored, a row finished) or every `idle_s`, while earlier
    rows are still being handled; a finished row wakes the loop, as its chat's next row may
    now be claimable. While rows are in hand, `renew` (the leases' heartbeat) is given them
    every `renew_every_s`: a row whose handling outlasts its lease stays ours, and stops being
    ours soon after this loop dies. Returns (or raises) once `stop` is set (or the loop
    failed) and the rows in hand are done."""
    tasks: dict[asyncio.Task[int], Row] = {}
    clock = asyncio.get_running_loop().time
    next_beat = clock() + renew_every_s

    def finished(task: asyncio.Task[int]) -> None:
        tasks.pop(task, None)
        wake.set()

    try:
        while not stop.is_set():
            wake.clear()
            if not tasks:  # nothing leased: the first beat comes a period after the next claim
                next_beat = clock() + renew_every_s
            elif renew is not None and clock() >= next_beat:
                next_beat = clock() + renew_every_s
                try:
                    await renew(list(tasks.values()))
                except Exception:  # the leases then run out, and the rows are claimed again
                    log.exception("%s lease renewal failed", name)
            free = room - len(tasks)
            claimed: list[Row] = []
            if free > 0:
                try:
                    claimed = await claim(free)
                except Exception:  # the loop must survive a bad row or a database hiccup
                    log.exception("%s claim failed", name)
            for row in claimed:
                task = asyncio.create_task(handle(row))
                tasks[task] = row
                task.add_done_callback(finished)
            # Nothing more waits now, or no room is left: sleep until a store or a finished
            # row wakes us (a wake during the claim returns at once), or the next heartbeat.
            nap_s = idle_s if renew is None or not tasks else min(idle_s, next_beat - clock())
            await nap(wake, stop, max(nap_s, 0.0))
    finally:  # the rows in hand are finished even when the loop fails: none is left halfway
        await asyncio.gather(*tasks, return_exceptions=True)


async def nap(
    wake: asyncio.Event, stop: asyncio.Event, idle_s: float, settle_s: float = 0.002
) -> None:
    """Sleeps until `wake` or `stop` is set, or `idle_s` has passed. Once woken it lets
    `settle_s` pass, so that wake-ups arriving together are served by one claim."""
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    if wake.is_set() and not stop.is_set():
        await asyncio.sleep(settle_s)
