"""One pass of the reminder scheduler: what is due now, to whom, through which channel.

Runs inside the caller's transaction (under its leader lock): each reminder's key row and the
outbox row that carries it commit together, so a crash loses neither and a second pass, in this
process or another, finds the key and sends nothing twice. Nothing here waits on a network.

Unit heads and officers get the reminders of their unit; late units are escalated to the
cluster lead and the office (bot.reminders.escalation). Each Monday (the first working day of
the week) the office and every cluster lead get the weekly summary (bot.reminders.digest).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.i18n import vi
from bot.messages import Attachment, Button, Reply
from bot.reminders import digest
from bot.reminders import standing as st
from bot.reminders.calendar import WorkCalendar
from bot.reminders.escalation import escalate
from bot.reminders.planning import ReminderPolicy, Slot, due, plan
from bot.reminders.reach import RouteFinder
from bot.reminders.reminder_pass import (
    CLUSTER,
    OFFICE,
    SUMMARY,
    UNIT,
    People,
    ReminderPass,
    TickReport,
    index_recorded,
    read_people,
)
from bot.store import outbox
from bot.store import reminders as rows
from bot.store.recipients import recipients
from bot.store.roles import Role

ChartRenderer = Callable[[digest.ChartData], bytes]


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
        people = read_people(session, today.year)
        subjects: dict[st.Subject, list[st.Standing]] = defaultdict(list)
        for item in standings:
            subjects[item.subject].append(item)
        keys = {s.key for s in subjects} | {
            f"{s.key}/c{c}" for s in subjects for c in people.clusters
        }
        keys.add(SUMMARY)
        run = ReminderPass(
            session, now, today, people, index_recorded(rows.recorded(session, keys))
        )
        snoozes = rows.pending_snoozes(session, [s.key for s in subjects])
        for subject, items in subjects.items():
            policy = movements.policies[subject.movement_id]
            self._chase_units(run, subject, items, policy, snoozes)
            escalate(run, subject, items, policy, self._calendar)
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
        people = read_people(session, today.year)
        run = ReminderPass(
            session, now, today, people, index_recorded(rows.recorded(session, [SUMMARY]))
        )
        label = "manual-" + self._calendar.local(now).strftime("%Y%m%d%H%M")
        self._summaries(run, standings, movements, slot=Slot(0, today, now, label=label))
        self._flush(run)
        return run.report

    def remind_now(
        self, session: Session, now: datetime, subject_key: str, unit_ids: Collection[int]
    ) -> TickReport:
        """The dashboard's «Nhắc ngay»: the heads and officers of `unit_ids` that still owe
        `subject_key`, at once whatever the schedule, under a key of the hour so that a second
        press within it queues nothing. Pressed in the quiet hours, they go out in the morning."""
        today = self._calendar.local(now).date()
        movements = st.active_movements(session, today)
        wanted = set(unit_ids)
        owing = [
            item
            for item in st.standings(session, movements)
            if item.subject.key == subject_key
            and item.unit_id in wanted
            and not item.done
            and item.state != st.WAITING
        ]
        people = read_people(session, today.year)
        run = ReminderPass(
            session, now, today, people, index_recorded(rows.recorded(session, [subject_key]))
        )
        moment = self._calendar.next_allowed(now)
        slot = Slot(0, today, moment, label="now-" + self._calendar.local(now).strftime("%Y%m%d%H"))
        for item in owing:
            for person_id in _audience(item, people):
                if slot.name in run.done(UNIT, person_id, subject_key):
                    continue
                name = people.names.get(person_id, "")
                reply = _unit_reminder(item, today, False, name)
                run.send(UNIT, person_id, subject_key, slot, item.unit_id, reply)
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
        for person_id, cluster in digest.summary_audience(run.people):
            pick = due([slot], run.done(SUMMARY, person_id, SUMMARY), run.now, self._calendar)
            for skipped in pick.skip:
                run.skip(SUMMARY, person_id, SUMMARY, skipped, None)
            if pick.send is None:
                continue
            scope = cluster.id if cluster else None
            if scope not in built:
                if completion is None:
                    completion = digest.completion_of(run.session, movements)
                summary = digest.for_reader(
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
        found = recipients(session, {p.key.person_id for p in run.pending})
        routes = {person_id: self._route(recipient, now) for person_id, recipient in found.items()}
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
            reply = replace(reply, meta={**reply.meta, outbox.EXPIRES_AT: expires})
            held = item.due_at if item.due_at > now else None  # «Nhắc ngay» in the quiet hours
            queued.append(
                outbox.Queued(
                    route.channel, route.chat_id, reply, f"reminder:{reminder_id}", not_before=held
                )
            )
            report.sent += 1
            report.escalations += item.key.rule in (CLUSTER, OFFICE)
            report.summaries += item.key.rule == SUMMARY
        outbox.enqueue_many(session, queued, now=now)


def _audience(item: st.Standing, people: People) -> list[int]:
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
        status = vi.ZNS_STATUS_BEFORE.format(days=left)
    elif left == 0:
        text = vi.REMIND_TODAY.format(**fields)
        status = vi.ZNS_STATUS_TODAY
    else:
        text = vi.REMIND_OVERDUE.format(days=-left, **fields)
        status = vi.ZNS_STATUS_OVERDUE.format(days=-left)
    text = text[:1].upper() + text[1:]
    if again:
        text = vi.REMIND_AGAIN + text[:1].lower() + text[1:]
    command = subject.command
    if item.state == st.PENDING:
        text += vi.REMIND_PENDING
        confirm = {st.REGISTRATION: "/xacnhan", st.NOMINATION: "/xacnhandn"}
        command = confirm.get(subject.kind, command)
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


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")
