"""What the nominations page reads: a year's (or a movement's) nominations within the viewer's
units, filtered by unit, cluster, status and title, counted by status and by title, a page at a
time with each one's hồ sơ and the Law's checks (bot.core.nomination_checks, as the chat shows
them), the ones waiting for the office first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from bot.core.flows import nomination_text
from bot.core.nomination_record import award_names, nominee_name
from bot.store import nominations
from bot.store.models import Cluster, ClusterMember, Movement, Unit
from bot.store.nominations import Nomination

PAGE_SIZE = 30  # each row runs the Law's checks: a page the office reads, not the province


@dataclass(frozen=True)
class Filters:
    """The page's filters, from its query string (unknown or malformed values: no filter)."""

    year: int
    movement: int | None = None
    unit: int | None = None
    cluster: int | None = None
    status: str = ""
    award: str = ""

    def query(self, **changes: Any) -> str:
        """These filters, with `changes`, as a query string for links and redirects."""
        values = {**asdict(self), **changes}
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _number(raw: Mapping[str, str], key: str) -> int | None:
    value = raw.get(key, "")
    return int(value) if value.isdigit() and len(value) <= 9 else None


def parse_filters(raw: Mapping[str, str], default_year: int) -> Filters:
    status = raw.get("status", "")
    return Filters(
        year=_number(raw, "year") or default_year,
        movement=_number(raw, "movement"),
        unit=_number(raw, "unit"),
        cluster=_number(raw, "cluster"),
        status=status if status in nominations.STATUSES else "",
        award=raw.get("award", "")[:32],
    )


def latest_year(session: Session, visible: frozenset[int] | None, fallback: int) -> int:
    """The last year with a nomination the viewer may see; `fallback` when there is none."""
    query = select(func.max(Nomination.year))
    if visible is not None:
        query = query.where(Nomination.unit_id.in_(visible))
    return session.scalar(query) or fallback


def cluster_units(session: Session, cluster_id: int) -> set[int]:
    """A cluster's units: its members, lead and deputy (as bot.core.access counts them)."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        return set()
    members = session.scalars(
        select(ClusterMember.unit_id).where(ClusterMember.cluster_id == cluster_id)
    )
    return {*members, *(u for u in (cluster.lead_unit_id, cluster.deputy_unit_id) if u)}


def _scoped(
    session: Session, visible: frozenset[int] | None, filters: Filters
) -> list[ColumnElement[bool]]:
    """The conditions of the viewer's units, the year, movement, unit and cluster chosen."""
    where = [Nomination.year == filters.year]
    if visible is not None:
        where.append(Nomination.unit_id.in_(visible))
    if filters.movement is not None:
        where.append(Nomination.movement_id == filters.movement)
    if filters.unit is not None:
        where.append(Nomination.unit_id == filters.unit)
    if filters.cluster is not None:
        where.append(Nomination.unit_id.in_(cluster_units(session, filters.cluster)))
    return where


def counts(
    session: Session, visible: frozenset[int] | None, filters: Filters
) -> tuple[dict[str, int], dict[str, int]]:
    """How many nominations per status and per title, within the filters but those two (so
    each count is a link that narrows the list to it)."""
    where = _scoped(session, visible, filters)
    statuses: dict[str, int] = {}
    for status, count in session.execute(
        select(Nomination.status, func.count()).where(*where).group_by(Nomination.status)
    ):
        statuses[status] = count
    awards: dict[str, int] = {}
    for award, count in session.execute(
        select(Nomination.award_code, func.count()).where(*where).group_by(Nomination.award_code)
    ):
        awards[award] = count
    ordered = {s: statuses[s] for s in nominations.STATUSES if s in statuses}
    return ordered, dict(sorted(awards.items()))


def listed(
    session: Session, visible: frozenset[int] | None, filters: Filters, page: int
) -> tuple[list[dict[str, Any]], int, int]:
    """One page of the filtered nominations (each with its names, files and the checks'
    findings), the page shown and the total."""
    query = select(Nomination).where(*_scoped(session, visible, filters))
    if filters.status:
        query = query.where(Nomination.status == filters.status)
    if filters.award:
        query = query.where(Nomination.award_code == filters.award)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    waiting_first = case((Nomination.status == nominations.SUBMITTED, 0), else_=1)
    rows = session.scalars(
        query.order_by(waiting_first, Nomination.award_code, Nomination.unit_id, Nomination.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    names = award_names(session)
    unit_ids = {n.unit_id for n in rows}
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    movement_ids = {n.movement_id for n in rows if n.movement_id is not None}
    movements = {
        m.id: m for m in session.scalars(select(Movement).where(Movement.id.in_(movement_ids)))
    }
    items = []
    for nom in rows:
        draft = nominations.to_draft(nom)
        items.append(
            {
                "nom": nom,
                "unit": units.get(nom.unit_id),
                "movement": movements.get(nom.movement_id) if nom.movement_id else None,
                "nominee": nominee_name(session, draft),
                "award": names.get(nom.award_code, nom.award_code),
                "findings": nomination_text.findings(session, draft),
            }
        )
    return items, page, total


def choices(session: Session, visible: frozenset[int] | None, filters: Filters) -> dict[str, Any]:
    """The filters' options: years with nominations, movements, the viewer's units, the year's
    clusters holding one of them, and every title and form."""
    years_query = select(Nomination.year).distinct()
    if visible is not None:
        years_query = years_query.where(Nomination.unit_id.in_(visible))
    years = sorted({filters.year, *session.scalars(years_query)}, reverse=True)
    units_query = select(Unit).order_by(Unit.name)
    if visible is not None:
        units_query = units_query.where(Unit.id.in_(visible))
    clusters = [
        c
        for c in session.scalars(
            select(Cluster).where(Cluster.year == filters.year).order_by(Cluster.name)
        )
        if visible is None or cluster_units(session, c.id) & visible
    ]
    movements = session.scalars(
        select(Movement).order_by(Movement.start_date.desc(), Movement.id.desc())
    ).all()
    return {
        "years": years,
        "movements": movements,
        "units": session.scalars(units_query).all(),
        "clusters": clusters,
        "awards": award_names(session),
    }


def back_to(raw: str, default_year: int) -> Filters:
    """The filters a review form carried, re-read (never echoed): where to return after it."""
    return parse_filters(dict(parse_qsl(raw[:500])), default_year)
