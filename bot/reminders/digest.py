"""The weekly summary: per deadline, which units submitted, were late, or are still missing.

The office reads the whole province; a cluster lead reads the units of their cluster. The
chart's figures come with it, so the caller can draw them (drawing is not the core's job).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.i18n import vi
from bot.reminders import standing as st

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
