"""One pass of the reminder scheduler: what is due now, to whom, through which channel.

Runs inside the caller's transaction (under its leader lock): each reminder's key row and the
outbox row that carries it commit together, so a crash loses neither and a second pass, in this
process or another, finds the key and sends nothing twice. Nothing here waits on a network.

Unit heads and officers get the reminders of their unit; after `escalate_cluster_after` days
overdue the cluster lead gets the cluster's late units, after `escalate_office_after` days the
office gets the province's. Each Monday (the first working day of the week) the office and
every cluster lead get the weekly summary.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.roles import Role
from bot.i18n import vi
from bot.messages import Attachment, Button, Reply
from bot.reminders import digest
from bot.reminders import standing as st
from bot.reminders.calendar import WorkCalendar
from bot.reminders.planning import ReminderPolicy, Slot, due, plan
from bot.reminders.reach import Identity, Route, RoutingPolicy, choose_route
from bot.store import delivery
from bot.store import reminders as rows
from bot.store.models import Cluster, ClusterMember, Person, PersonRole

UNIT, CLUSTER, OFFICE, SUMMARY = "unit", "cluster", "office", "summary"
SNOOZE_FOR = timedelta(days=1)


RouteFinder = Callable[[rows.Recipient, datetime], Route | None]
ChartRenderer = Callable[[digest.ChartData], bytes]


@dataclass
class TickReport:
    sent: int = 0
    skipped: int = 0
    unreached: int = 0
    escalations: int = 0
    summaries: int = 0


@dataclass
class _People:
    """Who holds which role where, read once per pass."""

    names: dict[int, str]
    by_unit: dict[int, dict[str, list[int]]]
    office: list[int]
    clusters_of_unit: dict[int, list[Cluster]]
    clusters: dict[int, Cluster]

    def unit_role(self, unit_id: int, *roles: Role) -> list[int]:
        held = self.by_unit.get(unit_id, {})
        return sorted({p for role in roles for p in held.get(role.value, [])})

    def cluster_leads(self, cluster: Cluster) -> list[int]:
        if cluster.lead_unit_id is None:
            return []
        return self.unit_role(cluster.lead_unit_id, Role.CLUSTER_LEAD)


@dataclass
class ReminderPass:
    """What one pass reads once and every step uses; the writes wait in it until the end."""

    session: Session
    now: datetime
    today: date
    people: _People
    seen: Seen
    report: TickReport = field(default_factory=TickReport)
    skipped: list[rows.Skip] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    fired: set[int] = field(default_factory=set)  # snoozes used up or moot

    @property
    def writes(self) -> bool:
        return bool(self.skipped or self.pending or self.fired)

    def done(self, rule: str, person_id: int, subject_key: str) -> set[str]:
        return self.seen.get((rule, person_id, subject_key), set())

    def skip(
        self, rule: str, person_id: int, subject_key: str, slot: Slot, unit_id: int | None
    ) -> None:
        """A slot that passed unsent: its key is written at the end, so it never comes back."""
        key = rows.Key(rule, person_id, subject_key, slot.name)
        self.skipped.append(rows.Skip(key, slot.moment, unit_id))
        self.report.skipped += 1

    def send(
        self,
        rule: str,
        person_id: int,
        subject_key: str,
        slot: Slot,
        unit_id: int | None,
        reply: Reply,
    ) -> None:
        key = rows.Key(rule, person_id, subject_key, slot.name)
        self.pending.append(_Pending(key, slot.moment, unit_id, reply))


class Chaser:
    """Computes and queues the reminders due at `now`; the scheduler owns the lock and loop."""

    def __init__(
        self,
        calendar: WorkCalendar,
        route: RouteFinder,
        *,
        render_chart: ChartRenderer | None = None,
    ) -> None:
        self._calendar = calendar
        self._route = route
        self._render_chart = render_chart

    def tick(self, session: Session, now: datetime) -> TickReport:
        """One pass in one transaction: decide, then write."""
        run = self.decide(session, now)
        if run is not None:
            self.write(session, run)
        return run.report if run is not None else TickReport()

    def decide(self, session: Session, now: datetime) -> ReminderPass | None:
        """Everything due at `now`, read but not written (None: nothing may go out now).

        Reads only, so on SQLite it runs without the write lock: most passes find nothing due
        and never take it.
        """
        if not self._calendar.may_send(now):
            return None  # nothing may go out now; what passed is judged next pass
        today = self._calendar.local(now).date()
        movements = st.active_movements(session, today)
        if not movements.items:
            return None
        standings = st.standings(session, movements)
        people = _people(session, today.year)
        subjects: dict[st.Subject, list[st.Standing]] = defaultdict(list)
        for item in standings:
            subjects[item.subject].append(item)
        keys = {s.key for s in subjects} | {
            f"{s.key}/c{c}" for s in subjects for c in people.clusters
        }
        keys.add(SUMMARY)
        run = ReminderPass(session, now, today, people, _index(rows.recorded(session, keys)))
        snoozes = rows.pending_snoozes(session, [s.key for s in subjects])
        for subject, items in subjects.items():
            policy = movements.policies[subject.movement_id]
            self._chase_units(run, subject, items, policy, snoozes)
            self._escalate(run, subject, items, policy)
        self._summaries(run, standings, movements)
        return run

    def write(self, session: Session, run: ReminderPass) -> None:
        """Writes what `decide` found, in `session` (which may be a later transaction than the
        one it read in: a key written meanwhile by another pass is simply not written again)."""
        run.session = session
        for snooze_id in sorted(run.fired):
            rows.mark_fired(session, snooze_id)
        self._flush(run)

    def summary_now(self, session: Session, now: datetime) -> TickReport:
        """Queues the summary to the office and the cluster leads at once (`thidua summary`),
        under a key of its own: once per minute at most, whatever the week's schedule did."""
        today = self._calendar.local(now).date()
        movements = st.active_movements(session, today)
        standings = st.standings(session, movements)
        people = _people(session, today.year)
        run = ReminderPass(session, now, today, people, _index(rows.recorded(session, [SUMMARY])))
        label = "manual-" + self._calendar.local(now).strftime("%Y%m%d%H%M")
        self._summaries(run, standings, movements, slot=Slot(0, today, now, label=label))
        self._flush(run)
        return run.report

    # --- units ------------------------------------------------------------------------------

    def _chase_units(
        self,
        run: ReminderPass,
        subject: st.Subject,
        items: list[st.Standing],
        policy: ReminderPolicy,
        snoozes: list[rows.ReminderSnooze],
    ) -> None:
        slots = plan(
            subject.deadline,
            policy.unit_offsets(),
            self._calendar,
            working_days=policy.working_days,
            until=subject.until,
        )
        if not slots or slots[0].moment > run.now:
            return
        snoozed = {(z.person_id, z.unit_id): z for z in snoozes if z.subject == subject.key}
        for item in items:
            audience = _audience(item, run.people)
            if item.done or item.state == st.WAITING:
                for person_id in audience:
                    if (z := snoozed.get((person_id, item.unit_id))) is not None:
                        run.fired.add(z.id)
                continue
            for person_id in audience:
                done = run.done(UNIT, person_id, subject.key)
                pick = due(slots, done, run.now, self._calendar)
                for slot in pick.skip:
                    run.skip(UNIT, person_id, subject.key, slot, item.unit_id)
                snooze = snoozed.get((person_id, item.unit_id))
                again = False
                if snooze is not None:
                    if snooze.until > run.now:
                        continue  # asked to be reminded later: the regular slots wait too
                    run.fired.add(snooze.id)
                    if pick.send is None:
                        moment = self._calendar.next_allowed(snooze.until)
                        slot = Slot(0, moment.date(), moment, label=f"z{snooze.id}")
                        pick = due([slot], done, run.now, self._calendar)
                        again = True
                if pick.send is None:
                    continue
                name = run.people.names.get(person_id, "")
                reply = _unit_reminder(item, run.today, again, name)
                run.send(UNIT, person_id, subject.key, pick.send, item.unit_id, reply)

    # --- escalation -------------------------------------------------------------------------

    def _escalate(
        self,
        run: ReminderPass,
        subject: st.Subject,
        items: list[st.Standing],
        policy: ReminderPolicy,
    ) -> None:
        late = [i for i in items if not i.done and i.state != st.WAITING]
        if not late or run.today <= subject.deadline:
            return
        people = run.people
        days = (run.today - subject.deadline).days
        cluster_slots = self._overdue_slots(subject, policy, policy.escalate_cluster_after)
        by_cluster: dict[int, list[st.Standing]] = defaultdict(list)
        for item in late:
            if subject.cluster_id is not None:
                by_cluster[subject.cluster_id].append(item)
                continue
            for cluster in people.clusters_of_unit.get(item.unit_id, []):
                by_cluster[cluster.id].append(item)
        for cluster_id, units in by_cluster.items():
            cluster = people.clusters[cluster_id]

            @functools.cache  # one text for every lead of the cluster
            def to_cluster(cluster: Cluster = cluster, units: list[st.Standing] = units) -> Reply:
                lines = (vi.ESCALATE_UNIT_LINE.format(unit=u.unit_name) for u in units)
                return Reply(
                    vi.ESCALATE_CLUSTER.format(
                        cluster=cluster.name,
                        count=len(units),
                        subject=subject.name,
                        deadline=_d(subject.deadline),
                        days=days,
                        units="\n".join(lines),
                    )
                )

            key = f"{subject.key}/c{cluster_id}"
            for person_id in people.cluster_leads(cluster):
                self._escalation(run, CLUSTER, person_id, key, cluster_slots, to_cluster)

        @functools.cache  # one text for every office admin
        def to_office() -> Reply:
            lines = []
            for item in late:
                names = ", ".join(c.name for c in people.clusters_of_unit.get(item.unit_id, []))
                line = vi.ESCALATE_UNIT_IN_CLUSTER if names else vi.ESCALATE_UNIT_LINE
                lines.append(line.format(unit=item.unit_name, cluster=names))
            text = vi.ESCALATE_OFFICE.format(
                count=len(late),
                subject=subject.name,
                deadline=_d(subject.deadline),
                days=days,
                units="\n".join(lines),
            )
            unreached = _unreached_people(run.session, subject.key, people)
            if unreached:
                text += vi.ESCALATE_UNREACHED.format(people=", ".join(unreached))
            return Reply(text)

        office_slots = self._overdue_slots(subject, policy, policy.escalate_office_after)
        for person_id in people.office:
            self._escalation(run, OFFICE, person_id, subject.key, office_slots, to_office)

    def _overdue_slots(self, subject: st.Subject, policy: ReminderPolicy, after: int) -> list[Slot]:
        return plan(
            subject.deadline,
            policy.overdue_offsets(after),
            self._calendar,
            working_days=policy.working_days,
            until=subject.until,
        )

    def _escalation(
        self,
        run: ReminderPass,
        rule: str,
        person_id: int,
        subject_key: str,
        slots: list[Slot],
        reply: Callable[[], Reply],
    ) -> None:
        """`reply` is built only when a slot is due: most passes send no escalation, and the
        office's text reads the unreached list from the database."""
        pick = due(slots, run.done(rule, person_id, subject_key), run.now, self._calendar)
        for slot in pick.skip:
            run.skip(rule, person_id, subject_key, slot, None)
        if pick.send is not None:
            run.send(rule, person_id, subject_key, pick.send, None, reply())

    # --- weekly summary ---------------------------------------------------------------------

    def _summaries(
        self,
        run: ReminderPass,
        standings: list[st.Standing],
        movements: st.Movements,
        *,
        slot: Slot | None = None,
    ) -> None:
        """The weekly summary on the week's first working day; `slot` forces one now."""
        if slot is None:
            monday = run.today - timedelta(days=run.today.weekday())
            day = self._calendar.working_day_on_or_after(monday)
            if day - monday >= timedelta(days=7):
                return  # a week off (Tết): no summary of a week nobody worked
            slot = Slot(0, day, self._calendar.at_send_time(day), label=digest.week_label(monday))
        built: dict[int | None, Reply] = {}
        completion: dict[int, dict[int, float]] | None = None
        for person_id, cluster in _summary_audience(run.people):
            pick = due([slot], run.done(SUMMARY, person_id, SUMMARY), run.now, self._calendar)
            for skipped in pick.skip:
                run.skip(SUMMARY, person_id, SUMMARY, skipped, None)
            if pick.send is None:
                continue
            scope = cluster.id if cluster else None
            if scope not in built:
                if completion is None:
                    completion = _completion(run.session, movements)
                summary = _digest(
                    run.session,
                    run.now,
                    run.today,
                    standings,
                    movements,
                    run.people,
                    cluster,
                    completion,
                )
                built[scope] = self._summary_reply(summary, slot.name)
            run.send(SUMMARY, person_id, SUMMARY, pick.send, None, built[scope])

    def _summary_reply(self, summary: digest.Digest, label: str) -> Reply:
        if self._render_chart is None or not summary.charts:
            return Reply(summary.text)
        images = tuple(
            Attachment("photo", f"tien-do-{label}-{n}.png", "image/png", data=self._render_chart(c))
            for n, c in enumerate(summary.charts[:3], 1)
        )
        return Reply(summary.text, attachments=images)

    # --- writing ----------------------------------------------------------------------------

    def _flush(self, run: ReminderPass) -> None:
        """Routes every reminder of the pass, writes their keys and outbox rows together.

        A key another worker wrote first comes back without an id and is not queued here.
        """
        session, now, report = run.session, run.now, run.report
        rows.record_skipped(session, run.skipped, now=now)
        if not run.pending:
            return
        recipients = rows.recipients(session, {p.key.person_id for p in run.pending})
        routes = {
            person_id: self._route(recipient, now) for person_id, recipient in recipients.items()
        }
        entries = []
        for item in run.pending:
            route = routes.get(item.key.person_id)
            entries.append(
                rows.Entry(
                    item.key,
                    status=rows.SENT if route else rows.UNREACHED,
                    due_at=item.due_at,
                    unit_id=item.unit_id,
                    channel=route.channel if route else "",
                    route=route.kind if route else "",
                )
            )
        ids = rows.record_many(session, entries, now=now)
        queued = []
        for item in run.pending:
            reminder_id = ids.get(item.key)
            route = routes.get(item.key.person_id)
            if reminder_id is None:
                continue  # another worker wrote this key first: it sends it
            if route is None:
                report.unreached += 1
                continue
            reply = _with_reminder_id(item.reply, reminder_id)
            # A reminder held up (the platform's quota, a long outage) is dropped when its day's
            # window closes rather than arriving at night or days late.
            expires = self._calendar.window_end(item.due_at).isoformat()
            reply = replace(reply, meta={**reply.meta, delivery.EXPIRES_AT: expires})
            queued.append(
                delivery.Queued(route.channel, route.chat_id, reply, f"reminder:{reminder_id}")
            )
            report.sent += 1
            report.escalations += item.key.rule in (CLUSTER, OFFICE)
            report.summaries += item.key.rule == SUMMARY
        delivery.enqueue_many(session, queued, now=now)


