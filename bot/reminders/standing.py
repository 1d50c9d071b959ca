"""Who owes what: each deadline of the running movements and every unit's standing against it.

Reminders chase the units whose standing is not done; the weekly summary shows all of them.
A subject is one deadline: a movement's registration, one report period, one cluster's pledge.
A unit that declared it filed on paper ("Đã nộp bằng văn bản") counts as done for reminders
and is shown apart, for the office to check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Row, bindparam, case, select
from sqlalchemy.orm import Session

from bot.i18n import nominations_vi, vi
from bot.reminders.calendar import VN_TZ
from bot.reminders.planning import ReminderPolicy
from bot.store import filings, nominations, participants, pledges, progress_reports, registrations
from bot.store import reminders as reminder_rows
from bot.store.models import (
    Cluster,
    Movement,
    Pledge,
    ProgressReport,
    Registration,
    ReportPeriod,
    Unit,
)

REGISTRATION, REPORT, PLEDGE = "registration", "report", "pledge"
NOMINATION = "nomination"  # a movement's nomination deadline, when the office set one
SUBMITTED, LATE, PAPER, PENDING, RETURNED, MISSING, WAITING = (
    "submitted",
    "late",
    "paper",
    "pending",  # drafted, waiting for the unit head's confirmation
    "returned",  # the office sent it back
    "missing",
    "waiting",  # cannot act yet: the cluster lead has not opened the pledge
)
DONE = frozenset({SUBMITTED, LATE, PAPER})
LOOK_BEFORE = timedelta(days=45)  # a movement's reminders start before it opens…
LOOK_AFTER = timedelta(days=120)  # …and overdue ones go on after it ends


@dataclass(frozen=True)
class Subject:
    key: str  # stable and short: what reminder keys and paper declarations refer to
    kind: str
    movement_id: int
    movement_title: str
    name: str
    deadline: date
    until: date  # no repeat after this day
    command: str  # the form that settles it
    year: int
    cluster_id: int | None = None


@dataclass(frozen=True)
class Standing:
    subject: Subject
    unit_id: int
    unit_name: str
    state: str
    unopened: bool = False  # a pledge its cluster lead has still to open

    @property
    def done(self) -> bool:
        return self.state in DONE


@dataclass(frozen=True)
class Sheet:
    """One deadline and the state of each unit that owes it, by unit: the standings of one
    subject without an object per unit, for a page that counts thousands of them."""

    subject: Subject
    states: dict[int, str]
    unopened: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Movements:
    """The movements in their reminder window, with each one's policy."""

    items: tuple[Movement, ...]
    policies: dict[int, ReminderPolicy]


def active_movements(session: Session, today: date) -> Movements:
    rows = session.scalars(
        select(Movement)
        .where(
            Movement.start_date <= today + LOOK_BEFORE,
            Movement.end_date >= today - LOOK_AFTER,
        )
        .order_by(Movement.start_date, Movement.id)
    )
    items = tuple(rows)
    stored = reminder_rows.policy_rows(session)
    policies = {m.id: _policy(stored.get(m.id)) for m in items}
    return Movements(items, policies)


def _policy(row: reminder_rows.ReminderPolicyRow | None) -> ReminderPolicy:
    if row is None:
        return ReminderPolicy()
    return ReminderPolicy(
        offsets=tuple(int(n) for n in row.offsets),
        repeat_every_days=row.repeat_every_days,
        repeat_times=row.repeat_times,
        working_days=row.working_days,
        escalate_cluster_after=row.escalate_cluster_after,
        escalate_office_after=row.escalate_office_after,
    )


# A standing reads a few columns as rows, never a registration's lines and targets nor a
# report's values and attachments: a province's thousands of rows are read on every reminder
# pass and every movements page (bench/dashboard.py). The states are worked out in SQL, so no
# filing time is read and converted only to be compared with a deadline.
_REG_STATE = case(
    (
        Registration.status.in_((registrations.SUBMITTED, registrations.APPROVED)),
        case((Registration.submitted_at >= bindparam("late_from"), LATE), else_=SUBMITTED),
    ),
    (Registration.status == registrations.PENDING_HEAD, PENDING),
    (Registration.status == registrations.RETURNED, RETURNED),
    else_=MISSING,
)
_REGISTRATIONS = select(Registration.unit_id, Registration.status, _REG_STATE).where(
    Registration.movement_id == bindparam("movement_id")
)
RegRow = Row[int, str, str]  # unit, status, state against the registration deadline
Paper = dict[str, set[int]]  # subject key -> the units that declared it filed on paper
_REPORT_STATE = case(
    (
        ProgressReport.status == progress_reports.SUBMITTED,
        case((ProgressReport.late, LATE), else_=SUBMITTED),
    ),
    (ProgressReport.status == progress_reports.RETURNED, RETURNED),  # back with the officer
    else_=PENDING,
)
_FILED = (
    select(Registration.unit_id, ProgressReport.period_id, _REPORT_STATE)
    .join(Registration, Registration.id == ProgressReport.registration_id)
    .where(
        Registration.movement_id == bindparam("movement_id"),
        Registration.status.in_(progress_reports.REPORTABLE),
    )
)


