"""Escalation: a deadline passed and units are still late.

After `escalate_cluster_after` days overdue the cluster lead gets the cluster's late units, after
`escalate_office_after` days the office gets the province's, with the people the unit
reminders could not reach. Part of a reminder pass (bot.reminders.chase): what is due joins the
pass's writes.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from bot.i18n import vi
from bot.messages import Reply
from bot.reminders import standing as st
from bot.reminders.calendar import WorkCalendar
from bot.reminders.planning import ReminderPolicy, Slot, due, plan
from bot.reminders.reminder_pass import CLUSTER, OFFICE, People, ReminderPass
from bot.store import recipients
from bot.store.models import Cluster


def escalate(
    run: ReminderPass,
    subject: st.Subject,
    items: list[st.Standing],
    policy: ReminderPolicy,
    calendar: WorkCalendar,
) -> None:
    """The cluster leads hear of their cluster's late units, then the office of all of them."""
    late = [i for i in items if not i.done and i.state != st.WAITING]
    if not late or run.today <= subject.deadline:
        return
    people = run.people
    days = (run.today - subject.deadline).days
    cluster_slots = _overdue_slots(subject, policy, policy.escalate_cluster_after, calendar)
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
            _escalation(run, CLUSTER, person_id, key, cluster_slots, to_cluster, calendar)

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

    office_slots = _overdue_slots(subject, policy, policy.escalate_office_after, calendar)
    for person_id in people.office:
        _escalation(run, OFFICE, person_id, subject.key, office_slots, to_office, calendar)


def _overdue_slots(
    subject: st.Subject, policy: ReminderPolicy, after: int, calendar: WorkCalendar
) -> list[Slot]:
    return plan(
        subject.deadline,
        policy.overdue_offsets(after),
        calendar,
        working_days=policy.working_days,
        until=subject.until,
    )


def _escalation(
    run: ReminderPass,
    rule: str,
    person_id: int,
    subject_key: str,
    slots: list[Slot],
    reply: Callable[[], Reply],
    calendar: WorkCalendar,
) -> None:
    """`reply` is built only when a slot is due: most passes send no escalation, and the
    office's text reads the unreached list from the database."""
    pick = due(slots, run.done(rule, person_id, subject_key), run.now, calendar)
    for slot in pick.skip:
        run.skip(rule, person_id, subject_key, slot, None)
    if pick.send is not None:
        run.send(rule, person_id, subject_key, pick.send, None, reply())


def _unreached_people(session: Session, subject_key: str, people: People) -> list[str]:
    """Names of people the unit reminders of a subject could not reach."""
    ids = recipients.unreached_for(session, subject_key)
    return [people.names.get(i, str(i)) for i in ids]


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")
