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

from bot.core.flows.base import Ctx
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import link_attempts, org
from bot.store.lookups import unit_name

CODE_IN_AUDIT = 32  # characters of what was typed kept in the audit log


@dataclass(frozen=True)
class InviteLimit:
    """At most `failures` wrong codes per chat and per account within `window`."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def link(ctx: Ctx, message: Incoming, code: str, limit: InviteLimit) -> list[Reply]:
    """Spend an invite code unless this chat or account is cooling down; a wrong code says
    why, in Vietnamese, changes nothing but the failure count, and is audited."""
    who = {"channel": message.channel, "chat_id": message.chat_id, "user_id": message.user_id}
    until = link_attempts.blocked_until(
        ctx.session, **who, now=ctx.now, failures=limit.failures, window=limit.window
    )
    if until is not None:
        _audit(ctx, "identity.link_throttled", who, code, "throttled", until=until)
        return [_throttled(ctx.now, until)]
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
        link_attempts.record_failure(ctx.session, **who, now=ctx.now, window=limit.window)
        _audit(ctx, "identity.link_failed", who, code, error.reason)
        return [Reply(vi.INVITE_ERRORS[error.reason])]
    link_attempts.forget(ctx.session, **who)
    roles = ", ".join(vi.ROLE_LABELS[r.value] for r in sorted(org.roles_of(person)))
    unit = unit_name(ctx.session, person.unit_id)
    return [Reply(vi.LINKED.format(name=person.full_name, roles=roles or "—", unit=unit or "—"))]


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