def standings(
    session: Session, movements: Movements, *, whole: Collection[int] | None = None
) -> list[Standing]:
    """Every taking-part unit's standing against every subject of the given movements: the
    office's own unit owes nothing (bot.store.participants), so nothing chases or counts it.

    `whole`: the movements whose every subject is read (None: all of them); of the others only
    the registration, for a page that shows one movement in full and the rest in brief."""
    units = taking_part(session)
    return [
        Standing(sheet.subject, unit_id, units.get(unit_id, ""), state, unit_id in sheet.unopened)
        for sheet in sheets(session, movements, whole=whole, units=units)
        for unit_id, state in sheet.states.items()
    ]


def taking_part(session: Session) -> dict[int, str]:
    """The units that owe the deadlines, by name: all but the office's own."""
    office = participants.office_unit_ids(session)
    query = select(Unit.id, Unit.name).order_by(Unit.name, Unit.id)
    return {unit_id: name for unit_id, name in session.execute(query) if unit_id not in office}


def sheets(
    session: Session,
    movements: Movements,
    *,
    whole: Collection[int] | None = None,
    units: dict[int, str] | None = None,
) -> list[Sheet]:
    """What `standings` tells, one sheet per subject. `units`: taking_part's answer, when the
    caller has read it already."""
    units = taking_part(session) if units is None else units
    paper: Paper = defaultdict(set)
    for unit_id, key in reminder_rows.paper_submitted(session):
        paper[key].add(unit_id)
    found: list[Sheet] = []
    for movement in movements.items:
        late_from = datetime.combine(
            movement.registration_deadline + timedelta(days=1), time(), tzinfo=VN_TZ
        )
        query = {"movement_id": movement.id, "late_from": late_from}
        regs = list(session.execute(_REGISTRATIONS, query))
        found.append(_registrations(movement, regs, units, paper))
        if whole is not None and movement.id not in whole:
            continue
        found += _reports(session, movement, regs, paper)
        found += _pledges(session, movement, paper)
        found += _nominations(session, movement, regs, paper)
    return found


def _sheet(subject: Subject, states: dict[int, str], paper: Paper) -> Sheet:
    """The sheet of `states`, where a unit that declared the subject filed on paper counts as
    done unless it filed here."""
    for unit_id in paper.get(subject.key, ()):
        if unit_id in states and states[unit_id] not in DONE:
            states[unit_id] = PAPER
    return Sheet(subject, states)


def subjects(session: Session, movements: Movements) -> list[Subject]:
    """Every deadline of the movements, whether or not any unit owes it yet (for the plan)."""
    found: list[Subject] = []
    for movement in movements.items:
        found.append(_registration_subject(movement))
        found += [_period_subject(movement, period) for period in movement.periods]
        if movement.pledge_deadline is not None:
            clusters = _clusters(session, movement.year)
            found += [_pledge_subject(movement, cluster) for cluster in clusters]
        found += [s for s in [_nomination_subject(session, movement)] if s is not None]
    return found


def _registration_subject(movement: Movement) -> Subject:
    return _subject(
        movement,
        filings.registration_key(movement.id),
        REGISTRATION,
        vi.SUBJECT_REGISTRATION.format(movement=movement.title),
        movement.registration_deadline,
        "/dangky",
    )


def _clusters(session: Session, year: int) -> list[Cluster]:
    query = select(Cluster).where(Cluster.year == year).order_by(Cluster.kind, Cluster.code)
    return list(session.scalars(query))


def _period_subject(movement: Movement, period: ReportPeriod) -> Subject:
    return _subject(
        movement,
        filings.report_key(period.id),
        REPORT,
        vi.SUBJECT_REPORT.format(period=period.name, movement=movement.title),
        period.deadline,
        "/baocao",
    )


def _pledge_subject(movement: Movement, cluster: Cluster) -> Subject:
    assert movement.pledge_deadline is not None
    return _subject(
        movement,
        filings.pledge_key(movement.id, cluster.id),
        PLEDGE,
        vi.SUBJECT_PLEDGE.format(cluster=cluster.name, movement=movement.title),
        movement.pledge_deadline,
        "/giaouoc",
        cluster_id=cluster.id,
    )


