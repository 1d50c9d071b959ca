"""A registration draft as the text a unit head reads before confirming (and the office reviews)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from bot.core.flows import registration_checks
from bot.core.text import day, format_number
from bot.i18n import vi
from bot.store import lookups, registrations

Draft = registrations.Draft


def line_text(line: Draft, names: dict[str, str]) -> str:
    title = names.get(line["title"], line["title"])
    people = line.get("names") or []
    if people:
        return vi.REG_LINE_NAMES.format(title=title, count=len(people), names=", ".join(people))
    return vi.REG_LINE_COUNT.format(title=title, count=line.get("count", 0))


def target_text(number: int, target: Draft) -> str:
    value = format_number(Decimal(target["value"]))
    unit = target.get("unit", "")
    due = day(target.get("due")) or vi.REG_NO_DUE
    return vi.REG_TARGET_LINE.format(
        number=number, description=target["description"], value=value, unit=unit, due=due
    ).replace(" ,", ",")


def lines_block(session: Session, draft: Draft) -> str:
    names = lookups.title_names(session)
    lines = draft.get("lines") or []
    if not lines:
        return vi.REG_NONE
    return "\n".join("• " + line_text(line, names) for line in lines)


def targets_block(draft: Draft) -> str:
    targets = draft.get("targets") or []
    if not targets:
        return vi.REG_NONE
    return "\n".join(target_text(i, t) for i, t in enumerate(targets, start=1))


def render(session: Session, draft: Draft) -> str:
    """The whole registration, in the order of the paper form, with the Law's warnings."""
    movement = lookups.movement(session, draft["movement_id"])
    names = lookups.title_names(session)
    collective = draft.get("collective") or ""
    found = registration_checks.warnings(draft, movement.end_date if movement else None)
    text = vi.REG_SUMMARY.format(
        unit=lookups.unit_name(session, draft.get("unit_id")),
        movement=movement.title if movement else "",
        year=movement.year if movement else "",
        collective=names.get(collective, collective) if collective else vi.REG_NO_COLLECTIVE,
        lines=lines_block(session, draft),
        targets=targets_block(draft),
    )
    if not found:
        return text
    return text + "\n\n" + vi.REG_WARNINGS + "\n" + "\n".join("⚠ " + w for w in found)
