"""Who may see and change what: one pure rule table, tested as role × action × unit.

The rule is the issue's: unit head and officer act on their own unit, a cluster lead sees the
units of the cluster their unit leads, the office sees and reviews everything, a cadre or an
unlinked account only asks questions. Kept pure (an `Actor` in, a bool out) so the matrix test
needs no database; `actor_for` is the one place that reads the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import org
from bot.store.accounts import Caller
from bot.store.models import ClusterMember
from bot.store.roles import Role


class Action(StrEnum):
    ASK = "ask"  # ask a question of the knowledge base
    VIEW = "view"  # see a unit's registration, reports, pledge signature
    DRAFT = "draft"  # enter or edit a unit's registration or report
    CONFIRM = "confirm"  # submit for the unit: confirm a registration or report, sign a pledge
    REVIEW = "review"  # approve or return a unit's registration
    LEAD_PLEDGE = "lead_pledge"  # open and close the pledge of a cluster holding the unit


@dataclass(frozen=True)
class Actor:
    """What the rules need to know about whoever sent a message."""

    person_id: int | None = None
    unit_id: int | None = None
    roles: frozenset[Role] = frozenset()
    cluster_units: frozenset[int] = frozenset()  # units of the cluster this person leads

    @property
    def linked(self) -> bool:
        return self.person_id is not None


UNLINKED = Actor()


def can(actor: Actor, action: Action, unit_id: int | None) -> bool:
    """True when `actor` may do `action` on `unit_id` (None: an action on no unit in particular)."""
    if action is Action.ASK:
        return True
    if not actor.linked:
        return False
    roles = actor.roles
    office = Role.OFFICE_ADMIN in roles
    own = unit_id is not None and unit_id == actor.unit_id
    in_cluster = (
        unit_id is not None and Role.CLUSTER_LEAD in roles and unit_id in actor.cluster_units
    )
    head = Role.UNIT_HEAD in roles
    officer = Role.UNIT_OFFICER in roles
    if action is Action.VIEW:
        return office or in_cluster or (own and (head or officer or Role.CLUSTER_LEAD in roles))
    if action is Action.DRAFT:
        return own and (head or officer)
    if action is Action.CONFIRM:
        return own and head
    if action is Action.REVIEW:
        return office
    if action is Action.LEAD_PLEDGE:
        return office or in_cluster
    return False  # pragma: no cover - every Action is handled above


def actor_of(session: Session, caller: Caller | None, today: date) -> Actor:
    """The actor for a linked person, from the plain row the router reads on every message:
    their roles, unit, and the cluster they lead this year."""
    if caller is None:
        return UNLINKED
    roles = frozenset(org.known_roles(caller.roles))
    cluster_units: frozenset[int] = frozenset()
    cluster = org.cluster_led_from(session, caller.unit_id, roles, today.year)
    if cluster is not None:
        members = session.scalars(
            select(ClusterMember.unit_id).where(ClusterMember.cluster_id == cluster.id)
        )
        extra = {cluster.lead_unit_id, cluster.deputy_unit_id} - {None}
        cluster_units = frozenset({*members, *(u for u in extra if u is not None)})
    return Actor(caller.person_id, caller.unit_id, roles, cluster_units)