def _subject(
    movement: Movement,
    key: str,
    kind: str,
    name: str,
    deadline: date,
    command: str,
    *,
    cluster_id: int | None = None,
) -> Subject:
    """A deadline of the movement; its repeats stop LOOK_AFTER past the movement's end."""
    return Subject(
        key=key,
        kind=kind,
        movement_id=movement.id,
        movement_title=movement.title,
        name=name,
        deadline=deadline,
        until=max(movement.end_date, deadline) + LOOK_AFTER,
        command=command,
        year=movement.year,
        cluster_id=cluster_id,
    )


def _nomination_subject(session: Session, movement: Movement) -> Subject | None:
    settings = nominations.settings_of(session, movement.id)
    if settings is None or settings.deadline is None:
        return None
    name = nominations_vi.SUBJECT_NOMINATION.format(movement=movement.title)
    return _subject(movement, f"dn:{movement.id}", NOMINATION, name, settings.deadline, "/denghi")


def _nominations(
    session: Session, movement: Movement, regs: list[RegRow], paper: Paper
) -> list[Sheet]:
    """The units registered in the movement owe their nominations by its deadline: sent (the
    head submitted at least one), waiting for the head, returned, or nothing yet."""
    subject = _nomination_subject(session, movement)
    if subject is None:
        return []
    sent: dict[int, list[nominations.Nomination]] = defaultdict(list)
    for nom in nominations.of_movement(session, movement.id):
        sent[nom.unit_id].append(nom)
    states = {}
    for reg in regs:
        if reg.status not in progress_reports.REPORTABLE:
            continue
        found = sent.get(reg.unit_id, [])
        submitted = [n.submitted_at for n in found if n.submitted_at is not None]
        state = MISSING
        if submitted:
            state = _on_time(min(submitted), subject.deadline)
        elif any(n.status == nominations.RETURNED for n in found):
            state = RETURNED
        elif found:
            state = PENDING
        states[reg.unit_id] = state
    return [_sheet(subject, states, paper)]


def _registrations(
    movement: Movement,
    regs: list[RegRow],
    units: dict[int, str],
    paper: Paper,
) -> Sheet:
    """Every taking-part unit against the registration deadline: one without a registration
    has not filed (MISSING)."""
    subject = _registration_subject(movement)
    by_unit = {unit_id: state for unit_id, _status, state in regs}
    return _sheet(subject, {unit_id: by_unit.get(unit_id, MISSING) for unit_id in units}, paper)


def _on_time(at: datetime, deadline: date) -> str:
    return LATE if at.astimezone(VN_TZ).date() > deadline else SUBMITTED


def _reports(session: Session, movement: Movement, regs: list[RegRow], paper: Paper) -> list[Sheet]:
    """Each report period against the units whose registration they may report on."""
    reporting = [r.unit_id for r in regs if r.status in progress_reports.REPORTABLE]
    if not reporting:
        return []
    filed: dict[int, dict[int, str]] = defaultdict(dict)  # period -> unit -> state
    for unit_id, period_id, state in session.execute(_FILED, {"movement_id": movement.id}):
        filed[period_id][unit_id] = state
    result = []
    for period in movement.periods:
        got = filed[period.id]
        states = {unit_id: got.get(unit_id, MISSING) for unit_id in reporting}
        result.append(_sheet(_period_subject(movement, period), states, paper))
    return result


def _pledges(session: Session, movement: Movement, paper: Paper) -> list[Sheet]:
    """Each cluster's members against its pledge: the lead owes opening it, the others wait
    for that, then each owes its signature until the pledge closes."""
    if movement.pledge_deadline is None:
        return []
    clusters = _clusters(session, movement.year)
    members = pledges.members_of(session, clusters)
    opened = pledges.pledges_of_movement(session, movement.id)
    result = []
    for cluster in clusters:
        pledge: Pledge | None = opened.get(cluster.id)
        subject = _pledge_subject(movement, cluster)
        signed = pledges.signed_units(pledge) if pledge is not None else set()
        states = {}
        for unit_id in members[cluster.id]:
            if pledge is None:
                state = MISSING if unit_id == cluster.lead_unit_id else WAITING
            elif unit_id in signed or pledge.status == pledges.CLOSED:
                state = SUBMITTED
            else:
                state = MISSING
            states[unit_id] = state
        sheet = _sheet(subject, states, paper)
        if pledge is None:  # the lead still owes opening it
            unopened = frozenset(u for u, state in sheet.states.items() if state == MISSING)
            sheet = Sheet(subject, sheet.states, unopened)
        result.append(sheet)
    return result
