"""A background loop that dies is started again, and /healthz says so meanwhile.

The real app (its lifespan starts the loops through the services' supervisor) with a reminder
loop that raises; the supervisor's wait before a restart is injected (none, or an hour), so
nothing depends on timing: the test waits, bounded, for what the loops report.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from bot.delivery.services import Services
from bot.delivery.supervisor import Supervisor
from bot.web.app import create_app
from tests.forms.conftest import World
from tests.integration.services import services


class Flaky:
    """A loop that raises on its first `failures` runs, then runs until the stop."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0

    async def run_forever(self, stop: asyncio.Event) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"run {self.runs} failed")
        await stop.wait()


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def serving(running: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (which starts the loops), and a client of it."""
    app = create_app(running)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client


async def health(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/healthz")
    return response.status_code, response.json()


async def test_a_loop_that_dies_is_restarted_and_healthz_counts_it(world: World) -> None:
    loop = Flaky(failures=2)
    running = services(world, {}, reminders=loop)
    running.supervisor = Supervisor(wait=lambda _failures: 0.0)
    async with serving(running) as client:
        await until(lambda: loop.runs == 3, "the third run")
        status, body = await health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["loops"]["reminders"] == {
        "state": "running",
        "restarts": 2,
        "last_error": "RuntimeError: run 2 failed",
    }
    assert body["loops"]["inbox"]["state"] == body["loops"]["outbox"]["state"] == "running"
    assert running.supervisor.health()["reminders"].state == "stopped"  # after the lifespan


async def test_healthz_is_503_while_a_loop_waits_to_restart(world: World) -> None:
    loop = Flaky(failures=1)
    running = services(world, {}, reminders=loop)
    running.supervisor = Supervisor(wait=lambda _failures: 3600.0)
    async with serving(running) as client:
        await until(lambda: loop.runs == 1, "the first run")
        await until(lambda: not running.supervisor.healthy(), "the failure to be seen")
        status, body = await health(client)
        assert status == 503
        assert body["status"] == "degraded"
        assert body["loops"]["reminders"]["state"] == "restarting"
        assert body["loops"]["reminders"]["restarts"] == 1
        assert body["loops"]["inbox"]["state"] == "running"
    # The stop ends the wait at once: the lifespan closed without waiting the hour.
    assert loop.runs == 1
    assert running.supervisor.health()["reminders"].state == "stopped"


async def test_a_loop_that_returns_before_the_stop_counts_as_dead(world: World) -> None:
    returns: list[int] = []

    class Quitter:
        async def run_forever(self, stop: asyncio.Event) -> None:
            returns.append(1)
            if len(returns) > 1:
                await stop.wait()

    running = services(world, {}, reminders=Quitter())
    running.supervisor = Supervisor(wait=lambda _failures: 0.0)
    async with serving(running) as client:
        await until(lambda: len(returns) == 2, "the restart")
        _status, body = await health(client)
    assert body["loops"]["reminders"]["restarts"] == 1
    assert "returned before the stop" in body["loops"]["reminders"]["last_error"]
