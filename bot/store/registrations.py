"""Persistence for the registration form: registrations and their versions, guarded by a version.

Every function takes a Session and never commits: the router owns one transaction per message,
so a step's writes, its audit rows and the conversation's new state land together or not at all.

Optimistic concurrency: a write names the version it started from and is a conditional UPDATE
(`WHERE version = :expected`); when someone else got there first it raises `Conflict` before
writing anything, and the caller keeps the loser's draft so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from bot.store import org
from bot.store.conversations import Conflict
from bot.store.models import (
    Person,
    Registration,
    RegistrationLine,
    RegistrationVersion,
    Target,
)

Draft = dict[str, Any]

# Registration.status values; the flows and the office's review move between them.
DRAFT = "draft"
PENDING_HEAD = "pending_confirmation"  # drafted by an officer, waiting for the unit head
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"


_REGISTRATION_OF = select(Registration).where(
    Registration.unit_id == bindparam("unit_id"),
    Registration.movement_id == bindparam("movement_id"),
)


def registration_of(session: Session, unit_id: int, movement_id: int) -> Registration | None:
    return session.scalar(_REGISTRATION_OF, {"unit_id": unit_id, "movement_id": movement_id})


def to_draft(reg: Registration) -> Draft:
    """A stored registration as the JSON draft the registration flow edits."""
    return {
        "movement_id": reg.movement_id,
        "unit_id": reg.unit_id,
        "reg_id": reg.id,
        "base_version": reg.version,
        "status": reg.status,
        "return_reason": reg.return_reason,
        "collective": reg.collective_title,
        "lines": [
            {"title": line.title_code, "names": _names(line.names), "count": line.count}
            for line in reg.lines
        ],
        "targets": [
            {
                "description": t.description,
                "unit": t.unit_of_measure,
                "value": str(t.target_value),
                "due": t.due_date.isoformat() if t.due_date else "",
            }
            for t in reg.targets
        ],
    }


def _names(text: str) -> list[str]:
    return [name for name in text.split("\n") if name]


def snapshot(reg: Registration) -> Draft:
    """The frozen copy kept for each version: content and status, nothing conversational."""
    draft = to_draft(reg)
    for key in ("reg_id", "base_version", "return_reason"):
        draft.pop(key)
    return draft


@dataclass(frozen=True)
class Saved:
    """What a write stored: the registration's id, its new version and status."""

    id: int
    version: int
    status: str


def write_registration(
    session: Session,
    draft: Draft,
    *,
    status: str,
    person_id: int | None,
    now: datetime,
    force: bool = False,
) -> Saved:
    """Store the draft as the registration's next version, with a snapshot and an audit row.

    Raises Conflict (having written nothing) when the stored version is not the draft's
    `base_version`, unless `force` (the person saw the conflict and chose to save theirs).
    """

    def fill(reg: Registration) -> None:
        reg.status = status
        reg.collective_title = draft.get("collective", "")
        if status in (SUBMITTED, PENDING_HEAD):
            reg.return_reason = ""
        if status == PENDING_HEAD or reg.drafted_by is None:
            reg.drafted_by = person_id
        if status == SUBMITTED:
            reg.submitted_by = person_id
            reg.submitted_at = now.astimezone(UTC)
        _replace_lines(reg, draft.get("lines", []))
        _replace_targets(reg, draft.get("targets", []))

    reg, created = _claim(session, draft, fill, force=force)
    before = None
    if not created:
        before = snapshot(reg) if reg.version > 1 else None
        fill(reg)
        session.flush()
        _reread_targets(session, reg)
    after = snapshot(reg)
    _version_row(session, reg, person_id, now, after)
    org.audit(
        session,
        person_id=person_id,
        action=f"registration.{status}",
        entity="registration",
        entity_id=reg.id,
        before=before,
        after=after,
        now=now,
    )
    draft["reg_id"], draft["base_version"], draft["status"] = reg.id, reg.version, reg.status
    return Saved(reg.id, reg.version, reg.status)


def _insert_new(session: Session, reg: Registration) -> None:
    """Insert a new registration built by `fill`, with its lines and targets. The INSERT runs
    in a savepoint: a unit registering twice at once trips the unique key there, and only the
    savepoint rolls back."""
    with session.begin_nested():
        session.add(reg)
        session.flush()
    _reread_targets(session, reg)


def set_status(
    session: Session,
    reg_id: int,
    expected_version: int,
    *,
    status: str,
    person_id: int | None,
    now: datetime,
    reason: str = "",
) -> Registration:
    """Move a registration to `status` (confirm, approve, return) as a new version."""
    reg = session.get(Registration, reg_id)
    assert reg is not None
    before = snapshot(reg)
    reg = _bump(session, reg_id, expected_version)
    reg.status = status
    reg.return_reason = reason
    if status == SUBMITTED:
        reg.submitted_by = person_id
        reg.submitted_at = now.astimezone(UTC)
    session.flush()
    _version_row(session, reg, person_id, now)
    org.audit(
        session,
        person_id=person_id,
        action=f"registration.{status}",
        entity="registration",
        entity_id=reg.id,
        before=before,
        after={**snapshot(reg), "reason": reason} if reason else snapshot(reg),
        now=now,
    )
    return reg


