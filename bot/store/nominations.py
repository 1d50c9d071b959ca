"""Đề nghị khen thưởng: a unit's nomination of one of its people, itself, or a named person, for
a title or a form of commendation, with its hồ sơ (attachments), versions and audit.

Every function takes a Session and never commits (the router owns one transaction per message).
A write names the version it started from; a stale one raises `Conflict` having written nothing,
as registrations do. One nominee is nominated once per unit, year and award: the unique key
says so, and `find_same` lets the form say it before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.store import org
from bot.store.conversations import Conflict
from bot.store.models import Base, Json, UTCDateTime

Draft = dict[str, Any]

# Nomination.status values: nháp, chờ thủ trưởng, đã nộp, trả lại, đồng ý trình, không đồng ý.
DRAFT = "draft"
PENDING_HEAD = "pending_head"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
REFUSED = "refused"
STATUSES = (DRAFT, PENDING_HEAD, SUBMITTED, RETURNED, APPROVED, REFUSED)
OPEN = (DRAFT, PENDING_HEAD, SUBMITTED, RETURNED)  # not decided by the office yet

# Who is nominated.
PERSON, UNIT, NAMED = "person", "unit", "named"

# The kinds of file in a hồ sơ (Luật Thi đua, khen thưởng 2022, Điều 84): khoản 1–2 điểm a–d,
# and khoản 3's opinion of a central agency or the provincial People's Committee.
PROPOSAL, ACHIEVEMENTS, MINUTES, INITIATIVE, OPINION, OTHER = (
    "to_trinh",
    "bao_cao",
    "bien_ban",
    "sang_kien",
    "y_kien",
    "khac",
)
FILE_KINDS = (PROPOSAL, ACHIEVEMENTS, MINUTES, INITIATIVE, OPINION, OTHER)


class Nomination(Base):
    __tablename__ = "nominations"
    __table_args__ = (UniqueConstraint("year", "unit_id", "nominee_key", "award_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("movements.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    nominee_kind: Mapped[str] = mapped_column(String(16))  # PERSON | UNIT | NAMED
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    nominee_name: Mapped[str] = mapped_column(String(255), default="")
    nominee_key: Mapped[str] = mapped_column(String(300))  # see `nominee_key`
    award_code: Mapped[str] = mapped_column(String(32))  # a title's or a form's code
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    version: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str] = mapped_column(Text, default="")  # why returned or refused
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attachments: Mapped[list[NominationAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="NominationAttachment.position", lazy="selectin"
    )


class NominationAttachment(Base):
    """One file of the hồ sơ, stored once by content hash (bot.store.files)."""

    __tablename__ = "nomination_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # FILE_KINDS
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)


class NominationVersion(Base):
    """A frozen copy of each version, for the audit trail and the council's file."""

    __tablename__ = "nomination_versions"
    __table_args__ = (UniqueConstraint("nomination_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("nominations.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[Json] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class NominationSettings(Base):
    """A movement's nomination deadline and the province's quotas: data, never code.

    `quotas`: {award code: {"of": award code, "max_percent": number}}, e.g. «Chiến sĩ thi đua
    cơ sở» at most 15 % of a unit's «Lao động tiên tiến».
    """

    __tablename__ = "nomination_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(
        ForeignKey("movements.id", ondelete="CASCADE"), unique=True
    )
    deadline: Mapped[date | None] = mapped_column(Date)
    quotas: Mapped[Json] = mapped_column(JSON, default=dict)


def nominee_key(kind: str, *, person_id: int | None, unit_id: int, name: str = "") -> str:
    """Who a nomination or a result is about, as one comparable string: `p:<person id>`,
    `u:<unit id>`, or `n:<unit id>:<name folded>` for a person not in the records."""
    if kind == PERSON and person_id is not None:
        return f"p:{person_id}"
    if kind == UNIT:
        return f"u:{unit_id}"
    return f"n:{unit_id}:{fold_name(name)}"


def fold_name(name: str) -> str:
    """Lowercase, single spaces: two spellings of one name by one office compare equal."""
    return " ".join(name.lower().split())[:255]


def to_draft(nom: Nomination) -> Draft:
    """A stored nomination as the JSON draft the nomination form edits."""
    return {
        "nom_id": nom.id,
        "base_version": nom.version,
        "status": nom.status,
        "reason": nom.reason,
        "movement_id": nom.movement_id,
        "year": nom.year,
        "unit_id": nom.unit_id,
        "kind": nom.nominee_kind,
        "person_id": nom.person_id,
        "name": nom.nominee_name,
        "award": nom.award_code,
        "summary": nom.summary,
        "files": [
            {
                "kind": a.kind,
                "sha": a.content_hash,
                "name": a.filename,
                "type": a.content_type,
                "size": a.size,
            }
            for a in nom.attachments
        ],
    }


def snapshot(nom: Nomination) -> Draft:
    draft = to_draft(nom)
    for key in ("nom_id", "base_version"):
        draft.pop(key)
    return draft


@dataclass(frozen=True)
class Saved:
    id: int
    version: int
    status: str


def find_same(session: Session, draft: Draft) -> Nomination | None:
    """The unit's other nomination of the same nominee for the same award that year."""
    key = _key_of(draft)
    found = session.scalar(
        select(Nomination).where(
            Nomination.year == draft["year"],
            Nomination.unit_id == draft["unit_id"],
            Nomination.nominee_key == key,
            Nomination.award_code == draft["award"],
        )
    )
    if found is not None and found.id == draft.get("nom_id"):
        return None
    return found


def _key_of(draft: Draft) -> str:
    return nominee_key(
        draft["kind"],
        person_id=draft.get("person_id"),
        unit_id=draft["unit_id"],
        name=draft.get("name", ""),
    )


def write_nomination(
    session: Session, draft: Draft, *, status: str, person_id: int | None, now: datetime
) -> Saved:
    """Store the draft as the nomination's next version (a new row when it has no `nom_id`).

    Raises Conflict (nothing written) when the stored version is not the draft's base.
    """
    nom_id = draft.get("nom_id")
    before = None
    if nom_id is None:
        nom = Nomination(unit_id=draft["unit_id"], year=draft["year"], version=1, drafted_by=None)
        session.add(nom)
    else:
        current = session.get(Nomination, nom_id)
        assert current is not None
        before = snapshot(current)
        nom = _bump(session, nom_id, int(draft.get("base_version", 0)))
    nom.movement_id = draft.get("movement_id")
    nom.nominee_kind = draft["kind"]
    nom.person_id = draft.get("person_id") if draft["kind"] == PERSON else None
    nom.nominee_name = draft.get("name", "")
    nom.nominee_key = _key_of(draft)
    nom.award_code = draft["award"]
    nom.summary = draft.get("summary", "")
    nom.updated_at = now.astimezone(UTC)
    _apply_status(nom, status, person_id, now, "")
    if status == PENDING_HEAD or nom.drafted_by is None:
        nom.drafted_by = person_id
    nom.attachments.clear()
    for position, item in enumerate(draft.get("files") or [], start=1):
        nom.attachments.append(
            NominationAttachment(
                position=position,
                kind=item["kind"],
                content_hash=item["sha"],
                filename=item["name"],
                content_type=item.get("type", ""),
                size=int(item.get("size", 0)),
            )
        )
    session.flush()
    _version_row(session, nom, person_id, now, before, f"nomination.{status}")
    draft["nom_id"], draft["base_version"], draft["status"] = nom.id, nom.version, nom.status
    return Saved(nom.id, nom.version, nom.status)


def set_status(
    session: Session,
    nom_id: int,
    expected_version: int,
    *,
    status: str,
    person_id: int | None,
    now: datetime,
    reason: str = "",
) -> Nomination:
    """Confirm, return, approve or refuse a nomination as a new version."""
    current = session.get(Nomination, nom_id)
    assert current is not None
    before = snapshot(current)
    nom = _bump(session, nom_id, expected_version)
    _apply_status(nom, status, person_id, now, reason)
    nom.updated_at = now.astimezone(UTC)
    session.flush()
    _version_row(session, nom, person_id, now, before, f"nomination.{status}")
    return nom


def _apply_status(
    nom: Nomination, status: str, person_id: int | None, now: datetime, reason: str
) -> None:
    nom.status = status
    nom.reason = reason
    if status == SUBMITTED:
        nom.submitted_by, nom.submitted_at = person_id, now.astimezone(UTC)
    if status in (APPROVED, REFUSED, RETURNED):
        nom.decided_by, nom.decided_at = person_id, now.astimezone(UTC)


def _bump(session: Session, nom_id: int, expected: int) -> Nomination:
    result = session.execute(
        update(Nomination)
        .where(Nomination.id == nom_id, Nomination.version == expected)
        .values(version=expected + 1)
        .execution_options(synchronize_session=False)
    )
    nom = session.get(Nomination, nom_id)
    assert nom is not None
    session.refresh(nom)
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict(nom.version, "", org.aware(nom.updated_at))
    return nom


def _version_row(
    session: Session,
    nom: Nomination,
    person_id: int | None,
    now: datetime,
    before: Draft | None,
    action: str,
) -> None:
    after = snapshot(nom)
    session.add(
        NominationVersion(
            nomination_id=nom.id,
            version=nom.version,
            snapshot=after,
            created_at=now.astimezone(UTC),
            created_by=person_id,
        )
    )
    org.audit(
        session,
        person_id=person_id,
        action=action,
        entity="nomination",
        entity_id=nom.id,
        before=before,
        after=after,
        now=now,
    )


def get(session: Session, nom_id: int) -> Nomination | None:
    return session.get(Nomination, nom_id)


def versions(session: Session, nom_id: int) -> list[NominationVersion]:
    query = select(NominationVersion).where(NominationVersion.nomination_id == nom_id)
    return list(session.scalars(query.order_by(NominationVersion.version)))


def of_unit(session: Session, unit_id: int, year: int) -> list[Nomination]:
    query = select(Nomination).where(Nomination.unit_id == unit_id, Nomination.year == year)
    return list(session.scalars(query.order_by(Nomination.id)))


def with_status(session: Session, status: str, unit_id: int | None = None) -> list[Nomination]:
    query = select(Nomination).where(Nomination.status == status)
    if unit_id is not None:
        query = query.where(Nomination.unit_id == unit_id)
    return list(session.scalars(query.order_by(Nomination.id)))


def of_movement(session: Session, movement_id: int) -> list[Nomination]:
    query = select(Nomination).where(Nomination.movement_id == movement_id)
    return list(session.scalars(query.order_by(Nomination.award_code, Nomination.id)))


def settings_of(session: Session, movement_id: int | None) -> NominationSettings | None:
    if movement_id is None:
        return None
    return session.scalar(
        select(NominationSettings).where(NominationSettings.movement_id == movement_id)
    )


def save_settings(
    session: Session, movement_id: int, *, deadline: date | None, quotas: Json
) -> NominationSettings:
    """Set a movement's nomination deadline and quotas (replacing what was there)."""
    row = settings_of(session, movement_id)
    if row is None:
        row = NominationSettings(movement_id=movement_id)
        session.add(row)
    row.deadline, row.quotas = deadline, dict(quotas)
    session.flush()
    return row
