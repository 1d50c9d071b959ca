"""Start-up's objects, taken out of the cyclic garbage collector's sight.

A long-running process (`thidua serve`, `thidua run`) starts with a few hundred thousand
objects that live as long as it does: modules, SQLAlchemy's mappers, PTB's classes, the app.
CPython's full (generation 2) collection walks all of them, about 100-140 ms on this machine,
and stops every update and reply in flight meanwhile; in bench/channels.py one such pause,
early in the run, held back a tenth of the replies and set the p95. Frozen, they are skipped:
later full collections walk only what was made since.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collects start-up's garbage, then freezes what is left (`gc.freeze`); returns how
    many objects are now frozen. Frozen objects are still freed by reference counting, so
    the only cost is that a cycle among them, should one become garbage, stays."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("%d start-up objects frozen out of the garbage collector's full passes", frozen)
    return frozen
