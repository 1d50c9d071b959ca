"""What one reminder pass reads once and every step of it uses, and the writes it holds back.

A pass (bot.reminders.chase) reads who holds which role where and which reminder keys are
already recorded, once; units, escalations and summaries then only add to its lists, and the
keys and outbox rows are written together at the end, in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.messages import Reply
from bot.reminders.planning import Slot
from bot.store import reminders as rows
from bot.store.models import Cluster, ClusterMember, Person, PersonRole
from bot.store.roles import Role

# The rules of a reminder key: a unit's deadline, escalation to a cluster lead or to the
# office, the weekly summary.
UNIT, CLUSTER, OFFICE, SUMMARY = "unit", "cluster", "office", "summary"


@dataclass
class TickReport:
    sent: int = 0
    skipped: int = 0
    unreached: int = 0
    escalations: int = 0
    summaries: int = 0


@dataclass
class People:
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
    people: People
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


@dataclass(frozen=True)
class _Pending:
    key: rows.Key
    due_at: datetime
    unit_id: int | None
    reply: Reply


Seen = dict[tuple[str, int, str], set[str]]


def index_recorded(keys: set[rows.Key]) -> Seen:
    """Recorded slots by (rule, person, subject): each lookup is then a dict hit."""
    seen: Seen = defaultdict(set)
    for key in keys:
        seen[(key.rule, key.person_id, key.subject)].add(key.slot)
    return seen


def read_people(session: Session, year: int) -> People:
    """Everyone's roles by unit, the office, and the clusters of `year`: once per pass."""
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
    return People(names, by_unit, sorted(set(office)), of_unit, clusters)
