"""Dashboard pages: p50 and p95 server time of each page and of an approve action.

A province of 2,000 units in 40 clusters, 10,000 people, 3 running movements with 5 report
periods each, registrations for 90% of the units in every movement (mostly approved or
submitted), 20,000 progress reports and an office person, seeded with bulk Core inserts. The
office person signs in through the real one-time link (the link's page, then its button's POST),
then the real app (bot.web.app.mount) is asked, through FastAPI's TestClient, for the movements
page, a unit's page, the review page and the audit log (unfiltered, by a unit's code, by a
person's name; one row per registration and per report seeded), repeatedly, and approves
submitted registrations one by one. Server time is measured inside the app by a middleware
(request in to response out, the page rendered), on SQLite (a file, WAL) and on PostgreSQL
(a private schema on 127.0.0.1:5432, dropped at the end; skipped with the reason when unreachable).
The garbage collector is set as `thidua serve` sets it (bot.delivery.heap) once the app is built.

Prints a table, then, as the last line, one JSON object.

    python bench/dashboard.py [--repeat 30] [--units 2000] [--pg-url postgresql+psycopg://...]
        [--pages movements,movements_late] [--backends sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi import FastAPI, Request, Response  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from flows import PG_URL, postgres_schema  # noqa: E402
from sqlalchemy import Table, func, insert, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bot.delivery.heap import tune_for_server  # noqa: E402
from bot.reminders.calendar import WorkCalendar  # noqa: E402
from bot.reminders.handoffs import HandoffPusher  # noqa: E402
from bot.reminders.reach import RoutingPolicy, route_by  # noqa: E402
from bot.store import org, web_sessions  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory  # noqa: E402
from bot.store.models import (  # noqa: E402
    AuditLog,
    ChannelIdentity,
    Cluster,
    ClusterMember,
    Movement,
    Person,
    PersonRole,
    ProgressReport,
    Registration,
    RegistrationLine,
    RegistrationVersion,
    ReportPeriod,
    Target,
    Unit,
)
from bot.store.roles import Role  # noqa: E402
from bot.web.app import mount  # noqa: E402
from bot.web.dashboard import Dashboard  # noqa: E402

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=HCM)
PEOPLE_PER_UNIT = 5
CLUSTER_SIZE = 50
MOVEMENTS = 3
REPORTS = 20_000
# Registration states of the seeded units, by share (the rest have none).
STATES = [("approved", 0.55), ("submitted", 0.25), ("pending_confirmation", 0.05)]
STATES += [("returned", 0.03), ("draft", 0.02)]
PAGES = (
    *("movements", "movements_late", "unit", "review", "questions", "org", "exports"),
    *("audit", "audit_unit", "audit_person", "approve"),
)


def table(model: Any) -> Table:
    found: Table = model.__table__
    return found


def bulk(session: Session, model: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    """executemany INSERTs, a chunk at a time."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(table(model)), rows[start : start + chunk])


