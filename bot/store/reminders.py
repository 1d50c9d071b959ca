"""Rows that make reminders exactly-once: one row per reminder key, snoozes, paper submissions.

A reminder key (rule, person, subject, slot) is inserted in the same transaction as the outbox
row that carries the message, under the scheduler's leader lock; the unique constraint is the
last line of defence when two workers or a restarted one look at the same slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.dialects import insert_for, prebuilt
from bot.store.models import Base, UTCDateTime

SENT = "sent"  # queued in the outbox
SKIPPED = "skipped"  # its sending window passed while nobody could send it
UNREACHED = "unreached"  # no channel reaches the person: on the office's list
HANDOFF, HANDOFF_SLOT = "handoff", "push"  # the rule and slot of a pushed hand-off notice


class ReminderLog(Base):
    """One row per reminder key, whatever became of it."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("rule", "person_id", "subject", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    slot: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32), default="")
    route: Mapped[str] = mapped_column(String(16), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSnooze(Base):
    """ "Nhắc lại sau": one more reminder of the subject to the person at `until`."""

    __tablename__ = "reminder_snoozes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired: Mapped[bool] = mapped_column(Boolean, default=False)


class PaperSubmission(Base):
    """ "Đã nộp bằng văn bản": the unit says it filed on paper; the office checks it."""

    __tablename__ = "paper_submissions"
    __table_args__ = (UniqueConstraint("unit_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    subject: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderPolicyRow(Base):
    """A movement's reminder offsets and escalation, when it differs from the defaults."""

    __tablename__ = "reminder_policies"

    movement_id: Mapped[int] = mapped_column(
        ForeignKey("movements.id", ondelete="CASCADE"), primary_key=True
    )
    offsets: Mapped[list[int]] = mapped_column(JSON)
    repeat_every_days: Mapped[int] = mapped_column(Integer, default=7)
    repeat_times: Mapped[int] = mapped_column(Integer, default=8)
    working_days: Mapped[bool] = mapped_column(Boolean, default=False)
    escalate_cluster_after: Mapped[int] = mapped_column(Integer, default=3)
    escalate_office_after: Mapped[int] = mapped_column(Integer, default=7)


@dataclass(frozen=True)
class Key:
    rule: str
    person_id: int
    subject: str
    slot: str


def recorded(session: Session, subjects: Iterable[str]) -> set[Key]:
    """Every key already written for these subjects."""
    wanted = sorted(set(subjects))
    found: set[Key] = set()
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(
                ReminderLog.rule, ReminderLog.person_id, ReminderLog.subject, ReminderLog.slot
            ).where(ReminderLog.subject.in_(wanted[start : start + 500]))
        )
        found.update(Key(*row) for row in rows)
    return found


def _insert_keys(dialect: str) -> Any:
    """Built once per dialect (dialects.prebuilt): values go in as parameters, not literals;
    building a statement per row cost more than running it."""
    return insert_for(dialect)(ReminderLog).on_conflict_do_nothing()


def _insert_keys_returning(dialect: str) -> Any:
    return _insert_keys(dialect).returning(
        ReminderLog.id,
        ReminderLog.rule,
        ReminderLog.person_id,
        ReminderLog.subject,
        ReminderLog.slot,
    )


def _values(
    key: Key,
    *,
    status: str,
    due_at: datetime,
    now: datetime,
    unit_id: int | None,
    channel: str = "",
    route: str = "",
) -> dict[str, Any]:
    return {
        "rule": key.rule,
        "person_id": key.person_id,
        "subject": key.subject,
        "slot": key.slot,
        "unit_id": unit_id,
        "status": status,
        "channel": channel,
        "route": route,
        "due_at": due_at,
        "created_at": now,
    }


@dataclass(frozen=True)
class Entry:
    key: Key
    status: str
    due_at: datetime
    unit_id: int | None
    channel: str = ""
    route: str = ""


def record_many(session: Session, entries: list[Entry], *, now: datetime) -> dict[Key, int]:
    """Inserts the keys in one round trip; the ids of those this call wrote (a key another
    worker wrote first is absent)."""
    if not entries:
        return {}
    params = [
        _values(
            e.key,
            status=e.status,
            due_at=e.due_at,
            now=now,
            unit_id=e.unit_id,
            channel=e.channel,
            route=e.route,
        )
        for e in entries
    ]
    statement = prebuilt(session, "reminder_keys_returning", _insert_keys_returning)
    result = session.connection().execute(statement, params)
    return {Key(rule, person, subject, slot): int(i) for i, rule, person, subject, slot in result}


@dataclass(frozen=True)
class Skip:
    key: Key
    due_at: datetime
    unit_id: int | None


def record_skipped(session: Session, skipped: list[Skip], *, now: datetime) -> None:
    """Writes the keys of slots that passed unsent, in one round trip."""
    if skipped:
        params = [
            _values(s.key, status=SKIPPED, due_at=s.due_at, now=now, unit_id=s.unit_id)
            for s in skipped
        ]
        session.connection().execute(prebuilt(session, "reminder_keys", _insert_keys), params)


def pushed_handoffs(session: Session, person_id: int, subjects: Iterable[str]) -> set[str]:
    """Which of these hand-off notices were pushed to a chat of the person (the notices on
    their next message leave those out)."""
    wanted = sorted({s[:64] for s in subjects})
    if not wanted:
        return set()
    query = select(ReminderLog.subject).where(
        ReminderLog.rule == HANDOFF,
        ReminderLog.person_id == person_id,
        ReminderLog.status == SENT,
        ReminderLog.subject.in_(wanted),
    )
    return set(session.scalars(query))


def reminder(session: Session, reminder_id: int) -> ReminderLog | None:
    return session.get(ReminderLog, reminder_id)


def snooze(
    session: Session,
    *,
    person_id: int,
    subject: str,
    unit_id: int | None,
    until: datetime,
    now: datetime,
) -> ReminderSnooze:
    """Replaces the person's pending snooze of the subject, so pressing twice fires once."""
    session.execute(
        update(ReminderSnooze)
        .where(
            ReminderSnooze.person_id == person_id,
            ReminderSnooze.subject == subject,
            ReminderSnooze.fired.is_(False),
        )
        .values(fired=True)
    )
    row = ReminderSnooze(
        person_id=person_id, subject=subject, unit_id=unit_id, until=until, created_at=now
    )
    session.add(row)
    session.flush()
    return row


def pending_snoozes(session: Session, subjects: Iterable[str]) -> list[ReminderSnooze]:
    wanted = sorted(set(subjects))
    if not wanted:
        return []
    return list(
        session.scalars(
            select(ReminderSnooze).where(
                ReminderSnooze.fired.is_(False), ReminderSnooze.subject.in_(wanted)
            )
        )
    )


def mark_fired(session: Session, snooze_id: int) -> None:
    session.execute(update(ReminderSnooze).where(ReminderSnooze.id == snooze_id).values(fired=True))


def paper_submitted(session: Session) -> set[tuple[int, str]]:
    """(unit, subject) pairs a unit declared filed on paper."""
    rows = session.execute(select(PaperSubmission.unit_id, PaperSubmission.subject))
    return {(unit_id, subject) for unit_id, subject in rows}


def mark_paper(
    session: Session, *, unit_id: int, subject: str, person_id: int, note: str, now: datetime
) -> bool:
    """Records the declaration once; False when the unit had already declared it."""
    statement = (
        insert_for(session.get_bind().dialect.name)(PaperSubmission)
        .values(unit_id=unit_id, subject=subject, person_id=person_id, note=note, at=now)
        .on_conflict_do_nothing()
        .returning(PaperSubmission.id)
    )
    return session.scalar(statement) is not None


def policy_rows(session: Session) -> dict[int, ReminderPolicyRow]:
    return {row.movement_id: row for row in session.scalars(select(ReminderPolicyRow))}
