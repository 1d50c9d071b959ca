"""The process's Prometheus metrics, in one module every layer may import (it imports only the
standard library and prometheus_client), so the delivery, the reminders and the core count
what they do without knowing who reads it.

Counters and the turn histogram live in the process. Gauges that describe shared state (the
outbox backlog, the index size) are read at scrape time instead (`render`), so every process
reports the same truth and none keeps a number that goes stale.

Several processes: each process of a deployment (a compose replica, a machine) serves its own
`/metrics`, and Prometheus scrapes each target and sums. The processes of one
`thidua serve --workers N` share a port, so a scrape would reach one of them at random: there
the server sets PROMETHEUS_MULTIPROC_DIR before the workers start, each writes its counters to
files in it, and whichever answers the scrape adds them all up (prometheus_client's
multiprocess mode).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

UPDATES_RECEIVED = Counter(
    "thidua_updates_received", "Updates stored in the inbox (webhook or poll).", ["channel"]
)
UPDATES_PROCESSED = Counter(
    "thidua_updates_processed",
    "Updates the worker finished: handled, dead_letter, or retry (given back for later).",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "thidua_turn_seconds",
    "One update's unit of work: its turn, replies queued and commit.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SENDS = Counter(
    "thidua_sends",
    "Send attempts by result: sent, 429, 5xx (or network), uncertain, blocked, failed (bad"
    " request), dead_letter (retries spent: the office's failed list), expired.",
    ["channel", "result"],
)
REMINDERS = Counter(
    "thidua_reminders",
    "Reminders and summaries: queued, unreached (no chat), skipped (slot passed), sent.",
    ["outcome"],
)
REMINDER_PASSES = Counter(
    "thidua_reminder_passes",
    "Reminder rounds of this process: led (it ran the pass) or aside (another process held"
    " the leader lock); summed over a cluster, one pass at a time leads.",
    ["role"],
)
QUESTIONS = Counter(
    "thidua_questions",
    "Questions: answered (search), curated (the office's answer) or refused.",
    ["outcome"],
)


@dataclass(frozen=True)
class Reading:
    """A gauge read at scrape time."""

    name: str
    help: str
    value: float


_probes: dict[str, tuple[str, Callable[[], float]]] = {}


def probe(name: str, help_text: str, read: Callable[[], float]) -> None:
    """Registers a gauge that `read` computes at each scrape (the composition root wires the
    index's size here); a later call with the same name replaces it."""
    _probes[name] = (help_text, read)


class _Readings(Collector):
    def __init__(self, readings: list[Reading]) -> None:
        self._readings = readings

    def collect(self) -> Iterator[Metric]:
        for reading in self._readings:
            yield GaugeMetricFamily(reading.name, reading.help, value=reading.value)


def _probed() -> list[Reading]:
    readings = []
    for name, (help_text, read) in _probes.items():
        try:
            readings.append(Reading(name, help_text, float(read())))
        except Exception:  # one broken probe must not cost the whole scrape
            log.warning("metric %s not read", name, exc_info=True)
    return readings


def render(extra: Sequence[Reading] = ()) -> tuple[bytes, str]:
    """The Prometheus text of this process (of all the server's processes in multiprocess
    mode), with the probes and `extra` scrape-time gauges; and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(_Readings([*_probed(), *extra]))
    return generate_latest(counted) + generate_latest(gauges), CONTENT_TYPE_LATEST
