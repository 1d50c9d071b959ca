"""The sender's overall pace (bot.outbox.Pacer), on a clock that moves only when it sleeps."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from bot import outbox
from bot.outbox import Pacer


class Clock:
    """loop.time() and asyncio.sleep for the pacer: a sleep moves time on by what was asked
    plus the next of `late` (a wake-up that comes late, as under load)."""

    def __init__(self, late: tuple[float, ...] = (0.0,)) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self._late = itertools.cycle(late)

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + next(self._late)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    loop = SimpleNamespace(time=found.time)
    fake = SimpleNamespace(get_running_loop=lambda: loop, sleep=found.sleep)
    monkeypatch.setattr(outbox, "asyncio", fake)
    return found


async def starts(pacer: Pacer, clock: Clock, count: int) -> list[float]:
    at = []
    for _ in range(count):
        async with pacer:
            at.append(clock.now)
    return at


async def test_starts_due_within_one_clock_tick_go_at_once(clock: Clock) -> None:
    """At a rate far above the loop clock's resolution, nothing sleeps: a wait shorter than
    one tick of uvloop's millisecond clock only cost each send a loop iteration."""
    at = await starts(Pacer(rate=100_000), clock, 50)
    assert clock.sleeps == [] and set(at) == {100.0}


async def test_a_real_rate_is_spaced_evenly(clock: Clock) -> None:
    at = await starts(Pacer(rate=10), clock, 11)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(at)]
    # The first start after idle credits one interval, as for a late wake-up; then 1/rate,
    # until the window's cap holds the 11th back to one second after the first.
    assert gaps == [0.0] + [0.1] * 8 + [0.2]


async def test_late_wake_ups_never_put_more_than_the_rate_in_a_window(clock: Clock) -> None:
    clock._late = itertools.cycle((0.0, 0.0, 0.35))  # every third wake-up is late
    at = await starts(Pacer(rate=10, window_s=1.0), clock, 60)
    for i, start in enumerate(at):
        inside = [t for t in at[i:] if t - start < 1.0 - 1e-9]
        assert len(inside) <= 10, f"{len(inside)} starts in the second from {start}"
    assert at[-1] - at[0] >= 5.0  # and the average holds: 60 starts take ~6 s at 10/s
