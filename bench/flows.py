"""Form throughput: flow steps per second and p95 latency per step through the unit of work.

N simulated units each do a whole registration and then a progress report, one message at a
time, as the console channel would send them (typed text and button payloads), on SQLite (a
file, WAL) and on PostgreSQL (a private schema on 127.0.0.1:5432, dropped at the end) in one
run. Each step is one `Turns.run` (bot.delivery.turns): the core Router's turn in a
transaction of its own, as the console runs it (no dedupe key, replies returned rather than
queued). Q&A is a stub: this measures the forms engine and the store, not retrieval.

Prints a table, then, as the last line, one JSON object.

    python bench/flows.py [--units 40] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.core.router import Router
from bot.core.text import fold
from bot.delivery.turns import Turns
from bot.messages import Incoming, Reply
from bot.store import org
from bot.store.db import make_engine, migrate, session_factory
from bot.store.files import FileStore
from bot.store.models import (
    ChannelIdentity,
    Movement,
    Person,
    PersonRole,
    ProgressReport,
    Registration,
    ReportPeriod,
    Unit,
)
from bot.store.roles import Role

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=HCM)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# One unit's conversation: (kind, text) where kind "say" types, "press" presses a button whose
# label contains the text. 11 steps of registration, 6 of report.
SCRIPT: list[tuple[str, str]] = [
    ("say", "/dangky"),
    ("press", "xuất sắc"),
    ("press", "Lao động tiên tiến"),
    ("say", "12"),
    ("press", "Xong"),
    ("press", "Thêm chỉ tiêu"),
    ("say", "Tỷ lệ hồ sơ giải quyết đúng hạn"),
    ("press", "%"),
    ("say", "95,5"),
    ("press", "Hết phong trào"),
    ("press", "Xong"),
    ("press", "Xác nhận và nộp"),
    ("say", "báo cáo tiến độ"),
    ("say", "85%"),
    ("say", "Đã giải quyết đúng hạn phần lớn hồ sơ; còn chậm ở lĩnh vực đất đai."),
    ("press", "Xong"),
    ("press", "Xác nhận và nộp"),
]


class StubQA:
    def ask(self, message: Incoming, *, session: Session | None = None) -> Reply:
        return Reply("[Hỏi đáp]", found=False)


@dataclass
class Result:
    backend: str
    steps: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # this process's CPU time: well below `seconds` means waiting

    @property
    def cpu_share(self) -> float:
        """CPU time over wall time: I/O waits (PostgreSQL) or a busy machine lower it."""
        return self.cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_step(self) -> float:
        """This process's CPU per step: steadier than steps/s on a machine others are using."""
        return 1000 * self.cpu_seconds / self.steps if self.steps else 0.0

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def seed(sessions: sessionmaker[Session], units: int) -> list[str]:
    """A movement with a Q1 period and `units` units, each with a linked head; returns chat ids."""
    users = []
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    with sessions.begin() as session:
        org.seed_titles(session)
        movement = Movement(
            code="PT2026",
            title="Thi đua thực hiện thắng lợi nhiệm vụ năm 2026",
            year=2026,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            registration_deadline=date(2026, 3, 31),
        )
        movement.periods = [
            ReportPeriod(
                code="Q1",
                name="Quý 1",
                kind="tiến độ",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 3, 31),
                deadline=date(2026, 4, 10),
            )
        ]
        session.add(movement)
        for i in range(units):
            unit = Unit(code=f"U{i:04d}", name=f"Đơn vị số {i}")
            session.add(unit)
            session.flush()
            person = Person(full_name=f"Thủ trưởng {i}", unit_id=unit.id)
            person.roles = [PersonRole(role=Role.UNIT_HEAD.value)]
            session.add(person)
            session.flush()
            user = f"u{i}"
            session.add(
                ChannelIdentity(
                    channel="console", external_id=user, person_id=person.id, linked_at=linked
                )
            )
            users.append(user)
    return users


def _button_payload(replies: list[Reply], label: str) -> tuple[str, str]:
    wanted = fold(label)
    for reply in reversed(replies):
        for row in reply.buttons:
            for button in row:
                if wanted in fold(button.label):
                    return button.label, button.payload
    raise AssertionError(f"no button {label!r} in {[r.text[:60] for r in replies]}")


