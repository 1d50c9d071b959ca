"""A nomination as the text the officer confirms, the head reads and the office reviews: its
content, its hồ sơ, and the Law's checks with their articles."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.core import nomination_checks
from bot.core.nomination_record import award_names, facts_for, nominee_name
from bot.i18n import nominations_vi as nv
from bot.store import lookups

Draft = dict[str, Any]


def award_name(session: Session, code: str) -> str:
    return award_names(session).get(code, code)


def files_block(draft: Draft) -> str:
    files = draft.get("files") or []
    if not files:
        return nv.NOM_NO_FILES
    return "\n".join(
        nv.NOM_FILE_LINE.format(
            number=i, kind=nv.FILE_KIND_NAMES.get(f["kind"], f["kind"]), name=f["name"]
        )
        for i, f in enumerate(files, start=1)
    )


def findings(session: Session, draft: Draft) -> list[nomination_checks.Finding]:
    return nomination_checks.warnings(facts_for(session, draft))


def warnings_block(found: list[nomination_checks.Finding]) -> str:
    if not found:
        return nv.NOM_NO_WARNINGS
    return nv.WARNINGS_HEADER + "\n" + "\n".join("⚠ " + f.text for f in found)


def render(session: Session, draft: Draft) -> str:
    """The whole nomination, then the checks' findings (or that there are none)."""
    movement = lookups.movement(session, draft["movement_id"]) if draft.get("movement_id") else None
    status = draft.get("status") or "draft"
    text = nv.NOM_SUMMARY.format(
        unit=lookups.unit_name(session, draft.get("unit_id")),
        year=draft["year"],
        movement=nv.NOM_SUMMARY_MOVEMENT.format(movement=movement.title) if movement else "",
        nominee=nominee_name(session, draft),
        award=award_name(session, draft.get("award", "")),
        status=nv.STATUS_LABELS.get(status, status),
        summary=draft.get("summary", ""),
        count=len(draft.get("files") or []),
        files=files_block(draft),
    )
    if draft.get("reason"):
        text += "\n" + nv.NOM_SUMMARY_REASON.format(reason=draft["reason"])
    return text + "\n\n" + warnings_block(findings(session, draft))
