"""What was awarded (decision number, date, issuer; per person or unit, per year), the forms of
commendation a unit may propose beside the titles, and the clusters' own rankings.

Results are the history the Law's checks read: «Chiến sĩ thi đua cơ sở» three years running
before the provincial title (Điều 22), two provincial ones before the national (Điều 21). The
office enters them or imports earlier years (`thidua results import`). A cluster's ranking is
its bình xét: the unit ranked first leads the cluster, which the cờ thi đua needs (Điều 26).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store import org
from bot.store.models import Base, Cluster, UTCDateTime
from bot.store.titles import LAW

BOTH = "cả hai"  # a form of commendation goes to a person or a collective alike


class FormSeed(NamedTuple):
    code: str
    name: str
    scope: str
    legal_basis: str


# The forms of commendation a province's units propose at year end (Điều 9 khoản 6 and 7).
FORMS: tuple[FormSeed, ...] = (
    FormSeed("GK", "Giấy khen", BOTH, f"Điều 75 {LAW}"),
    FormSeed("BK_TINH", "Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh", BOTH, f"Điều 74 {LAW}"),
    FormSeed("BK_TTG", "Bằng khen của Thủ tướng Chính phủ", BOTH, f"Điều 73 {LAW}"),
)
FORM_NAMES = {form.code: form.name for form in FORMS}


class AwardResult(Base):
    """One award made: a title or a form, to a person or a unit, for a year, by a decision."""

    __tablename__ = "award_results"
    __table_args__ = (UniqueConstraint("year", "award_code", "nominee_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    award_code: Mapped[str] = mapped_column(String(32))
    nominee_kind: Mapped[str] = mapped_column(String(16))  # as nominations: person|unit|named
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    nominee_name: Mapped[str] = mapped_column(String(255), default="")
    nominee_key: Mapped[str] = mapped_column(String(300), index=True)
    decision_number: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    issuer: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClusterRank(Base):
    """One unit's place in its cluster's year-end ranking, as the cluster lead recorded it."""

    __tablename__ = "cluster_rankings"
    __table_args__ = (UniqueConstraint("cluster_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Award:
    """What `record_result` stores; `nominee_key` as bot.store.nominations.nominee_key."""

    year: int
    award_code: str
    nominee_kind: str
    unit_id: int
    person_id: int | None
    nominee_name: str
    nominee_key: str
    decision_number: str
    decision_date: date
    issuer: str


def record_result(session: Session, award: Award, *, now: datetime) -> tuple[AwardResult, bool]:
    """Insert the result, or update the decision of the one with the same year, award and
    nominee; returns the row and whether it is new."""
    row = session.scalar(
        select(AwardResult).where(
            AwardResult.year == award.year,
            AwardResult.award_code == award.award_code,
            AwardResult.nominee_key == award.nominee_key,
        )
    )
    created = row is None
    if row is None:
        row = AwardResult(
            year=award.year, award_code=award.award_code, nominee_key=award.nominee_key
        )
        session.add(row)
    row.nominee_kind, row.unit_id, row.person_id = (
        award.nominee_kind,
        award.unit_id,
        award.person_id,
    )
    row.nominee_name = award.nominee_name
    row.decision_number, row.decision_date, row.issuer = (
        award.decision_number,
        award.decision_date,
        award.issuer,
    )
    row.updated_at = now.astimezone(UTC)
    session.flush()
    return row, created


def history(session: Session, keys: Collection[str]) -> set[tuple[str, int]]:
    """(award code, year) of every result for any of `keys` (one nominee's keys)."""
    if not keys:
        return set()
    rows = session.execute(
        select(AwardResult.award_code, AwardResult.year).where(
            AwardResult.nominee_key.in_(list(keys))
        )
    )
    return {(code, year) for code, year in rows}


def results_of_year(session: Session, year: int, unit_id: int | None = None) -> list[AwardResult]:
    """The year's results (of one unit and its people, when `unit_id` is given)."""
    query = select(AwardResult).where(AwardResult.year == year)
    if unit_id is not None:
        query = query.where(AwardResult.unit_id == unit_id)
    return list(session.scalars(query.order_by(AwardResult.award_code, AwardResult.id)))


def record_ranking(
    session: Session,
    cluster: Cluster,
    unit_ids: Sequence[int],
    *,
    person_id: int | None,
    now: datetime,
) -> None:
    """Replace the cluster's ranking with `unit_ids`, first the leading unit; audited."""
    before = ranking(session, cluster.id)
    session.execute(delete(ClusterRank).where(ClusterRank.cluster_id == cluster.id))
    for position, unit_id in enumerate(unit_ids, start=1):
        session.add(
            ClusterRank(
                cluster_id=cluster.id,
                unit_id=unit_id,
                position=position,
                recorded_by=person_id,
                recorded_at=now.astimezone(UTC),
            )
        )
    session.flush()
    org.audit(
        session,
        person_id=person_id,
        action="cluster.ranking",
        entity="cluster",
        entity_id=cluster.id,
        before={"ranking": before} if before else None,
        after={"ranking": list(unit_ids)},
        now=now,
    )


def ranking(session: Session, cluster_id: int) -> list[int]:
    """The cluster's units in ranked order ([] when none was recorded)."""
    query = select(ClusterRank.unit_id).where(ClusterRank.cluster_id == cluster_id)
    return list(session.scalars(query.order_by(ClusterRank.position)))


def standing(session: Session, unit_id: int, year: int) -> list[tuple[Cluster, int | None]]:
    """Each cụm/khối the unit is in that year, with the unit leading its ranking (None when
    the cluster has recorded no ranking yet)."""
    found = []
    for cluster in org.clusters_of_unit(session, unit_id, year):
        ranked = ranking(session, cluster.id)
        found.append((cluster, ranked[0] if ranked else None))
    return found
