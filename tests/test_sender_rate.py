"""The sender's overall limit (aiolimiter) on a fake clock: never more than the platform's cap
in any sliding second, however eagerly messages wait to go."""

from __future__ import annotations

import asyncio
from collections import deque

import pytest

from bot.channels.base import RateLimits
from bot.delivery.sender import overall_limiter, worker_share


async def _greedy_starts(limits: RateLimits, seconds: float, step: float = 0.0005) -> list[float]:
    """Times at which a sender that always has something to send may start, on a clock that
    moves only when told (the loop's `time`, which aiolimiter reads)."""
    loop = asyncio.get_running_loop()
    now = [1000.0]
    original = loop.time
    loop.time = lambda: now[0]  # type: ignore[method-assign]
    try:
        limiter = overall_limiter(limits)
        starts: list[float] = []
        end = now[0] + seconds
        while now[0] < end:
            while limiter.has_capacity():
                await limiter.acquire()
                starts.append(now[0])
            now[0] += step
        return starts
    finally:
        loop.time = original  # type: ignore[method-assign]


def _most_in_any_window(starts: list[float], window: float = 1.0) -> int:
    inside: deque[float] = deque()
    most = 0
    for at in starts:
        inside.append(at)
        while at - inside[0] >= window:
            inside.popleft()
        most = max(most, len(inside))
    return most


@pytest.mark.parametrize("cap", [30.0, 20.0])
async def test_no_sliding_second_holds_more_than_the_cap(cap: float) -> None:
    starts = await _greedy_starts(RateLimits(max_per_second=cap), seconds=5.0)
    assert _most_in_any_window(starts) <= cap
    assert len(starts) >= (cap - 1) * 5 * 0.95  # and the cap is used, not wasted


async def test_workers_together_stay_under_the_cap() -> None:
    """Two server processes, each with its share: their starts together, lined up in the
    worst way (the same instants), still fit in the platform's second."""
    share = worker_share(RateLimits(max_per_second=30.0), 2)
    one = await _greedy_starts(share, seconds=3.0)
    both = sorted(one + one)
    assert _most_in_any_window(both) <= 30
