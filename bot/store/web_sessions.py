"""The dashboard's one-time sign-in links and its sessions, as rows so every worker process
sees the same ones and a sign-out or a change of roles ends a session everywhere.

Only hashes of the secrets are stored: a copy of the database signs nobody in. A session keeps
the roles it was opened with; a request whose person now has other roles finds it revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.models import Base, PersonRole, UTCDateTime

LINK_TTL = timedelta(minutes=10)  # how long a sign-in link works


class WebLink(Base):
    """A sign-in link: valid until `expires_at`, spent on first use."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser: its cookie carries `sid` (signed); forms carry `csrf`."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    roles: Mapped[str] = mapped_column(String(255))  # the roles at sign-in, sorted, comma-joined
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Opened:
    """A session just opened: the secret for the cookie and the form token."""

    sid: str
    csrf: str


@dataclass(frozen=True)
class Current:
    """A live session as a request needs it."""

    session_id: int
    person_id: int
    csrf: str
    roles_changed: bool = False  # since sign-in: the session must be revoked, not used


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def roles_key(session: Session, person_id: int) -> str:
    """The person's roles now, in the form a session remembers them."""
    names = session.scalars(select(PersonRole.role).where(PersonRole.person_id == person_id))
    return ",".join(sorted(set(names)))


def create_link(session: Session, person_id: int, *, now: datetime, ttl: timedelta) -> str:
    """A new sign-in link's token for `person_id`, valid for `ttl`."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebLink(
            token_hash=_hash(token),
            person_id=person_id,
            created_at=now.astimezone(UTC),
            expires_at=(now + ttl).astimezone(UTC),
        )
    )
    session.flush()
    return token


def link_valid(session: Session, token: str, *, now: datetime) -> bool:
    """Whether the link can still sign someone in (shown before it is spent)."""
    row = session.scalars(select(WebLink).where(WebLink.token_hash == _hash(token))).first()
    return row is not None and row.used_at is None and row.expires_at > now


def spend_link(
    session: Session, token: str, *, now: datetime, lifetime: timedelta
) -> Opened | None:
    """Spends the link (a conditional UPDATE: of two clicks, one wins) and opens a session;
    None when the link is unknown, spent or expired."""
    spent = session.execute(
        update(WebLink)
        .where(
            WebLink.token_hash == _hash(token),
            WebLink.used_at.is_(None),
            WebLink.expires_at > now.astimezone(UTC),
        )
        .values(used_at=now.astimezone(UTC))
        .returning(WebLink.person_id)
    ).first()
    if spent is None:
        return None
    person_id = spent[0]
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            sid_hash=_hash(sid),
            person_id=person_id,
            roles=roles_key(session, person_id),
            csrf=csrf,
            created_at=now.astimezone(UTC),
            expires_at=(now + lifetime).astimezone(UTC),
        )
    )
    session.flush()
    return Opened(sid, csrf)


def current(session: Session, sid: str, *, now: datetime) -> Current | None:
    """The session behind `sid`, None when unknown, revoked or expired. Reads only (a page's
    request reads from a snapshot): one whose person's roles changed since sign-in comes back
    with `roles_changed`, for the caller to `revoke` in a write of its own."""
    row = session.scalars(select(WebSession).where(WebSession.sid_hash == _hash(sid))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    changed = roles_key(session, row.person_id) != row.roles
    return Current(row.id, row.person_id, row.csrf, roles_changed=changed)


def revoke(session: Session, sid: str, *, now: datetime) -> None:
    """Sign-out: the session ends on the server, whatever the browser keeps."""
    session.execute(
        update(WebSession)
        .where(WebSession.sid_hash == _hash(sid), WebSession.revoked_at.is_(None))
        .values(revoked_at=now.astimezone(UTC))
    )
