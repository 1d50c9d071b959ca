"""The garbage collector, set for a long-running server.

A server starts with hundreds of thousands of objects that live as long as it does (modules,
SQLAlchemy's mappers, python-telegram-bot's classes); CPython's full collections walk them all
and hold every reply in flight meanwhile, and each message allocates enough (HTTP requests,
ORM rows) to trigger collections often. Frozen, start-up's objects are skipped; a higher first
threshold makes the collections rarer. Cycles among frozen objects, should any become garbage,
stay: a price the server pays once.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune_for_server() -> int:
    """Collects start-up's garbage, freezes what is left and raises the thresholds; returns
    how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    return gc.get_freeze_count()
