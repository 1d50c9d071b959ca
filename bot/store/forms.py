"""Persistence for the registration form: registrations and their versions, guarded by a version.

Every function takes a Session and never commits: the router owns one transaction per message,
so a step's writes, its audit rows and the conversation's new state land together or not at all.

Optimistic concurrency: a write names the version it started from and is a conditional UPDATE
(`WHERE version = :expected`); when someone else got there first it raises `Conflict` before
writing anything, and the caller keeps the loser's draft so nothing typed is lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import org
from bot.store.conversations import Conflict as Conflict  # re-exported for the flows
from bot.store.conversations import ConversationState as ConversationState
from bot.store.conversations import load_conversation as load_conversation
from bot.store.conversations import save_conversation as save_conversation
from bot.store.models import (
    Movement,
    Person,
    Registration,
    RegistrationLine,
    RegistrationVersion,
    Target,
    TitleCatalog,
    Unit,
)

Draft = dict[str, Any]

# Registration.status values; the flows and the office's review move between them.
DRAFT = "draft"
PENDING_HEAD = "pending_confirmation"  # drafted by an officer, waiting for the unit head
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"


# --- registrations -------------------------------------------------------------------------


def _catalog(session: Session) -> list[TitleCatalog]:
    """The title catalogue, read once per transaction (prompts and summaries ask for it often)."""
    cached = session.info.get("title_catalog")
    if cached is None:
        cached = list(session.scalars(select(TitleCatalog).order_by(TitleCatalog.sort_order)))
        session.info["title_catalog"] = cached
    return list(cached)


def titles(session: Session, scope: str) -> list[TitleCatalog]:
    return [t for t in _catalog(session) if t.scope == scope]


def title_names(session: Session) -> dict[str, str]:
    return {t.code: t.name for t in _catalog(session)}


def registration_of(session: Session, unit_id: int, movement_id: int) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.unit_id == unit_id, Registration.movement_id == movement_id
        )
    )


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


def write_registration(
    session: Session,
    draft: Draft,
    *,
    status: str,
    person_id: int | None,
    now: datetime,
    force: bool = False,
) -> Registration:
    """Store the draft as the registration's next version, with a snapshot and an audit row.

    Raises Conflict (having written nothing) when the stored version is not the draft's
    `base_version`, unless `force` (the person saw the conflict and chose to save theirs).
    """
    reg = _claim(session, draft, person_id, now, force=force)
    before = snapshot(reg) if reg.version > 1 else None
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
    session.flush()
    session.refresh(reg)
    _version_row(session, reg, person_id, now)
    org.audit(
        session,
        person_id=person_id,
        action=f"registration.{status}",
        entity="registration",
        entity_id=reg.id,
        before=before,
        after=snapshot(reg),
        now=now,
    )
    draft["reg_id"], draft["base_version"], draft["status"] = reg.id, reg.version, reg.status
    return reg


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
    reg = _bump(session, reg_id, expected_version, person_id, now)
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


def _claim(
    session: Session, draft: Draft, person_id: int | None, now: datetime, *, force: bool
) -> Registration:
    """The row to write, its version already bumped; a new row when the unit has none."""
    reg_id = draft.get("reg_id")
    if reg_id is None:
        existing = registration_of(session, draft["unit_id"], draft["movement_id"])
        if existing is not None and not force:
            raise _conflict_for(session, existing)
        if existing is None:
            try:
                with session.begin_nested():
                    reg = Registration(
                        unit_id=draft["unit_id"], movement_id=draft["movement_id"], version=1
                    )
                    session.add(reg)
                    session.flush()
            except IntegrityError:
                raced = registration_of(session, draft["unit_id"], draft["movement_id"])
                assert raced is not None
                raise _conflict_for(session, raced) from None
            return reg
        reg_id = existing.id
    current = session.get(Registration, reg_id)
    assert current is not None
    session.refresh(current)
    expected = current.version if force else int(draft.get("base_version", 0))
    return _bump(session, reg_id, expected, person_id, now)


def _bump(
    session: Session, reg_id: int, expected: int, person_id: int | None, now: datetime
) -> Registration:
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
    del person_id, now
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


def _version_row(session: Session, reg: Registration, person_id: int | None, now: datetime) -> None:
    session.add(
        RegistrationVersion(
            registration_id=reg.id,
            version=reg.version,
            snapshot=snapshot(reg),
            created_at=now.astimezone(UTC),
            created_by=person_id,
        )
    )
    session.flush()


def registrations_with_status(
    session: Session, status: str, unit_id: int | None = None
) -> list[Registration]:
    query = select(Registration).where(Registration.status == status)
    if unit_id is not None:
        query = query.where(Registration.unit_id == unit_id)
    return list(session.scalars(query.order_by(Registration.id)))


def version_count(session: Session, reg_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(RegistrationVersion)
            .where(RegistrationVersion.registration_id == reg_id)
        )
        or 0
    )


def unit_name(session: Session, unit_id: int | None) -> str:
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return unit.name if unit else ""


def movement(session: Session, movement_id: int) -> Movement | None:
    return session.get(Movement, movement_id)


def person_name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.full_name if person else ""


def session_get_registration(session: Session, reg_id: int) -> Registration | None:
    return session.get(Registration, reg_id)