def seed(sessions: sessionmaker[Session], units: int, rng: random.Random) -> int:
    """The province; returns the office person's id. Ids are given, not read back."""
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    submitted = datetime(2026, 3, 20, 8, tzinfo=UTC)
    with sessions.begin() as session:
        org.seed_titles(session)
        bulk(
            session,
            Unit,
            [
                {
                    "id": i,
                    "code": f"U{i:04d}",
                    "name": f"Đơn vị số {i:04d}",
                    "unit_type": "sở",
                    "parent_id": None,
                }
                for i in range(1, units + 1)
            ],
        )
        clusters = (units + CLUSTER_SIZE - 1) // CLUSTER_SIZE
        bulk(
            session,
            Cluster,
            [
                {
                    "id": c,
                    "code": f"C{c:02d}",
                    "name": f"Cụm thi đua số {c:02d}",
                    "kind": "cụm",
                    "year": 2026,
                    "lead_unit_id": (c - 1) * CLUSTER_SIZE + 1,
                    "deputy_unit_id": None,
                }
                for c in range(1, clusters + 1)
            ],
        )
        bulk(
            session,
            ClusterMember,
            [
                {"cluster_id": (u - 1) // CLUSTER_SIZE + 1, "unit_id": u}
                for u in range(1, units + 1)
            ],
        )
        people, roles, chats = [], [], []
        for u in range(1, units + 1):
            for k in range(PEOPLE_PER_UNIT):
                pid = (u - 1) * PEOPLE_PER_UNIT + k + 1
                people.append(
                    {
                        "id": pid,
                        "full_name": f"Cán bộ {u}-{k}",
                        "phone": "",
                        "position": "",
                        "unit_id": u,
                    }
                )
                role = (Role.UNIT_HEAD, Role.UNIT_OFFICER)[k] if k < 2 else Role.CADRE
                roles.append({"person_id": pid, "role": role.value})
                if k < 2:
                    chats.append(
                        {
                            "channel": "telegram",
                            "external_id": str(pid),
                            "person_id": pid,
                            "linked_at": linked,
                            "last_interaction_at": linked,
                        }
                    )
        office = units * PEOPLE_PER_UNIT + 1
        people.append(
            {
                "id": office,
                "full_name": "Ban Thi đua - Khen thưởng",
                "phone": "",
                "position": "",
                "unit_id": None,
            }
        )
        roles.append({"person_id": office, "role": Role.OFFICE_ADMIN.value})
        bulk(session, Person, people)
        bulk(session, PersonRole, roles)
        bulk(session, ChannelIdentity, chats)
        periods: dict[int, list[int]] = {}
        for m in range(1, MOVEMENTS + 1):
            session.execute(
                insert(table(Movement)),
                {
                    "id": m,
                    "code": f"PT{m}",
                    "title": f"Phong trào thi đua số {m} năm 2026",
                    "theme": "",
                    "motto": "",
                    "kind": "thường xuyên",
                    "year": 2026,
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 12, 31),
                    "registration_deadline": date(2026, 3, 31),
                    "pledge_deadline": date(2026, 4, 30) if m == 1 else None,
                },
            )
            rows = [(f"Q{q}", f"Quý {q}", date(2026, 3 * q - 2, 1)) for q in range(1, 5)]
            rows.append(("6T", "Sơ kết 6 tháng", date(2026, 1, 1)))
            periods[m] = []
            for code, name, start in rows:
                pid = m * 10 + len(periods[m])
                end = date(2026, 6, 30) if code == "6T" else start + timedelta(days=89)
                session.execute(
                    insert(table(ReportPeriod)),
                    {
                        "id": pid,
                        "movement_id": m,
                        "code": code,
                        "name": name,
                        "kind": "sơ kết" if code == "6T" else "tiến độ",
                        "start_date": start,
                        "end_date": end,
                        "deadline": end + timedelta(days=10),
                    },
                )
                periods[m].append(pid)
        regs, lines, targets, versions = [], [], [], []
        reportable: list[tuple[int, int]] = []  # (registration id, movement id)
        reg_id = 0
        for m in range(1, MOVEMENTS + 1):
            for u in range(1, units + 1):
                pick, status = rng.random(), None
                for name, share in STATES:
                    if pick < share:
                        status = name
                        break
                    pick -= share
                if status is None:
                    continue
                reg_id += 1
                head = (u - 1) * PEOPLE_PER_UNIT + 1
                sent = status in ("approved", "submitted")
                version = 3 if status == "approved" else 2
                regs.append(
                    {
                        "id": reg_id,
                        "unit_id": u,
                        "movement_id": m,
                        "status": status,
                        "version": version,
                        "collective_title": "TTLĐXS",
                        "drafted_by": head + 1,
                        "submitted_by": head if sent else None,
                        "submitted_at": submitted if sent else None,
                        "return_reason": "",
                    }
                )
                lines.append(
                    {
                        "registration_id": reg_id,
                        "position": 0,
                        "title_code": "LĐTT",
                        "names": "",
                        "count": 12,
                    }
                )
                for t in range(2):
                    targets.append(
                        {
                            "registration_id": reg_id,
                            "position": t,
                            "description": f"Chỉ tiêu {t + 1}",
                            "measure": "",
                            "unit_of_measure": "%",
                            "baseline": None,
                            "target_value": 95,
                            "due_date": None,
                        }
                    )
                for v in range(1, version + 1):
                    versions.append(
                        {
                            "registration_id": reg_id,
                            "version": v,
                            "snapshot": {"status": status, "version": v},
                            "created_at": submitted,
                            "created_by": head,
                        }
                    )
                if sent:
                    reportable.append((reg_id, m))
        bulk(session, Registration, regs)
        bulk(session, RegistrationLine, lines)
        bulk(session, Target, targets)
        bulk(session, RegistrationVersion, versions)
        slots = [(r, p) for r, m in reportable for p in periods[m]]
        reports = [
            {
                "registration_id": r,
                "period_id": p,
                "status": "submitted",
                "version": 1,
                "late": rng.random() < 0.1,
                "narrative": "Đã thực hiện đúng tiến độ.",
                "submitted_by": None,
                "submitted_at": submitted,
            }
            for r, p in rng.sample(slots, min(REPORTS, len(slots)))
        ]
        bulk(session, ProgressReport, reports)
        audit = [  # who filed what: a row per registration and per report
            {
                "at": submitted - timedelta(minutes=i),
                "person_id": None,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": None,
                "after": {"status": "submitted"},
            }
            for i, (action, entity, entity_id) in enumerate(
                [("registration.submitted", "registration", r) for r, _m in reportable]
                + [("report.submitted", "progress_report", i + 1) for i in range(len(reports))]
            )
        ]
        bulk(session, AuditLog, audit)
    return office


