"""A small province on a SQLite file: units, a cluster, people with roles and linked chats."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.core.flows.base import Push
from bot.core.router import Router
from bot.delivery.turns import Turns
from bot.reminders import buttons
from bot.reminders.calendar import WorkCalendar
from bot.store import org
from bot.store.db import make_engine, migrate, session_factory
from bot.store.files import FileStore
from bot.store.models import (
    ChannelIdentity,
    Cluster,
    ClusterMember,
    Movement,
    Person,
    PersonRole,
    ReportPeriod,
    Unit,
)
from bot.store.roles import Role
from tests.chat import Chat, Clock, FakeQA

# chat user id -> (full name, unit code or None, roles)
PEOPLE: dict[str, tuple[str, str | None, tuple[Role, ...]]] = {
    "head": ("Nguyễn Văn Hùng", "SNV", (Role.UNIT_HEAD,)),
    "officer": ("Trần Thị Mai", "SNV", (Role.UNIT_OFFICER,)),
    "head2": ("Lê Văn Nam", "STP", (Role.UNIT_HEAD, Role.CLUSTER_LEAD)),
    "office": ("Phạm Thị Lan", "BTDKT", (Role.OFFICE_ADMIN,)),
    "cadre": ("Hoàng Văn Bình", "SNV", (Role.CADRE,)),
    "head3": ("Võ Thị Hoa", "SYT", (Role.UNIT_HEAD,)),  # another khối
    "lead3": ("Đặng Văn Tài", "SNV", (Role.CLUSTER_LEAD,)),  # the role, but SNV leads nothing
}


@dataclass
class World:
    engine: Engine
    sessions: sessionmaker[Session]
    files: FileStore
    clock: Clock = field(default_factory=Clock)
    qa: FakeQA = field(default_factory=FakeQA)
    people: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    movement_id: int = 0
    push: Push | None = None  # hand-offs pushed to the next person (None: shown on next message)

    def router(self) -> Router:
        return Router(
            self.qa,
            files=self.files,
            buttons=buttons.handlers(WorkCalendar()),
            push=self.push,
        )

    def turns(self) -> Turns:
        """A fresh router and unit of work over the same database: what a restarted process
        builds."""
        return Turns(self.sessions, self.router(), self.clock)

    def chat(self, user: str, turns: Turns | None = None) -> Chat:
        return Chat(turns or self.turns(), user)


def seed(sessions: sessionmaker[Session], world: World) -> None:
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    with sessions.begin() as session:
        org.seed_titles(session)
        for code, name in (
            ("SNV", "Sở Nội vụ"),
            ("STP", "Sở Tư pháp"),
            ("BTDKT", "Ban TĐKT"),
            ("SYT", "Sở Y tế"),
        ):
            unit = Unit(code=code, name=name)
            session.add(unit)
            session.flush()
            world.units[code] = unit.id
        cluster = Cluster(
            code="K1",
            name="Khối Nội chính",
            kind="khối",
            year=2026,
            lead_unit_id=world.units["STP"],
        )
        cluster.members = [
            ClusterMember(unit_id=world.units["SNV"]),
            ClusterMember(unit_id=world.units["STP"]),
        ]
        session.add(cluster)
        other = Cluster(
            code="K2",
            name="Khối Văn hoá - Xã hội",
            kind="khối",
            year=2026,
            lead_unit_id=world.units["SYT"],
        )
        other.members = [ClusterMember(unit_id=world.units["SYT"])]
        session.add(other)
        for user, (name, unit_code, roles) in PEOPLE.items():
            person = Person(full_name=name, unit_id=world.units[unit_code] if unit_code else None)
            person.roles = [PersonRole(role=role.value) for role in roles]
            session.add(person)
            session.flush()
            session.add(
                ChannelIdentity(
                    channel="console", external_id=user, person_id=person.id, linked_at=linked
                )
            )
            world.people[user] = person.id
        movement = Movement(
            code="PT2026",
            title="Thi đua thực hiện thắng lợi nhiệm vụ năm 2026",
            year=2026,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            registration_deadline=date(2026, 3, 31),
            pledge_deadline=date(2026, 3, 31),
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
        session.flush()
        world.movement_id = movement.id


def build_world(url: str, files_dir: Path) -> World:
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    built = World(engine, sessions, FileStore(files_dir))
    seed(sessions, built)
    return built


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_schema() -> Iterator[str]:
    """A private schema on the test server, dropped afterwards; skips when it cannot be reached."""
    import psycopg

    try:
        admin = psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({error})")
    schema = f"forms_{uuid.uuid4().hex[:12]}"
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The same province on SQLite and on PostgreSQL: the store code must not care."""
    if request.param == "sqlite":
        built = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
        yield built
        built.engine.dispose()
        return
    for url in _postgres_schema():
        built = build_world(url, tmp_path / "files")
        yield built
        built.engine.dispose()
