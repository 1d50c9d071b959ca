"""Keeps the background loops running: a loop that dies is logged and started again.

Each loop (the inbox worker, the outbox sender, the reminders, a channel's long polling)
catches what it expects; whatever it did not expect ends its task, and without a supervisor
the process would stay up answering nobody. Here a loop that raises, or returns before the
stop, is started again after a back-off that grows with failures in a row; one that ran a
while before dying starts from the short end again. `health()` tells the web app's
/healthz which loops run and which are waiting to restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


def backoff(failures: int) -> float:
    """Seconds before a restart after `failures` failures in a row: 1, 2, 4 … up to a minute."""
    return min(2.0 ** (failures - 1), 60.0)


@dataclass
class LoopHealth:
    """What /healthz shows of one loop."""

    state: str = "running"  # running | restarting | stopped
    restarts: int = 0
    last_error: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "restarts": self.restarts, "last_error": self.last_error}


class Supervisor:
    """Runs loops as tasks, restarting each one that dies until `stop` is set."""

    def __init__(self, *, wait: Callable[[int], float] = backoff, steady_s: float = 60.0) -> None:
        """`wait`: seconds before a restart after so many failures in a row; `steady_s`: a
        loop that ran this long before it died starts again from the first wait."""
        self._wait = wait
        self._steady_s = steady_s
        self._loops: dict[str, LoopHealth] = {}

    def start(
        self,
        name: str,
        run: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
        stop: asyncio.Event,
    ) -> asyncio.Task[None]:
        """`run(stop)` in a task of its own, started again whenever it dies before `stop`."""
        self._loops[name] = LoopHealth()
        return asyncio.create_task(self._keep(name, run, stop), name=f"loop:{name}")

    def health(self) -> dict[str, LoopHealth]:
        return dict(self._loops)

    def healthy(self) -> bool:
        """Every loop running (or stopped on purpose)."""
        return all(loop.state != "restarting" for loop in self._loops.values())

    async def _keep(
        self,
        name: str,
        run: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
        stop: asyncio.Event,
    ) -> None:
        health = self._loops[name]
        clock = asyncio.get_running_loop().time
        failures = 0
        while not stop.is_set():
            health.state = "running"
            started = clock()
            try:
                await run(stop)
                if stop.is_set():
                    break
                raise RuntimeError("the loop returned before the stop")
            except Exception as error:
                failures = 1 if clock() - started >= self._steady_s else failures + 1
                wait = self._wait(failures)
                health.state = "restarting"
                health.restarts += 1
                health.last_error = f"{type(error).__name__}: {error}"[:300]
                log.error(
                    "the %s loop died (%d in a row); restarting in %.0f s",
                    name,
                    failures,
                    wait,
                    exc_info=error,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
        health.state = "stopped"