@dataclass(frozen=True)
class _Pending:
    key: rows.Key
    due_at: datetime
    unit_id: int | None
    reply: Reply


Seen = dict[tuple[str, int, str], set[str]]


def _index(keys: set[rows.Key]) -> Seen:
    """Recorded slots by (rule, person, subject): each lookup is then a dict hit."""
    seen: Seen = defaultdict(set)
    for key in keys:
        seen[(key.rule, key.person_id, key.subject)].add(key.slot)
    return seen


def _summary_audience(people: _People) -> list[tuple[int, Cluster | None]]:
    """The office (the whole province) and each cluster lead (their cluster)."""
    audience: list[tuple[int, Cluster | None]] = [(p, None) for p in people.office]
    for cluster in people.clusters.values():
        audience += [(p, cluster) for p in people.cluster_leads(cluster)]
    return audience


def _cluster_units(cluster: Cluster) -> set[int]:
    return {m.unit_id for m in cluster.members} | {
        u for u in (cluster.lead_unit_id, cluster.deputy_unit_id) if u is not None
    }


def _digest(
    session: Session,
    now: datetime,
    today: date,
    standings: list[st.Standing],
    movements: st.Movements,
    people: _People,
    cluster: Cluster | None,
    completion: dict[int, dict[int, float]],
) -> digest.Digest:
    """`completion`: each movement's share of targets reached by unit, read once per pass
    for every reader's summary (`_completion`)."""
    units = _cluster_units(cluster) if cluster is not None else None
    mine = [s for s in standings if units is None or s.unit_id in units]
    return digest.build(
        mine,
        today=today,
        scope=cluster.name if cluster is not None else vi.SUMMARY_SCOPE_OFFICE,
        completion=completion,
        movement_titles={m.id: m.title for m in movements.items},
        unreached=_unreached_week(session, now, people) if cluster is None else [],
    )


