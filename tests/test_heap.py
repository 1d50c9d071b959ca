"""The server's garbage-collector settings: start-up's objects frozen, rarer collections."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.delivery.heap import THRESHOLDS, tune_for_server


@pytest.fixture
def collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_a_server_freezes_what_start_up_left_and_collects_less_often(collector: None) -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    garbage = Cycle()
    collected: list[int] = []
    gc.callbacks.append(lambda phase, info: collected.append(info["collected"]))
    try:
        del garbage
        frozen = tune_for_server()
    finally:
        gc.callbacks.pop()
    assert sum(collected) >= 1  # the cycle was collected before the freeze
    assert frozen > 0 and gc.get_freeze_count() > 0
    assert gc.get_threshold() == THRESHOLDS
