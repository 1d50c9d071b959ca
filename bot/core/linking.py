"""Linking a chat account to a person with an invite code, with a limit on wrong codes.

An 8-character code from a 31-letter alphabet cannot be guessed in a few tries, but it can be
in millions: so each chat and each chat account may get only `failures` codes wrong within
`window`, after which every code (right or wrong) is refused unchecked until the oldest of
those failures leaves the window. Failures and refusals go to the audit log, in the turn's
transaction; the counts themselves are rows (bot.store.link_attempts), so every worker and a
restart see the same ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.core.flows.base import Ctx
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import link_attempts, org
from bot.store.lookups import unit_name
from bot.store.models import Person

CODE_IN_AUDIT = 32  # characters of what was typed kept in the audit log


@dataclass(frozen=True)
class InviteLimit:
    """At most `failures` wrong codes per chat and per account within `window`."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def link(
    ctx: Ctx, message: Incoming, code: str, limit: InviteLimit
) -> tuple[list[Reply], Person | None]:
    """Spend an invite code unless this chat or account is cooling down; a wrong code says
    why, in Vietnamese, changes nothing but the failure count, and is audited. The person
    now linked, when the code was good."""
    refused = _refusal(ctx, message, code, limit)
    if refused is not None:
        return [refused], None
    who = _who(message)
    try:
        with ctx.session.begin_nested():
            person = org.link_identity(
                ctx.session,
                channel=message.channel,
                external_id=message.user_id,
                code=code,
                now=ctx.now,
            )
    except org.InviteError as error:
        return [_failed(ctx, who, code, error, limit)], None
    link_attempts.forget(ctx.session, **who)
    return [Reply(vi.LINKED.format(**describe(ctx.session, person)))], person


def peek(
    ctx: Ctx, message: Incoming, code: str, limit: InviteLimit
) -> tuple[Reply | None, Person | None]:
    """The person a code would link to, without spending it, under the same limit on wrong
    codes as linking (a code looked at is a code tried): (refusal, None) or (None, person)."""
    refused = _refusal(ctx, message, code, limit)
    if refused is not None:
        return refused, None
    try:
        return None, org.invite_person(ctx.session, code, ctx.now)
    except org.InviteError as error:
        return _failed(ctx, _who(message), code, error, limit), None


def describe(session: Session, person: Person) -> dict[str, str]:
    """Name, roles and unit of a person, as LINKED, SWITCH_ASK and the console show them."""
    roles = ", ".join(vi.ROLE_LABELS[r.value] for r in sorted(org.roles_of(person)))
    unit = unit_name(session, person.unit_id)
    return {"name": person.full_name, "roles": roles or "—", "unit": unit or "—"}


def _who(message: Incoming) -> dict[str, str]:
    return {"channel": message.channel, "chat_id": message.chat_id, "user_id": message.user_id}


def _refusal(ctx: Ctx, message: Incoming, code: str, limit: InviteLimit) -> Reply | None:
    """The answer for a chat or account still cooling down from wrong codes (audited)."""
    who = _who(message)
    until = link_attempts.blocked_until(
        ctx.session, **who, now=ctx.now, failures=limit.failures, window=limit.window
    )
    if until is None:
        return None
    _audit(ctx, "identity.link_throttled", who, code, "throttled", until=until)
    return _throttled(ctx.now, until)


def _failed(
    ctx: Ctx, who: dict[str, str], code: str, error: org.InviteError, limit: InviteLimit
) -> Reply:
    link_attempts.record_failure(ctx.session, **who, now=ctx.now, window=limit.window)
    _audit(ctx, "identity.link_failed", who, code, error.reason)
    return Reply(vi.INVITE_ERRORS[error.reason])


def _throttled(now: datetime, until: datetime) -> Reply:
    local = until.astimezone(now.tzinfo)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return Reply(vi.INVITE_THROTTLED.format(minutes=minutes, until=f"{local:%H:%M}"))


def _audit(
    ctx: Ctx,
    action: str,
    who: dict[str, str],
    code: str,
    reason: str,
    *,
    until: datetime | None = None,
) -> None:
    after: dict[str, object] = {**who, "code": code.strip()[:CODE_IN_AUDIT], "reason": reason}
    if until is not None:
        after["until"] = until
    org.audit(
        ctx.session,
        person_id=None,
        action=action,
        entity="channel_identity",
        entity_id=None,
        before=None,
        after=after,
        now=ctx.now,
    )