_TARGET_VALUES = select(Target.id, Target.target_value).where(
    Target.registration_id == bindparam("registration_id")
)


def _reread_targets(session: Session, reg: Registration) -> None:
    """The target values as the database now holds them (Numeric(20, 4): 95.5 is 95.5000).

    One query instead of refreshing the registration and both its collections: every other
    column written comes back exactly as it was set, and the collections are in position order.
    """
    rows = session.execute(_TARGET_VALUES, {"registration_id": reg.id})
    stored = {target_id: value for target_id, value in rows}
    for target in reg.targets:
        set_committed_value(target, "target_value", stored[target.id])


def _claim(
    session: Session, draft: Draft, fill: Callable[[Registration], None], *, force: bool
) -> tuple[Registration, bool]:
    """The row to write, its version already bumped, and whether it is new.

    A new row is inserted already `fill`ed, lines and targets with it (see `_insert_new`).
    Only a row someone else inserted first makes that a Conflict; any other error is raised
    as is.
    """
    reg_id = draft.get("reg_id")
    if reg_id is None:
        # Not forced, a registration someone else made meanwhile is a Conflict either way: the
        # unique (unit, movement) key says so on the INSERT, without a SELECT before it.
        existing = (
            registration_of(session, draft["unit_id"], draft["movement_id"]) if force else None
        )
        if existing is None:
            reg = Registration(
                unit_id=draft["unit_id"], movement_id=draft["movement_id"], version=1
            )
            reg.lines, reg.targets = [], []
            fill(reg)
            try:
                _insert_new(session, reg)
            except IntegrityError:
                raced = registration_of(session, draft["unit_id"], draft["movement_id"])
                if raced is None:
                    raise
                raise _conflict_for(session, raced) from None
            return reg, True
        reg_id = existing.id
    current = session.get(Registration, reg_id)
    assert current is not None
    session.refresh(current)
    expected = current.version if force else int(draft.get("base_version", 0))
    return _bump(session, reg_id, expected), False


def _bump(session: Session, reg_id: int, expected: int) -> Registration:
    result = session.execute(
        update(Registration)
        .where(Registration.id == reg_id, Registration.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    reg = session.get(Registration, reg_id)
    assert reg is not None
    session.refresh(reg)
    if getattr(result, "rowcount", 0) != 1:
        raise _conflict_for(session, reg)
    return reg


def _conflict_for(session: Session, reg: Registration) -> Conflict:
    row = session.scalar(
        select(RegistrationVersion)
        .where(RegistrationVersion.registration_id == reg.id)
        .order_by(RegistrationVersion.version.desc())
        .limit(1)
    )
    by = ""
    at = None
    if row is not None:
        at = org.aware(row.created_at)
        person = session.get(Person, row.created_by) if row.created_by else None
        by = person.full_name if person else ""
    return Conflict(reg.version, by, at)


def _replace_lines(reg: Registration, lines: list[Draft]) -> None:
    reg.lines.clear()
    for position, line in enumerate(lines, start=1):
        reg.lines.append(
            RegistrationLine(
                position=position,
                title_code=line["title"],
                names="\n".join(line.get("names", [])),
                count=int(line.get("count", 0)),
            )
        )


def _replace_targets(reg: Registration, targets: list[Draft]) -> None:
    """Update targets in place by position: reports already filed point at these rows."""
    for position, item in enumerate(targets, start=1):
        if position <= len(reg.targets):
            row = reg.targets[position - 1]
        else:
            row = Target(position=position, description="", target_value=Decimal(0))
            reg.targets.append(row)
        row.description = item["description"]
        row.unit_of_measure = item.get("unit", "")
        row.target_value = Decimal(item["value"])
        row.due_date = date.fromisoformat(item["due"]) if item.get("due") else None
    del reg.targets[len(targets) :]


_VERSION_ROW = insert(cast(Table, RegistrationVersion.__table__))


def _version_row(
    session: Session,
    reg: Registration,
    person_id: int | None,
    now: datetime,
    frozen: Draft | None = None,
) -> None:
    """The frozen copy of this version (`frozen`: `snapshot(reg)` if already made), written now.

    A Core INSERT: nothing reads the row back in this transaction through the ORM, and a flush
    of one new object costs several times the statement.
    """
    row = {
        "registration_id": reg.id,
        "version": reg.version,
        "snapshot": snapshot(reg) if frozen is None else frozen,
        "created_at": now.astimezone(UTC),
        "created_by": person_id,
    }
    session.flush()  # the registration's own changes go first, as when this was an ORM add
    session.execute(_VERSION_ROW, row)


def with_status(
    session: Session, status: str, unit_id: int | None = None, *, details: bool = True
) -> list[Registration]:
    """`details=False`: the lines and targets are not loaded with the rows (a list that
    shows neither); they still load if read."""
    query = select(Registration).where(Registration.status == status)
    if not details:
        query = query.options(lazyload(Registration.lines), lazyload(Registration.targets))
    if unit_id is not None:
        query = query.where(Registration.unit_id == unit_id)
    return list(session.scalars(query.order_by(Registration.id)))


def get(session: Session, reg_id: int) -> Registration | None:
    return session.get(Registration, reg_id)
