"""The weekly summary: per deadline, which units submitted, were late, or are still missing.

The office reads the whole province; a cluster lead reads the units of their cluster. Only the
units taking part count: not the office's own unit, and nothing of a movement whose
registration has not opened yet. The chart's figures come with it, so the caller can draw them
(bot.reports.charts draws them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.i18n import vi
from bot.reminders import standing as st
from bot.reminders.calendar import WorkCalendar
from bot.reminders.reminder_pass import People, read_people
from bot.store import progress_reports, recipients
from bot.store.models import Cluster

SHOW_AHEAD = timedelta(days=14)  # a deadline this close is in the summary before it passes
SHOW_SETTLED = timedelta(days=30)  # a passed deadline everyone met drops out after this


@dataclass(frozen=True)
class ChartData:
    title: str
    bars: tuple[tuple[str, float | None], ...]  # unit name, % reached (None: no report yet)


@dataclass(frozen=True)
class Digest:
    text: str
    charts: tuple[ChartData, ...]


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def build(
    standings: Iterable[st.Standing],
    *,
    today: date,
    scope: str,
    completion: dict[int, dict[int, float]] | None = None,
    movement_titles: dict[int, str] | None = None,
    unreached: Sequence[str] = (),
) -> Digest:
    """The summary of `standings` (already narrowed to the reader's units) as of `today`."""
    by_subject: dict[st.Subject, list[st.Standing]] = defaultdict(list)
    for item in standings:
        if item.state != st.WAITING:
            by_subject[item.subject].append(item)
    shown = [s for s in sorted(by_subject, key=_order) if _worth_showing(s, by_subject[s], today)]
    _, week, _ = today.isocalendar()
    lines = [vi.SUMMARY_TITLE.format(week=week, date=_d(today), scope=scope)]
    if not shown:
        lines.append(vi.SUMMARY_NOTHING)
    for subject in shown:
        lines += _subject_lines(subject, by_subject[subject], today)
    if unreached:
        lines.append(vi.SUMMARY_UNREACHED.format(people=", ".join(unreached)))
    units_in_scope = {item.unit_id: item.unit_name for item in standings}
    # Units that owe reports in a movement belong on its chart, reported or not yet.
    reporting = {
        (subject.movement_id, item.unit_id)
        for subject, items in by_subject.items()
        if subject.kind == st.REPORT
        for item in items
    }
    charts = []
    for movement_id, shares in sorted((completion or {}).items()):
        bars = tuple(
            (name, shares.get(unit_id))
            for unit_id, name in sorted(units_in_scope.items(), key=lambda kv: kv[1])
            if unit_id in shares or (movement_id, unit_id) in reporting
        )
        if bars:
            title = (movement_titles or {}).get(movement_id, "")
            charts.append(ChartData(vi.SUMMARY_CHART_CAPTION.format(movement=title), bars))
    return Digest("\n".join(lines), tuple(charts))


def _order(subject: st.Subject) -> tuple[date, str]:
    return subject.deadline, subject.key


def _worth_showing(subject: st.Subject, items: list[st.Standing], today: date) -> bool:
    if subject.deadline > today + SHOW_AHEAD:
        return False
    settled = all(item.done for item in items)
    return not (settled and subject.deadline < today - SHOW_SETTLED)


def _subject_lines(subject: st.Subject, items: list[st.Standing], today: date) -> list[str]:
    count: dict[str, int] = defaultdict(int)
    for item in items:
        count[item.state] += 1
    deadline = _d(subject.deadline)
    if subject.deadline >= today:
        submitted = count[st.SUBMITTED] + count[st.LATE] + count[st.PAPER]
        return [
            vi.SUMMARY_SUBJECT_UPCOMING.format(
                subject=_cap(subject.name), deadline=deadline, submitted=submitted, total=len(items)
            )
        ]
    missing = [i.unit_name for i in items if not i.done]
    lines = [
        vi.SUMMARY_SUBJECT.format(
            subject=_cap(subject.name),
            deadline=deadline,
            submitted=count[st.SUBMITTED],
            late=count[st.LATE],
            paper=count[st.PAPER],
            missing=len(missing),
        )
    ]
    if missing:
        lines.append(vi.SUMMARY_LATE_UNITS.format(units=", ".join(missing)))
    paper = [i.unit_name for i in items if i.state == st.PAPER]
    if paper:
        lines.append(vi.SUMMARY_PAPER_UNITS.format(units=", ".join(paper)))
    return lines


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- one reader's summary, read from the records -----------------------------------------


def summary_audience(people: People) -> list[tuple[int, Cluster | None]]:
    """The office (the whole province) and each cluster lead (their cluster)."""
    audience: list[tuple[int, Cluster | None]] = [(p, None) for p in people.office]
    for cluster in people.clusters.values():
        audience += [(p, cluster) for p in people.cluster_leads(cluster)]
    return audience


def _cluster_units(cluster: Cluster) -> set[int]:
    return {m.unit_id for m in cluster.members} | {
        u for u in (cluster.lead_unit_id, cluster.deputy_unit_id) if u is not None
    }


def for_reader(
    session: Session,
    now: datetime,
    today: date,
    standings: list[st.Standing],
    movements: st.Movements,
    people: People,
    cluster: Cluster | None,
    completion: dict[int, dict[int, float]],
) -> Digest:
    """`completion`: each movement's share of targets reached by unit, read once per pass
    for every reader's summary (`completion_of`)."""
    units = _cluster_units(cluster) if cluster is not None else None
    opened = {m.id: m.title for m in movements.items if m.start_date <= today}
    mine = [
        s
        for s in standings
        if (units is None or s.unit_id in units) and s.subject.movement_id in opened
    ]
    return build(
        mine,
        today=today,
        scope=cluster.name if cluster is not None else vi.SUMMARY_SCOPE_OFFICE,
        completion={m: shares for m, shares in completion.items() if m in opened},
        movement_titles=opened,
        unreached=_unreached_week(session, now, people) if cluster is None else [],
    )


def summary_for(
    session: Session, now: datetime, calendar: WorkCalendar, cluster_code: str | None = None
) -> Digest | None:
    """The summary the office (or one cluster's lead) would get now; None for an unknown
    cluster. For `thidua summary --dry-run`."""
    today = calendar.local(now).date()
    movements = st.active_movements(session, today)
    people = read_people(session, today.year)
    cluster = None
    if cluster_code is not None:
        cluster = next((c for c in people.clusters.values() if c.code == cluster_code), None)
        if cluster is None:
            return None
    standings = st.standings(session, movements)
    completion = completion_of(session, movements)
    return for_reader(session, now, today, standings, movements, people, cluster, completion)


def completion_of(session: Session, movements: st.Movements) -> dict[int, dict[int, float]]:
    return {m.id: progress_reports.completion_by_unit(session, m.id) for m in movements.items}


def _unreached_week(session: Session, now: datetime, people: People) -> list[str]:
    since = now - timedelta(days=7)
    ids = sorted({r.person_id for r in recipients.unreached_since(session, since)})
    return [people.names.get(i, str(i)) for i in ids]
