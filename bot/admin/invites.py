"""Issuing a one-time invite code for a person (`thidua invite` and the dashboard's
organisation page alike), recorded in the audit log under whoever issued it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.store.models import InviteCode
from bot.store.org import audit, create_invite


def issue_invite(
    session: Session, person_id: int, *, now: datetime, ttl: timedelta, by: int | None
) -> InviteCode:
    """A fresh code for the person, valid for `ttl`; `by` is the issuer (None: the command line)."""
    code = create_invite(session, person_id, now, ttl)
    audit(
        session,
        person_id=by,
        action="invite.create",
        entity="person",
        entity_id=person_id,
        before=None,
        after={"invite_id": code.id, "expires_at": code.expires_at},
        now=now,
    )
    return code


def telegram_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with the code already typed."""
    return f"https://t.me/{bot_username}?start={code}"