def make_app(sessions: sessionmaker[Session], times: dict[str, list[float]]) -> FastAPI:
    """The dashboard as bot.cli.web mounts it, plus a middleware timing each request."""
    app = FastAPI()
    policy = RoutingPolicy(direct_channels=frozenset({"telegram"}))
    dashboard = Dashboard(
        sessions=sessions,
        secret="bench-secret",
        public_url="http://testserver",
        now=lambda: NOW,
        tz=HCM,
        push=HandoffPusher(WorkCalendar(), route_by(policy)),
    )
    mount(app, dashboard)

    @app.middleware("http")
    async def timed(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        t0 = time.perf_counter()
        response = await call_next(request)  # the route ran and rendered its page
        page = request.headers.get("x-bench-page")
        if page:
            times.setdefault(page, []).append((time.perf_counter() - t0) * 1000)
        return response

    return app


def sign_in(client: TestClient, sessions: sessionmaker[Session], person_id: int) -> None:
    """The one-time link as /web issues it, then its page and its button, as a browser does."""
    with sessions.begin() as session:
        token = web_sessions.create_link(session, person_id, now=NOW, ttl=web_sessions.LINK_TTL)
    page = client.get(f"/web/login/{token}")
    assert page.status_code == 200, page.text
    done = client.post(
        f"/web/login/{token}",
        data={"csrf": client.cookies.get("thidua_login")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def csrf_of(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        found = session.scalar(
            select(web_sessions.WebSession.csrf).order_by(web_sessions.WebSession.id.desc())
        )
    assert found
    return found


@dataclass
class Result:
    backend: str
    seed_s: float
    times: dict[str, list[float]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def percentile(self, page: str, q: float) -> float:
        ordered = sorted(self.times.get(page, []))
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(url: str, backend: str, units: int, repeat: int, pages: tuple[str, ...] = PAGES) -> Result:
    """Seeds, signs in, then asks for each of `pages` `repeat` times (after two warm-ups)."""
    engine = make_engine(url)
    try:
        migrate(engine)
        sessions = session_factory(engine)
        t0 = time.perf_counter()
        office = seed(sessions, units, random.Random(19))
        result = Result(backend, time.perf_counter() - t0)
        timed: dict[str, list[float]] = {}
        app = make_app(sessions, timed)
        tune_for_server()  # as `thidua serve` does once its app is built
        with TestClient(app) as client:
            sign_in(client, sessions, office)
            csrf = csrf_of(sessions)
            with sessions() as session:
                waiting = list(
                    session.execute(
                        select(Registration.id, Registration.version)
                        .where(Registration.status == "submitted")
                        .order_by(Registration.id)
                    )
                )
                counted = session.scalar(select(func.count()).select_from(ProgressReport))
            print(
                f"{backend}: seeded in {result.seed_s:.1f} s ({units} units, {counted} reports,"
                f" {len(waiting)} registrations waiting)",
                file=sys.stderr,
            )
            rng = random.Random(7)
            paths = {
                "movements": lambda: "/web/movements",
                "movements_late": lambda: "/web/movements?movement=1&overdue=dk",
                "unit": lambda: f"/web/units/{rng.randint(1, units)}",
                "review": lambda: "/web/review",
                "questions": lambda: "/web/questions",
                "org": lambda: "/web/org",
                "exports": lambda: "/web/exports",
                "audit": lambda: "/web/audit",
                "audit_unit": lambda: f"/web/audit?unit=U{rng.randint(1, units):04d}",
                "audit_person": lambda: (
                    f"/web/audit?person=c%C3%A1n+b%E1%BB%99+{rng.randint(1, units)}-0"
                ),
            }
            for i in range(repeat + 2):  # the first two warm up (imports, template compiles)
                for page, path in paths.items():
                    if page not in pages:
                        continue
                    response = client.get(path(), headers={"x-bench-page": f"{page}{i < 2}"})
                    assert response.status_code == 200, (page, response.text[:300])
                    result.sizes[page] = len(response.content)
                if "approve" not in pages:
                    continue
                reg_id, version = waiting[i]
                done = client.post(
                    f"/web/review/{reg_id}",
                    data={"csrf": csrf, "action": "approve", "version": str(version)},
                    headers={"x-bench-page": f"approve{i < 2}"},
                    follow_redirects=False,
                )
                # "unreached": the bench's people have no linked chat to tell
                assert done.headers.get("location") in (
                    "/web/review?msg=approve",
                    "/web/review?msg=unreached",
                ), done.text
        result.times = {page: timed.get(f"{page}False", []) for page in pages}
        return result
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated, of: %(default)s")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    pages = tuple(p for p in PAGES if p in args.pages.split(","))
    backends = args.backends.split(",")
    load = os.getloadavg()[0]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in backends:
            sqlite_url = f"sqlite:///{tmp}/bench.db"
            results.append(run(sqlite_url, "sqlite", args.units, args.repeat, pages))
        if "postgres" in backends:
            with postgres_schema(args.pg_url) as pg:
                if pg is not None:
                    results.append(run(pg, "postgres", args.units, args.repeat, pages))
    print(
        f"{'backend':<10} {'page':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB':>6}"
    )
    for r in results:
        for page in pages:
            got = r.times[page]
            print(
                f"{r.backend:<10} {page:<10} {len(got):>4} {r.percentile(page, 0.5):>8.1f}"
                f" {r.percentile(page, 0.95):>8.1f} {max(got, default=0):>8.1f}"
                f" {r.sizes.get(page, 0) / 1024:>6.0f}"
            )
    print(
        f"(load average before the run: {load:.2f}; {os.cpu_count()} CPUs; target: p95 ≤ 300 ms"
        " per page on SQLite)"
    )
    figures: dict[str, float | int] = {
        "units": args.units,
        "repeat": args.repeat,
        "load_avg_1m": round(load, 2),
    }
    for r in results:
        figures[f"{r.backend}_seed_s"] = round(r.seed_s, 1)
        for page in pages:
            figures[f"{r.backend}_{page}_p50_ms"] = round(r.percentile(page, 0.5), 1)
            figures[f"{r.backend}_{page}_p95_ms"] = round(r.percentile(page, 0.95), 1)
        for page, size in r.sizes.items():
            figures[f"{r.backend}_{page}_kb"] = round(size / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