def summary_for(
    session: Session, now: datetime, calendar: WorkCalendar, cluster_code: str | None = None
) -> digest.Digest | None:
    """The summary the office (or one cluster's lead) would get now; None for an unknown
    cluster. For `thidua summary --dry-run`."""
    today = calendar.local(now).date()
    movements = st.active_movements(session, today)
    people = _people(session, today.year)
    cluster = None
    if cluster_code is not None:
        cluster = next((c for c in people.clusters.values() if c.code == cluster_code), None)
        if cluster is None:
            return None
    standings = st.standings(session, movements)
    completion = _completion(session, movements)
    return _digest(session, now, today, standings, movements, people, cluster, completion)


def _completion(session: Session, movements: st.Movements) -> dict[int, dict[int, float]]:
    return {m.id: st.completion_by_unit(session, m.id) for m in movements.items}


def _audience(item: st.Standing, people: _People) -> list[int]:
    """Unit head and officer; only the head for a draft waiting for the head's confirmation; the
    cluster lead for a pledge nobody opened yet."""
    if item.unopened:
        leads = people.unit_role(item.unit_id, Role.CLUSTER_LEAD)
        return leads or people.unit_role(item.unit_id, Role.UNIT_HEAD)
    if item.state == st.PENDING:
        return people.unit_role(item.unit_id, Role.UNIT_HEAD)
    return people.unit_role(item.unit_id, Role.UNIT_HEAD, Role.UNIT_OFFICER)


