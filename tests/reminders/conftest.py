"""The forms' small province, with reminders: a SQLite file, or a private PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.reminders.calendar import VN_TZ, WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.loop import ReminderScheduler
from bot.reminders.reach import DIRECT_CHANNELS, RoutingPolicy, route_by
from bot.store import reminders as rows
from bot.store.models import ChannelIdentity
from bot.store.outbox import OutboxMessage
from tests.forms.conftest import World, _postgres_schema, build_world

# The forms' world links everyone on the console; here it stands for a chat with no window.
CONSOLE_ROUTES = route_by(RoutingPolicy(direct_channels=DIRECT_CHANNELS | {"console"}))


def at(day: date, clock: time = time(8, 0)) -> datetime:
    return datetime.combine(day, clock, tzinfo=VN_TZ)


def scheduler(world: World) -> ReminderScheduler:
    """A fresh scheduler over the world's database: what a (re)started worker builds."""
    chaser = Chaser(WorkCalendar(), CONSOLE_ROUTES)
    return ReminderScheduler(world.sessions, chaser, now=world.clock)


def sent(world: World) -> list[tuple[str, str, str, str, datetime]]:
    """Every reminder queued so far: (rule, who, subject, slot, when queued), by queue order."""
    names = {v: k for k, v in world.people.items()}
    with world.sessions() as session:
        found = session.execute(
            select(
                rows.ReminderLog.rule,
                rows.ReminderLog.person_id,
                rows.ReminderLog.subject,
                rows.ReminderLog.slot,
                rows.ReminderLog.created_at,
            )
            .where(rows.ReminderLog.status == rows.SENT)
            .order_by(rows.ReminderLog.id)
        )
        return [(r, names[p], s, slot, c.astimezone(VN_TZ)) for r, p, s, slot, c in found]


def outbox(world: World, chat_id: str) -> list[OutboxMessage]:
    with world.sessions() as session:
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        )


def unlink(world: World, user: str) -> None:
    with world.sessions.begin() as session:
        identity = session.scalar(
            select(ChannelIdentity).where(ChannelIdentity.external_id == user)
        )
        assert identity is not None
        session.delete(identity)


@pytest.fixture
def sqlite_world(tmp_path: Path) -> Iterator[World]:
    built = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    yield built
    built.engine.dispose()


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[World]:
    for url in _postgres_schema():
        built = build_world(url, tmp_path / "files")
        yield built
        built.engine.dispose()