def step_message(user: str, kind: str, text: str, last: list[Reply]) -> Incoming:
    """A script step as the console sends it: typed text, or the press of a button of the
    user's last replies whose label contains `text`."""
    if kind == "press":
        label, payload = _button_payload(last, text)
        return Incoming("console", user, user, text=label, payload=payload)
    return Incoming("console", user, user, text=text)


def check_turn(backend: str, message: Incoming, replies: list[Reply]) -> None:
    """A step the flow refused (an error or a conflict) stops the benchmark."""
    if any(r.meta.get("error") or r.meta.get("conflict") for r in replies):
        raise AssertionError(f"{backend}: {message.chat_id} {message.text!r} -> {replies[0].text}")


def drive(turns: Turns, users: list[str], backend: str) -> Result:
    """Every unit's whole script, round-robin: units interleave as they would in production."""
    result = Result(backend, 0, 0.0)
    last: dict[str, list[Reply]] = {user: [] for user in users}
    started, cpu = time.perf_counter(), time.process_time()
    for kind, text in SCRIPT:
        for user in users:
            message = step_message(user, kind, text, last[user])
            t0 = time.perf_counter()
            replies = turns.run(message)  # one transaction
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            check_turn(backend, message, replies)
            last[user] = replies
            result.steps += 1
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu
    return result


def make_turns(sessions: sessionmaker[Session], files: Path) -> Turns:
    """The unit of work over the stub Q&A, at the bench's fixed moment."""
    return Turns(sessions, Router(StubQA(), files=FileStore(files)), lambda: NOW)


def check(sessions: sessionmaker[Session], units: int) -> None:
    """Every unit ended with a submitted registration and a submitted report."""
    with sessions() as session:
        regs = session.query(Registration).filter(Registration.status == "submitted").count()
        reports = session.query(ProgressReport).filter(ProgressReport.status == "submitted").count()
    if (regs, reports) != (units, units):
        raise AssertionError(
            f"expected {units} of each, got {regs} registrations, {reports} reports"
        )


def run(url: str, backend: str, units: int, files: Path) -> Result:
    engine = make_engine(url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        users = seed(sessions, units)
        turns = make_turns(sessions, files)
        drive(turns, users[: max(1, units // 10)], backend + "-warmup")  # imports, caches
        result = drive(turns, users[max(1, units // 10) :], backend)
        check(sessions, units)
        return result
    finally:
        engine.dispose()


@contextmanager
def postgres_schema(url: str) -> Iterator[str | None]:
    """A private schema, dropped afterwards; None when the server cannot be reached."""
    import psycopg

    try:
        admin = psycopg.connect(url.replace("+psycopg", ""), connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        print(f"PostgreSQL not reachable ({error}); skipping it", file=sys.stderr)
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=44)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{tmp}/bench.db", "sqlite", args.units, Path(tmp) / "f"))
        with postgres_schema(args.pg_url) as pg:
            if pg is not None:
                results.append(run(pg, "postgres", args.units, Path(tmp) / "f"))
    print(
        f"{'backend':<10} {'steps':>6} {'steps/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'cpu %':>6} {'cpu ms/step':>11}"
    )
    for r in results:
        print(
            f"{r.backend:<10} {r.steps:>6} {r.steps_per_s:>9.0f} {r.percentile(0.5):>8.2f} "
            f"{r.percentile(0.95):>8.2f} {max(r.latencies_ms):>8.2f} {100 * r.cpu_share:>6.0f}"
            f" {r.cpu_ms_per_step:>11.2f}"
        )
    print(f"(load average before the run: {load:.2f}; {os.cpu_count()} CPUs)")
    figures: dict[str, float | int] = {"units": args.units, "load_avg_1m": round(load, 2)}
    for r in results:
        figures[f"{r.backend}_steps"] = r.steps
        figures[f"{r.backend}_steps_per_s"] = round(r.steps_per_s, 1)
        figures[f"{r.backend}_p50_ms"] = round(r.percentile(0.5), 2)
        figures[f"{r.backend}_p95_ms"] = round(r.percentile(0.95), 2)
        figures[f"{r.backend}_mean_ms"] = round(statistics.fmean(r.latencies_ms), 2)
        figures[f"{r.backend}_cpu_share"] = round(r.cpu_share, 2)
        figures[f"{r.backend}_cpu_ms_per_step"] = round(r.cpu_ms_per_step, 3)
    figures["steps"] = sum(r.steps for r in results)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
