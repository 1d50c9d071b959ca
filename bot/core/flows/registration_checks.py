"""What the Law says about a registration, as far as the form can see it.

Titles follow the unit: the armed forces' titles («Chiến sĩ tiên tiến», «Đơn vị tiên tiến»,
«Đơn vị quyết thắng») only for units of the armed forces, the civilian ones for the others
(Luật Thi đua, khen thưởng 2022, Điều 24, 27, 28). The summary warns, citing the article, when
a registration contradicts the Law's standards; a warning never blocks: the office decides.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bot.core.text import day, fold
from bot.i18n import vi
from bot.store import lookups
from bot.store.models import Unit

ARMED_ONLY = frozenset({"CSTT", "DVTT", "DVQT"})
CIVILIAN_ONLY = frozenset({"LDTT", "TTLDTT", "TTLDXS"})
EXCELLENT = frozenset({"TTLDXS", "DVQT"})  # Điều 27: the collective titles that need a CSTĐCS
BASIC = frozenset({"LDTT", "CSTT"})  # Điều 24: the titles a CSTĐCS is chosen among
GRASSROOTS = "CSTDCS"
# How an import file writes an armed-forces unit's type (folded: no diacritics, lowercase).
_ARMED_WORDS = ("vu trang", "quan doi", "quan su", "cong an", "bien phong", "bo doi", "lltvt")


def armed_forces(session: Session, unit_id: int | None) -> bool:
    """Whether the unit belongs to the armed forces, by its type in the office's import."""
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    kind = fold(unit.unit_type) if unit is not None else ""
    return any(word in kind for word in _ARMED_WORDS)


def titles_for(session: Session, scope: str, unit_id: int | None) -> list[lookups.Title]:
    """The titles of `scope` the unit may register for."""
    excluded = CIVILIAN_ONLY if armed_forces(session, unit_id) else ARMED_ONLY
    return [t for t in lookups.titles(session, scope) if t.code not in excluded]


def warnings(draft: dict[str, Any], movement_end: date | None) -> list[str]:
    """Each contradiction of the Law the draft shows, with its article; [] when none."""
    found: list[str] = []
    counts: dict[str, int] = {}
    for line in draft.get("lines") or []:
        counts[line["title"]] = counts.get(line["title"], 0) + int(line.get("count", 0))
    if draft.get("collective") in EXCELLENT and not counts.get(GRASSROOTS):
        found.append(vi.WARN_EXCELLENT_NEEDS_CSTDCS)
    basic = sum(counts.get(code, 0) for code in BASIC)
    if counts.get(GRASSROOTS, 0) > basic:
        found.append(vi.WARN_CSTDCS_OVER_BASIC.format(cstdcs=counts[GRASSROOTS], basic=basic))
    if movement_end is not None:
        for number, target in enumerate(draft.get("targets") or [], start=1):
            due = target.get("due")
            if due and date.fromisoformat(due) > movement_end:
                found.append(
                    vi.WARN_TARGET_AFTER_END.format(
                        number=number, due=day(date.fromisoformat(due)), end=day(movement_end)
                    )
                )
    return found
