"""Questions on the year's nominations answered from the records, scoped to who asks:
"đơn vị tôi đã gửi đề nghị khen thưởng chưa", "năm nay Sở Y tế đề nghị bao nhiêu Chiến sĩ thi
đua cơ sở". Recognised by folded keywords, like bot.core.operational; anything else is None
and goes on to the next answerer.
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from bot.core.access import Action, can
from bot.core.flows.base import Ctx
from bot.core.nomination_record import award_names, nominee_name
from bot.core.text import fold
from bot.i18n import nominations_vi as nv
from bot.messages import Reply
from bot.store import lookups, nominations
from bot.store.models import Unit

MAX_LISTED = 15
_YEAR = re.compile(r"\b(20\d\d)\b")
# Words that make a question about the asker's own records, not about the Law.
_OURS = ("don vi toi", "don vi minh", "chung toi", "nam nay")


def answer(ctx: Ctx, text: str) -> Reply | None:
    """A Reply for a question about nominations we recognise, else None."""
    folded = fold(text)
    if "de nghi" not in folded or not ctx.actor.linked:
        return None
    words = folded.split()
    ours = any(k in folded for k in _OURS) or _unit_named(ctx, folded) is not None
    if ("bao nhieu" in folded or "may" in words) and ours:
        return _count(ctx, folded)
    asks_sent = "chua" in words or "da gui" in folded or "da nop" in folded
    if "khen thuong" in folded and asks_sent and ours:
        return _sent(ctx, folded)
    return None


def _year(ctx: Ctx, folded: str) -> int:
    found = _YEAR.search(folded)
    return int(found.group(1)) if found else ctx.today.year


def _unit_named(ctx: Ctx, folded: str) -> Unit | None:
    """The unit the question names (the longest name found, or a code as a word)."""
    words = set(folded.split())
    best: Unit | None = None
    for unit in ctx.session.scalars(select(Unit)):
        name = fold(unit.name)
        found = name in folded or fold(unit.code) in words
        if found and (best is None or len(name) > len(fold(best.name))):
            best = unit
    return best


def _scope(ctx: Ctx, folded: str) -> tuple[int | None, Reply | None]:
    """The unit asked about: named in the question, else the asker's; refused outside scope."""
    named = _unit_named(ctx, folded)
    unit_id = named.id if named is not None else ctx.actor.unit_id
    if unit_id is None:
        return None, Reply(nv.Q_NEED_UNIT)
    if not can(ctx.actor, Action.VIEW, unit_id):
        return None, Reply(nv.Q_NOT_YOURS)
    return unit_id, None


def _sent(ctx: Ctx, folded: str) -> Reply:
    unit_id, refusal = _scope(ctx, folded)
    if refusal is not None or unit_id is None:
        return refusal or Reply(nv.Q_NEED_UNIT)
    year = _year(ctx, folded)
    unit = lookups.unit_name(ctx.session, unit_id)
    found = nominations.of_unit(ctx.session, unit_id, year)
    if not found:
        return Reply(nv.Q_NONE_SENT.format(unit=unit, year=year))
    counts = Counter(n.status for n in found)
    statuses = ", ".join(
        nv.Q_STATUS_PART.format(count=count, status=nv.STATUS_LABELS.get(s, s).lower())
        for s, count in sorted(counts.items(), key=lambda item: nominations.STATUSES.index(item[0]))
    )
    names = award_names(ctx.session)
    lines = [
        nv.Q_LINE.format(
            nominee=nominee_name(ctx.session, nominations.to_draft(n)),
            award=names.get(n.award_code, n.award_code),
            status=nv.STATUS_LABELS.get(n.status, n.status),
        )
        for n in found[:MAX_LISTED]
    ]
    header = nv.Q_SENT.format(unit=unit, year=year, count=len(found), statuses=statuses)
    return Reply("\n".join([header, *lines]))


def _count(ctx: Ctx, folded: str) -> Reply:
    unit_id, refusal = _scope(ctx, folded)
    if refusal is not None or unit_id is None:
        return refusal or Reply(nv.Q_NEED_UNIT)
    year = _year(ctx, folded)
    names = award_names(ctx.session)
    asked = [code for code, name in names.items() if fold(name) in folded]
    asked.sort(key=lambda code: -len(names[code]))
    live = [
        n
        for n in nominations.of_unit(ctx.session, unit_id, year)
        if n.status != nominations.REFUSED
    ]
    unit = lookups.unit_name(ctx.session, unit_id)
    if asked:
        code = asked[0]
        chosen = [n for n in live if n.award_code == code]
        detail = _detail(chosen)
        return Reply(
            nv.Q_COUNT.format(
                year=year, unit=unit, count=len(chosen), award=names[code], detail=detail
            )
        )
    per_award = Counter(names.get(n.award_code, n.award_code) for n in live)
    parts = ", ".join(f"{count} «{award}»" for award, count in per_award.most_common())
    detail = nv.Q_DETAIL.format(parts=parts) if parts else ""
    return Reply(nv.Q_COUNT_ALL.format(year=year, unit=unit, count=len(live), detail=detail))


def _detail(chosen: list[nominations.Nomination]) -> str:
    counts = Counter(n.status for n in chosen)
    parts = ", ".join(
        nv.Q_STATUS_PART.format(count=count, status=nv.STATUS_LABELS.get(s, s).lower())
        for s, count in counts.items()
    )
    return nv.Q_DETAIL.format(parts=parts) if parts else ""