def _unit_reminder(item: st.Standing, today: date, again: bool, person_name: str) -> Reply:
    subject = item.subject
    left = (subject.deadline - today).days
    fields = {"subject": subject.name, "unit": item.unit_name, "deadline": _d(subject.deadline)}
    if left > 0:
        text = vi.REMIND_BEFORE.format(days=left, **fields)
        status = f"còn {left} ngày"
    elif left == 0:
        text = vi.REMIND_TODAY.format(**fields)
        status = "hạn cuối hôm nay"
    else:
        text = vi.REMIND_OVERDUE.format(days=-left, **fields)
        status = f"quá hạn {-left} ngày"
    text = text[:1].upper() + text[1:]
    if again:
        text = vi.REMIND_AGAIN + text[:1].lower() + text[1:]
    command = subject.command
    if item.state == st.PENDING:
        text += vi.REMIND_PENDING
        command = "/xacnhan" if subject.kind == st.REGISTRATION else command
    elif item.state == st.RETURNED:
        text += vi.REMIND_RETURNED
    elif item.unopened:
        text += vi.REMIND_PLEDGE_OPEN
    zns = {
        "person_name": person_name,
        "unit_name": item.unit_name,
        "subject": subject.name,
        "deadline": _d(subject.deadline),
        "status": status,
        "movement": subject.movement_title,
    }
    return Reply(
        text,
        buttons=((Button(vi.BTN_SUBMIT_NOW, command),),),
        meta={"zns_fields": json.dumps(zns, ensure_ascii=False)},
    )


