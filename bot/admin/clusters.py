"""`thidua clusters import`: one row per cụm/khối and year, members listed in one cell.

Upserted by (code, year); the listed members replace the old ones. The lead and deputy units are
members even when the member cell leaves them out. A unit sits in at most one cụm and one khối
per year, so a second one of the same kind is refused rather than silently kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.tables import Column, ImportFailed, ImportSummary, Row, RowError
from bot.admin.units import unit_code
from bot.admin.values import fold, parse_year, split_list
from bot.i18n import vi
from bot.store.models import Cluster, ClusterMember, Unit
from bot.store.org import audit

COLUMNS = (
    Column("code", vi.COL_CLUSTER_CODE, required=True, note=vi.NOTE_CLUSTER_CODE),
    Column("name", vi.COL_CLUSTER_NAME, required=True, note=vi.NOTE_CLUSTER_NAME, aliases=("tên",)),
    Column(
        "kind", vi.COL_CLUSTER_KIND, required=True, note=vi.NOTE_CLUSTER_KIND, aliases=("loại",)
    ),
    Column("year", vi.COL_CLUSTER_YEAR, required=True, note=vi.NOTE_CLUSTER_YEAR),
    Column(
        "lead", vi.COL_CLUSTER_LEAD, note=vi.NOTE_CLUSTER_LEAD, aliases=("mã đơn vị khối trưởng",)
    ),
    Column(
        "deputy",
        vi.COL_CLUSTER_DEPUTY,
        note=vi.NOTE_CLUSTER_DEPUTY,
        aliases=("mã đơn vị khối phó",),
    ),
    Column(
        "members",
        vi.COL_CLUSTER_MEMBERS,
        required=True,
        note=vi.NOTE_CLUSTER_MEMBERS,
        aliases=("thành viên",),
    ),
)

KINDS = {"cum": "cụm", "khoi": "khối"}


@dataclass(frozen=True)
class _ClusterRow:
    line: int
    code: str
    name: str
    kind: str
    year: int
    lead: str
    deputy: str
    members: tuple[str, ...]


def import_clusters(session: Session, rows: Sequence[Row], *, now: datetime) -> ImportSummary:
    """Check every row, then write them all; raise ImportFailed (writing nothing) on any error."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    errors: list[RowError] = []
    parsed: list[_ClusterRow] = []
    first_line: dict[tuple[str, int], int] = {}
    for row in rows:
        item, reasons = _parse(row, units)
        if item is not None:
            key = (item.code, item.year)
            if key in first_line:
                reasons.append(vi.ROW_DUPLICATE.format(value=item.code, line=first_line[key]))
            first_line.setdefault(key, row.line)
        if reasons or item is None:
            errors.extend(RowError(row.line, reason) for reason in reasons)
        else:
            parsed.append(item)
    errors.extend(_double_membership(session, parsed, units))
    if errors:
        raise ImportFailed(sorted(errors, key=lambda e: e.line))

    created = 0
    for item in parsed:
        cluster = session.scalar(
            select(Cluster).where(Cluster.code == item.code, Cluster.year == item.year)
        )
        if cluster is None:
            cluster = Cluster(code=item.code, year=item.year, name=item.name, kind=item.kind)
            session.add(cluster)
            created += 1
        cluster.name, cluster.kind = item.name, item.kind
        cluster.lead_unit_id = units[item.lead].id if item.lead else None
        cluster.deputy_unit_id = units[item.deputy].id if item.deputy else None
        wanted = {units[code].id for code in item.members}
        for member in [m for m in cluster.members if m.unit_id not in wanted]:
            cluster.members.remove(member)
        have = {m.unit_id for m in cluster.members}
        for unit_id in sorted(wanted - have):
            cluster.members.append(ClusterMember(unit_id=unit_id))
    session.flush()
    summary = ImportSummary(created=created, updated=len(parsed) - created)
    audit(
        session,
        person_id=None,
        action="import",
        entity="cluster",
        entity_id=None,
        before=None,
        after={"created": summary.created, "updated": summary.updated},
        now=now,
    )
    return summary


def _parse(row: Row, units: dict[str, Unit]) -> tuple[_ClusterRow | None, list[str]]:
    reasons: list[str] = []
    code, name = unit_code(row.get("code")), row.get("name")
    if not code:
        reasons.append(vi.ROW_MISSING.format(column=vi.COL_CLUSTER_CODE))
    if not name:
        reasons.append(vi.ROW_MISSING.format(column=vi.COL_CLUSTER_NAME))
    kind = KINDS.get(fold(row.get("kind")), "")
    if not kind:
        reasons.append(vi.ROW_BAD_CLUSTER_KIND.format(value=row.get("kind")))
    year = 0
    try:
        year = parse_year(row.get("year"))
    except ValueError as error:
        reasons.append(str(error))
    lead, deputy = unit_code(row.get("lead")), unit_code(row.get("deputy"))
    members = [unit_code(code) for code in split_list(row.get("members"))]
    if not members:
        reasons.append(vi.ROW_MISSING.format(column=vi.COL_CLUSTER_MEMBERS))
    everyone = list(dict.fromkeys([*members, *(c for c in (lead, deputy) if c)]))
    unknown = [code for code in everyone if code not in units]
    if unknown:
        reasons.append(vi.ROW_UNKNOWN_UNIT.format(code=", ".join(unknown)))
    if lead and lead == deputy:
        reasons.append(vi.ROW_LEAD_IS_DEPUTY)
    if reasons:
        return None, reasons
    return _ClusterRow(row.line, code, name, kind, year, lead, deputy, tuple(everyone)), reasons


def _double_membership(
    session: Session, parsed: Sequence[_ClusterRow], units: dict[str, Unit]
) -> list[RowError]:
    """A unit in two clusters of the same kind and year, counting those the file does not touch."""
    code_of = {u.id: u.code for u in units.values()}
    replaced = {(item.code, item.year) for item in parsed}
    placed: dict[tuple[str, str, int], str] = {}  # (unit, kind, year) -> cluster code
    years = {item.year for item in parsed}
    kept: list[Cluster] = []
    if years:
        kept = list(session.scalars(select(Cluster).where(Cluster.year.in_(years))))
    for cluster in kept:
        if (cluster.code, cluster.year) not in replaced:
            for member in cluster.members:
                placed[(code_of[member.unit_id], cluster.kind, cluster.year)] = cluster.code
    errors: list[RowError] = []
    for item in parsed:
        for unit in item.members:
            other = placed.setdefault((unit, item.kind, item.year), item.code)
            if other != item.code:
                errors.append(
                    RowError(
                        item.line,
                        vi.ROW_DOUBLE_MEMBERSHIP.format(
                            unit=unit, kind=item.kind, other=other, year=item.year
                        ),
                    )
                )
    return errors
