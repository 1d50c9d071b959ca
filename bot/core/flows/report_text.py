"""A progress-report draft as the text a unit head reads before submitting it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from bot.core.flows.base import Ctx, Draft
from bot.core.text import day, format_number
from bot.i18n import vi
from bot.store import lookups
from bot.store.models import ReportPeriod


def size_text(size: int) -> str:
    """27 → '27 byte', 1536 → '1,5 KB', 10485761 → '10 MB': a file's size for a reader."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{format_number(round(Decimal(size) / 1024, 1))} KB"
    return f"{format_number(round(Decimal(size) / (1024 * 1024), 1))} MB"


def target_text(target: Draft) -> str:
    """'95 %' or '1.234,5 triệu đồng': a registered value with its unit."""
    value = format_number(Decimal(target["value"]))
    return f"{value} {target.get('unit', '')}".strip()


def percent_done(actual: Decimal, target: Decimal) -> str:
    """Actual over target in percent, one decimal; empty when the target is zero."""
    if target == 0:
        return ""
    try:
        return format_number(round(actual * 100 / target, 1))
    except InvalidOperation:  # pragma: no cover - both are bounded by the parsers
        return ""


def files_block(draft: Draft) -> str:
    files = draft.get("files") or []
    if not files:
        return vi.REG_NONE
    return "\n".join(
        vi.REPORT_FILE_LINE.format(number=i, name=f["name"], size=size_text(int(f["size"])))
        for i, f in enumerate(files, start=1)
    )


def values_block(draft: Draft) -> str:
    values = draft.get("values") or {}
    lines = []
    for number, target in enumerate(draft.get("targets") or [], start=1):
        raw = values.get(str(target["id"]))
        actual = format_number(Decimal(raw)) if raw is not None else vi.REPORT_NO_VALUE
        percent = ""
        if raw is not None:
            done = percent_done(Decimal(raw), Decimal(target["value"]))
            percent = vi.REPORT_PERCENT.format(percent=done) if done else ""
        lines.append(
            vi.REPORT_VALUE_LINE.format(
                number=number,
                description=target["description"],
                actual=actual,
                target=target_text(target),
                percent=percent,
            )
        )
    return "\n".join(lines) or vi.REG_NONE


def render(ctx: Ctx, draft: Draft) -> str:
    """The whole report, in the order of the paper form, with a warning when it will be late."""
    period = ctx.session.get(ReportPeriod, draft["period_id"])
    movement = lookups.movement(ctx.session, draft["movement_id"])
    assert period is not None and movement is not None
    text = vi.REPORT_SUMMARY.format(
        unit=lookups.unit_name(ctx.session, draft.get("unit_id")),
        movement=movement.title,
        period=period.name,
        deadline=day(period.deadline),
        values=values_block(draft),
        narrative=draft.get("narrative") or vi.REG_NONE,
        files=files_block(draft),
    )
    if ctx.today > period.deadline:
        text += "\n" + vi.REPORT_LATE_WARNING.format(deadline=day(period.deadline))
    return text