def _with_reminder_id(reply: Reply, reminder_id: int) -> Reply:
    """Adds the snooze and paper buttons (they name the reminder) to a unit reminder."""
    meta = {**reply.meta, "key": f"reminder:{reminder_id}"}
    if not reply.buttons:
        return Reply(reply.text, attachments=reply.attachments, meta=meta)
    rows_ = (
        *reply.buttons,
        (Button(vi.BTN_SNOOZE, f"/nhaclai {reminder_id}"),),
        (Button(vi.BTN_PAPER, f"/vanban {reminder_id}"),),
    )
    return Reply(reply.text, buttons=rows_, attachments=reply.attachments, meta=meta)


def _people(session: Session, year: int) -> _People:
    names: dict[int, str] = {}
    by_unit: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    office: list[int] = []
    query = select(Person.id, Person.full_name, Person.unit_id, PersonRole.role).join(
        PersonRole, PersonRole.person_id == Person.id
    )
    for person_id, name, unit_id, role in session.execute(query.order_by(Person.id)):
        names[person_id] = name
        if role == Role.OFFICE_ADMIN.value:
            office.append(person_id)
        if unit_id is not None:
            by_unit[unit_id][role].append(person_id)
    clusters = {c.id: c for c in session.scalars(select(Cluster).where(Cluster.year == year))}
    of_unit: dict[int, list[Cluster]] = defaultdict(list)
    members = session.execute(
        select(ClusterMember.cluster_id, ClusterMember.unit_id).where(
            ClusterMember.cluster_id.in_(list(clusters))
        )
    )
    pairs = {(cluster_id, unit_id) for cluster_id, unit_id in members}
    for cluster in clusters.values():
        pairs |= {(cluster.id, u) for u in (cluster.lead_unit_id, cluster.deputy_unit_id) if u}
    for cluster_id, unit_id in sorted(pairs):
        of_unit[unit_id].append(clusters[cluster_id])
    return _People(names, by_unit, sorted(set(office)), of_unit, clusters)


def _unreached_people(session: Session, subject_key: str, people: _People) -> list[str]:
    """Names of people the unit reminders of a subject could not reach."""
    ids = rows.unreached_for(session, subject_key)
    return [people.names.get(i, str(i)) for i in ids]


def _unreached_week(session: Session, now: datetime, people: _People) -> list[str]:
    since = now - timedelta(days=7)
    ids = sorted({r.person_id for r in rows.unreached_since(session, since)})
    return [people.names.get(i, str(i)) for i in ids]


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def route_by(policy: RoutingPolicy, channels: Collection[str] | None = None) -> RouteFinder:
    """Routes by bot.reminders.reach over the person's chats on the running `channels` (all when
    None): a Zalo OA chat only when the OA runs, ZNS only when the policy enables it."""

    def find(recipient: rows.Recipient, now: datetime) -> Route | None:
        identities = [
            Identity(c.channel, c.external_id, c.last_interaction_at, c.unreachable)
            for c in recipient.contacts
            if channels is None or c.channel in channels
        ]
        return choose_route(
            identities,
            phone=recipient.phone,
            now=now,
            policy=policy,
            phone_unreachable=recipient.phone_unreachable,
        )

    return find
