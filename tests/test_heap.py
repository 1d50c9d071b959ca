"""A server freezes its start-up objects (bot.heap) so that full collections skip them."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from bot.heap import freeze_startup_objects
from bot.polling import run_polling
from bot.web.app import WebServices, create_app


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen, whatever ran before it."""
    gc.unfreeze()
    yield
    gc.unfreeze()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


class Loop:
    """A worker or sender loop that returns as soon as it is stopped."""

    def send_with(self, _sender: Any) -> None:
        pass

    async def run_forever(self, stop: asyncio.Event) -> None:
        await stop.wait()


def services(*, background: bool) -> WebServices:
    return WebServices(
        sessions=None,  # type: ignore[arg-type]  # never reached: no request is made
        channels={},
        worker=Loop(),  # type: ignore[arg-type]
        sender=Loop(),  # type: ignore[arg-type]
        now=lambda: None,  # type: ignore[arg-type, return-value]
        background=background,
    )


def test_freezing_keeps_live_objects_and_collects_garbage_first() -> None:
    kept = Node()
    garbage_a, garbage_b = Node(), Node()
    garbage_a.other, garbage_b.other = garbage_b, garbage_a  # a cycle: only gc frees it
    gone = weakref.ref(garbage_a)
    del garbage_a, garbage_b
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 0
    assert gone() is None, "a cycle that was garbage at start-up must not be frozen for good"
    assert not any(o is kept for o in gc.get_objects()), "live objects are frozen, out of sight"


async def test_a_server_app_freezes_at_start_and_a_plain_app_does_not() -> None:
    for background, expected in ((False, False), (True, True)):
        gc.unfreeze()
        app = create_app(services(background=background)).app
        async with app.router.lifespan_context(app):
            assert (gc.get_freeze_count() > 0) is expected, f"background={background}"


async def test_polling_freezes_at_start() -> None:
    stop = asyncio.Event()
    stop.set()  # no channel to poll: returns once its loops have started and stopped
    await run_polling(services(background=True), stop)
    assert gc.get_freeze_count() > 0
