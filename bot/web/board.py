"""The movements page's figures: each unit's standing on registration, report periods and
pledge, as the reminders compute it (bot.reminders.standing), within the viewer's units."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import web_vi
from bot.reminders import standing as st
from bot.store import filings, registrations
from bot.store.models import Cluster, ClusterMember, Movement, Registration

APPROVED = "approved"
REG_ORDER = tuple(web_vi.REG_STATES)
REGISTRATION = "dk"  # the overdue list of the registration; a period's is its id
OWING = frozenset({st.MISSING, st.PENDING, st.RETURNED})  # not filed: reminders chase these


@dataclass
class UnitRow:
    unit_id: int
    name: str
    registration: str = st.MISSING
    reports: dict[str, str] = field(default_factory=dict)  # period id -> state
    pledge: str = ""


@dataclass
class MovementBoard:
    movement: Movement
    rows: list[UnitRow]  # of the movement read in full; the others' are only counted
    counts: dict[str, int]  # registration state -> units in view (viewer, cluster)
    overdue: dict[str, list[int]] = field(default_factory=dict)  # deadline passed, not filed

    @property
    def periods(self) -> list[tuple[str, str]]:
        return [(str(p.id), p.name) for p in self.movement.periods]

    def subject_name(self, subject: str) -> str:
        """What an overdue list is about: the registration, or a period by name."""
        if subject == REGISTRATION:
            return web_vi.COL_REGISTRATION
        return dict(self.periods).get(subject, "")

    def reminder_key(self, subject: str) -> str:
        """The reminders' key of that deadline (bot.reminders.standing)."""
        if subject == REGISTRATION:
            return filings.registration_key(self.movement.id)
        return filings.report_key(int(subject))


def clusters_for(
    session: Session, year: int, visible: frozenset[int] | None
) -> list[tuple[int, str]]:
    """The year's clusters holding at least one unit the viewer sees."""
    rows = session.execute(
        select(Cluster.id, Cluster.name, ClusterMember.unit_id)
        .join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
        .where(Cluster.year == year)
        .order_by(Cluster.name)
    )
    found: dict[int, str] = {}
    for cluster_id, name, unit_id in rows:
        if visible is None or unit_id in visible:
            found[cluster_id] = name
    return list(found.items())


def cluster_units(session: Session, cluster_id: int) -> set[int]:
    rows = session.scalars(
        select(ClusterMember.unit_id).where(ClusterMember.cluster_id == cluster_id)
    )
    return set(rows)


def boards(
    session: Session,
    today: date,
    visible: frozenset[int] | None,
    *,
    cluster_id: int | None = None,
    status: str | None = None,
    whole: Collection[int] | None = None,
    running: st.Movements | None = None,
) -> list[MovementBoard]:
    """One board per running movement, its rows cut to `visible` units (None: all), a
    cluster and a registration state. `whole`: the movements whose report periods and pledges
    are read too (None: all); the others show their registrations only. `running`: the
    running movements when the caller has read them already."""
    movements = running if running is not None else st.active_movements(session, today)
    wanted: set[int] | None = None if visible is None else set(visible)
    if cluster_id is not None:
        members = cluster_units(session, cluster_id)
        wanted = members if wanted is None else wanted & members
    taking_part = st.taking_part(session)  # the office's own unit owes nothing: not shown
    names = {uid: name for uid, name in taking_part.items() if wanted is None or uid in wanted}
    by_movement: dict[int, list[st.Sheet]] = defaultdict(list)
    for sheet in st.sheets(session, movements, whole=whole, units=taking_part):
        by_movement[sheet.subject.movement_id].append(sheet)
    found: list[MovementBoard] = []
    for movement in movements.items:
        approved = set(
            session.scalars(
                select(Registration.unit_id).where(
                    Registration.movement_id == movement.id,
                    Registration.status == registrations.APPROVED,
                )
            )
        )
        sheets = {sheet.subject.key: sheet for sheet in by_movement[movement.id]}
        filed = sheets[filings.registration_key(movement.id)].states
        registration = {u: APPROVED if u in approved else filed[u] for u in names}
        read = whole is None or movement.id in whole
        rows = _rows(names, registration, sheets.values()) if read else []
        shown = [r for r in rows if status is None or r.registration == status]
        counts = Counter(registration.values())
        board = MovementBoard(movement, shown, {s: counts.get(s, 0) for s in REG_ORDER})
        board.overdue = _overdue(movement, registration, sheets, today, periods=read)
        found.append(board)
    return found


def _rows(
    names: dict[int, str], registration: dict[int, str], sheets: Iterable[st.Sheet]
) -> list[UnitRow]:
    """A row per unit, for the movement listed in full (the others are only counted)."""
    rows = {u: UnitRow(u, name, registration[u]) for u, name in names.items()}
    for sheet in sheets:
        key = sheet.subject.key.rsplit(":", 1)[-1]
        listed = [(rows[u], state) for u, state in sheet.states.items() if u in rows]
        if sheet.subject.kind == st.REPORT:
            for row, state in listed:
                row.reports[key] = state
        elif sheet.subject.kind == st.PLEDGE:
            for row, state in listed:
                row.pledge = state
    return list(rows.values())


def pick(running: st.Movements, wanted: int | None) -> int | None:
    """The running movement shown in full: `wanted` when it runs, else the first."""
    ids = [m.id for m in running.items]
    if wanted in ids:
        return wanted
    return ids[0] if ids else None


def _overdue(
    movement: Movement,
    registration: dict[int, str],
    sheets: dict[str, st.Sheet],
    today: date,
    *,
    periods: bool,
) -> dict[str, list[int]]:
    """Per deadline already passed: the units that have still not filed (the report periods'
    only when they were read; a period without a sheet has no unit that may report yet)."""
    found: dict[str, list[int]] = {}
    if today > movement.registration_deadline:
        found[REGISTRATION] = [u for u, state in registration.items() if state in OWING]
    for period in movement.periods if periods else []:
        if today > period.deadline:
            sheet = sheets.get(filings.report_key(period.id))
            states = sheet.states if sheet is not None else {}
            # Only the units that may report (a registration filed): as the reminders chase.
            found[str(period.id)] = [u for u in registration if states.get(u) in OWING]
    return found


def chart_svg(counts: dict[str, int]) -> bytes:
    """Units per registration state as horizontal bars, SVG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [web_vi.REG_STATES[s] for s in REG_ORDER]
    values = [counts.get(s, 0) for s in REG_ORDER]
    colours = ["#c62828", "#f9a825", "#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#546e7a"]
    figure, axes = plt.subplots(figsize=(6, 2.8), dpi=72)
    try:
        axes.barh(labels[::-1], values[::-1], color=colours[::-1])
        axes.set_xlabel(web_vi.CHART_AXIS)
        axes.set_title(web_vi.CHART_TITLE, fontsize=10)
        for row, value in enumerate(values[::-1]):
            axes.text(value, row, f" {value}", va="center", fontsize=8)
        axes.set_xlim(0, max(values, default=0) * 1.15 + 1)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
        return buffer.getvalue()
    finally:
        plt.close(figure)
