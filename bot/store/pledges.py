"""Pledges (ký kết giao ước thi đua): opened by a cluster lead, signed once per member unit.

A pledge closes by itself when the last member signs. Two heads signing at the same moment must
not both see "one missing" and leave it open forever, so signing first locks the pledge row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises writers anyway), then counts.
Functions never commit: the router's transaction covers the signature, the close and the audit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import org
from bot.store.models import Cluster, ClusterMember, Pledge, PledgeSignature

OPEN = "open"
CLOSED = "closed"


class AlreadyExists(Exception):
    """The cluster already has a pledge for this movement (opened by someone else meanwhile)."""


class AlreadySigned(Exception):
    """The unit signed this pledge already (perhaps from another chat a moment ago)."""


def members(session: Session, cluster: Cluster) -> list[int]:
    """The units that must sign: the members, plus the lead and deputy units if not listed."""
    return members_of(session, [cluster])[cluster.id]


def members_of(session: Session, clusters: list[Cluster]) -> dict[int, list[int]]:
    """`members` of each cluster, by cluster id, in one query."""
    listed: dict[int, list[int]] = {c.id: [] for c in clusters}
    rows = session.execute(
        select(ClusterMember.cluster_id, ClusterMember.unit_id)
        .where(ClusterMember.cluster_id.in_(list(listed)))
        .order_by(ClusterMember.id)
    )
    for cluster_id, unit_id in rows:
        listed[cluster_id].append(unit_id)
    found = {}
    for cluster in clusters:
        units = listed[cluster.id]
        extra = [u for u in (cluster.lead_unit_id, cluster.deputy_unit_id) if u is not None]
        found[cluster.id] = [*units, *(u for u in extra if u not in units)]
    return found


def pledge_for(session: Session, cluster_id: int, movement_id: int) -> Pledge | None:
    return session.scalar(
        select(Pledge).where(Pledge.cluster_id == cluster_id, Pledge.movement_id == movement_id)
    )


def pledges_of_movement(session: Session, movement_id: int) -> dict[int, Pledge]:
    """The movement's pledges, by cluster (a cluster has at most one per movement)."""
    rows = session.scalars(select(Pledge).where(Pledge.movement_id == movement_id))
    return {pledge.cluster_id: pledge for pledge in rows}


def pledges_of_clusters(session: Session, cluster_ids: list[int]) -> list[Pledge]:
    if not cluster_ids:
        return []
    return list(
        session.scalars(
            select(Pledge).where(Pledge.cluster_id.in_(cluster_ids)).order_by(Pledge.id)
        )
    )


def pledges_of_year(session: Session, year: int) -> list[Pledge]:
    """Every pledge of the clusters of `year` (the office's view)."""
    return list(
        session.scalars(
            select(Pledge)
            .join(Cluster, Cluster.id == Pledge.cluster_id)
            .where(Cluster.year == year)
            .order_by(Cluster.kind, Cluster.code, Pledge.id)
        )
    )


def to_sign(session: Session, unit_id: int, year: int) -> list[Pledge]:
    """Open pledges of the unit's clusters for `year` that the unit has not signed yet."""
    clusters = org.clusters_of_unit(session, unit_id, year)
    found = []
    for pledge in pledges_of_clusters(session, [c.id for c in clusters]):
        if pledge.status == OPEN and unit_id not in signed_units(pledge):
            found.append(pledge)
    return found


def signed_units(pledge: Pledge) -> set[int]:
    return {s.unit_id for s in pledge.signatures}


def snapshot(pledge: Pledge) -> dict[str, Any]:
    return {
        "cluster_id": pledge.cluster_id,
        "movement_id": pledge.movement_id,
        "content": pledge.content,
        "commitments": list((pledge.commitments or {}).get("items", [])),
        "status": pledge.status,
        "signed_units": sorted(signed_units(pledge)),
    }


def open_pledge(
    session: Session,
    *,
    cluster_id: int,
    movement_id: int,
    content: str,
    commitments: list[str],
    person_id: int | None,
    now: datetime,
) -> Pledge:
    """Create the cluster's pledge for the movement; AlreadyExists if one is there."""
    pledge = Pledge(
        cluster_id=cluster_id,
        movement_id=movement_id,
        content=content,
        commitments={"items": list(commitments)},
        status=OPEN,
        opened_by=person_id,
        opened_at=now.astimezone(UTC),
    )
    try:
        with session.begin_nested():
            session.add(pledge)
            session.flush()
    except IntegrityError:
        raise AlreadyExists from None
    org.audit(
        session,
        person_id=person_id,
        action="pledge.open",
        entity="pledge",
        entity_id=pledge.id,
        before=None,
        after=snapshot(pledge),
        now=now,
    )
    return pledge


def sign(
    session: Session, pledge_id: int, unit_id: int, person_id: int, now: datetime
) -> tuple[Pledge, bool]:
    """Sign for `unit_id`; returns the pledge and whether this signature closed it."""
    pledge = session.scalar(select(Pledge).where(Pledge.id == pledge_id).with_for_update())
    assert pledge is not None
    session.refresh(pledge)  # the signatures as of the lock, not as first loaded
    if unit_id in signed_units(pledge):
        raise AlreadySigned
    before = snapshot(pledge)
    signature = PledgeSignature(unit_id=unit_id, signed_by=person_id, signed_at=now.astimezone(UTC))
    try:
        with session.begin_nested():
            pledge.signatures.append(signature)
            session.flush()
    except IntegrityError:
        session.refresh(pledge)
        raise AlreadySigned from None
    org.audit(
        session,
        person_id=person_id,
        action="pledge.sign",
        entity="pledge",
        entity_id=pledge.id,
        before=before,
        after={**snapshot(pledge), "unit_id": unit_id},
        now=now,
    )
    cluster = session.get(Cluster, pledge.cluster_id)
    assert cluster is not None
    missing = set(members(session, cluster)) - signed_units(pledge)
    if missing or pledge.status == CLOSED:
        return pledge, False
    closing = snapshot(pledge)
    pledge.status = CLOSED
    pledge.closed_at = now.astimezone(UTC)
    session.flush()
    org.audit(
        session,
        person_id=person_id,
        action="pledge.close",
        entity="pledge",
        entity_id=pledge.id,
        before=closing,
        after={**snapshot(pledge), "closed_at": pledge.closed_at},
        now=now,
    )
    return pledge, True
