"""The records around one nomination, read for its checks (bot.core.nomination_checks): the
nominee's results, the unit's other nominations and people, its clusters' rankings, its
registration and latest report, the movement's quotas.

Reads only; a nomination's draft (the form's JSON, or a stored one through `to_draft`) in,
`Facts` out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.nomination_checks import Facts, Progress, Registered, Standing
from bot.store import awards, lookups, nominations, registrations
from bot.store.models import Person, ProgressReport, ReportPeriod, Unit

Draft = dict[str, Any]


def award_names(session: Session) -> dict[str, str]:
    """Every award a nomination may propose, code -> name: the titles, then the forms."""
    return {**lookups.title_names(session), **awards.FORM_NAMES}


def nominee_name(session: Session, draft: Draft) -> str:
    """Who is nominated, as shown: the person's or the unit's name, or the name typed."""
    if draft.get("kind") == nominations.UNIT:
        return lookups.unit_name(session, draft.get("unit_id"))
    if draft.get("kind") == nominations.PERSON:
        return lookups.person_name(session, draft.get("person_id")) or str(draft.get("name", ""))
    return str(draft.get("name", ""))


def nominee_keys(session: Session, draft: Draft) -> set[str]:
    """Every key a result about this nominee may carry (a person imported by name only too)."""
    unit_id = draft["unit_id"]
    kind = draft["kind"]
    keys = {nominations.nominee_key(kind, person_id=draft.get("person_id"), unit_id=unit_id,
                                    name=draft.get("name", ""))}  # fmt: skip
    if kind == nominations.PERSON:
        name = nominee_name(session, draft)
        keys.add(nominations.nominee_key(nominations.NAMED, person_id=None, unit_id=unit_id,
                                         name=name))  # fmt: skip
    return keys


def facts_for(session: Session, draft: Draft) -> Facts:
    """The Facts for one nomination draft."""
    year, unit_id, award = int(draft["year"]), int(draft["unit_id"]), str(draft["award"])
    keys = nominee_keys(session, draft)
    own_key = nominations.nominee_key(
        draft["kind"], person_id=draft.get("person_id"), unit_id=unit_id, name=draft.get("name", "")
    )
    this_year = [
        n
        for n in nominations.of_unit(session, unit_id, year)
        if n.status != nominations.REFUSED and n.id != draft.get("nom_id")
    ]
    unit_awards = [(n.award_code, n.nominee_key) for n in this_year]
    unit_awards.append((award, own_key))
    unit_awards += [
        (r.award_code, r.nominee_key) for r in awards.results_of_year(session, year, unit_id)
    ]
    history = awards.history(session, keys)
    history |= {(n.award_code, year) for n in this_year if n.nominee_key in keys}
    history.add((award, year))
    movement = lookups.movement(session, draft["movement_id"]) if draft.get("movement_id") else None
    settings = nominations.settings_of(session, movement.id if movement else None)
    is_unit = draft["kind"] == nominations.UNIT
    return Facts(
        year=year,
        award=award,
        nominee=nominee_name(session, draft),
        nominee_key=own_key,
        for_unit=is_unit,
        files=frozenset(str(f["kind"]) for f in draft.get("files") or []),
        history=frozenset(history),
        unit_awards=tuple(unit_awards),
        unit_people=_people(session, unit_id) if is_unit else 0,
        clusters=_standings(session, unit_id, year) if is_unit else (),
        movement=movement.title if movement else "",
        registration=_registered(session, unit_id, movement.id) if movement else None,
        progress=_progress(session, unit_id, movement.id) if movement and is_unit else None,
        quotas=dict(settings.quotas) if settings else {},
        names=award_names(session),
    )


def _people(session: Session, unit_id: int) -> int:
    count = session.scalar(
        select(func.count()).select_from(Person).where(Person.unit_id == unit_id)
    )
    return int(count or 0)


def _standings(session: Session, unit_id: int, year: int) -> tuple[Standing, ...]:
    found = []
    for cluster, leader in awards.standing(session, unit_id, year):
        unit = session.get(Unit, leader) if leader is not None else None
        found.append(Standing(cluster.name, unit.name if unit else None, leader == unit_id))
    return tuple(found)


def _registered(session: Session, unit_id: int, movement_id: int) -> Registered | None:
    reg = registrations.registration_of(session, unit_id, movement_id)
    if reg is None or reg.status in (registrations.DRAFT, registrations.PENDING_HEAD):
        return None
    lines = {
        line.title_code: tuple(nominations.fold_name(n) for n in line.names.split("\n") if n)
        for line in reg.lines
    }
    return Registered(reg.collective_title, lines)


def _progress(session: Session, unit_id: int, movement_id: int) -> Progress | None:
    """The latest period the unit reported on: how many targets reached their value."""
    reg = registrations.registration_of(session, unit_id, movement_id)
    if reg is None or not reg.targets:
        return None
    latest = session.execute(
        select(ProgressReport, ReportPeriod)
        .join(ReportPeriod, ReportPeriod.id == ProgressReport.period_id)
        .where(ProgressReport.registration_id == reg.id)
        .order_by(ReportPeriod.deadline.desc(), ReportPeriod.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    report, period = latest
    actual = {value.target_id: value.actual_value for value in report.values}
    reached = sum(1 for t in reg.targets if t.id in actual and actual[t.id] >= t.target_value)
    return Progress(period.name, reached, len(reg.targets))
