"""Tables. Every piece of state is a row, so any worker can pick up any message.

Dates that are deadlines are plain dates (a province's calendar); moments are timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

Json = dict[str, Any]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps no zone: without this, a Hà Tĩnh wall-clock time written as-is would come back
    naive and be read as UTC, seven hours off. A naive datetime is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {Json: JSON, Decimal: Numeric(20, 4)}  # noqa: RUF012


class Unit(Base):
    """An agency, district or enterprise that registers, reports and signs pledges."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    unit_type: Mapped[str] = mapped_column(String(64), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class Cluster(Base):
    """A cụm (by area) or khối (by sector) of units for one year, with its lead and deputy."""

    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # "cụm" | "khối"
    year: Mapped[int] = mapped_column(Integer)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deputy_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    members: Mapped[list[ClusterMember]] = relationship(cascade="all, delete-orphan")


class ClusterMember(Base):
    __tablename__ = "cluster_members"
    __table_args__ = (UniqueConstraint("cluster_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))


class Person(Base):
    """A cadre; roles decide what they may see and change."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(32), default="", index=True)
    position: Mapped[str] = mapped_column(String(255), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    roles: Mapped[list[PersonRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class PersonRole(Base):
    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))  # see bot.store.roles.Role


class ChannelIdentity(Base):
    """A chat account (Telegram user, Zalo user) linked to a person by an invite code."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InviteCode(Base):
    __tablename__ = "invite_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Movement(Base):
    """A phong trào thi đua with its deadlines; every date is data, never code."""

    __tablename__ = "movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str] = mapped_column(Text, default="")
    motto: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[str] = mapped_column(String(32), default="thường xuyên")
    year: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    registration_deadline: Mapped[date] = mapped_column(Date)
    pledge_deadline: Mapped[date | None] = mapped_column(Date)
    periods: Mapped[list[ReportPeriod]] = relationship(
        cascade="all, delete-orphan", order_by="ReportPeriod.deadline", lazy="selectin"
    )


class ReportPeriod(Base):
    """One reporting period of a movement: quý 1, sơ kết 6 tháng, tổng kết năm…"""

    __tablename__ = "report_periods"
    __table_args__ = (UniqueConstraint("movement_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    movement_id: Mapped[int] = mapped_column(ForeignKey("movements.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))  # "tiến độ" | "sơ kết" | "tổng kết"
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)


class TitleCatalog(Base):
    """Emulation titles from Luật Thi đua, khen thưởng 2022, Điều 20–28."""

    __tablename__ = "title_catalog"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))  # "cá nhân" | "tập thể"
    legal_basis: Mapped[str] = mapped_column(String(255), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Registration(Base):
    """A unit's đăng ký thi đua for one movement; each submission is a new version."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("unit_id", "movement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("movements.id"))
    status: Mapped[str] = mapped_column(String(32), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=0)
    collective_title: Mapped[str] = mapped_column(String(32), default="")
    drafted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str] = mapped_column(Text, default="")
    lines: Mapped[list[RegistrationLine]] = relationship(
        cascade="all, delete-orphan", order_by="RegistrationLine.position", lazy="selectin"
    )
    targets: Mapped[list[Target]] = relationship(
        cascade="all, delete-orphan", order_by="Target.position", lazy="selectin"
    )


class RegistrationLine(Base):
    """An individual title sought: by names, or by a count when names are not known yet."""

    __tablename__ = "registration_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title_code: Mapped[str] = mapped_column(String(32))
    names: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)


class Target(Base):
    """A chỉ tiêu: what, how measured, from which baseline to which value, by when."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(255), default="")
    unit_of_measure: Mapped[str] = mapped_column(String(64), default="")
    baseline: Mapped[Decimal | None] = mapped_column()
    target_value: Mapped[Decimal] = mapped_column()
    due_date: Mapped[date | None] = mapped_column(Date)


class RegistrationVersion(Base):
    """A frozen copy of each submitted version, for the audit trail and the office's review."""

    __tablename__ = "registration_versions"
    __table_args__ = (UniqueConstraint("registration_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[Json] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Pledge(Base):
    """A cluster's ký kết giao ước thi đua for a movement."""

    __tablename__ = "pledges"
    __table_args__ = (UniqueConstraint("cluster_id", "movement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    movement_id: Mapped[int] = mapped_column(ForeignKey("movements.id"))
    content: Mapped[str] = mapped_column(Text)
    commitments: Mapped[Json] = mapped_column(default=dict)  # {"items": [...]}
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signatures: Mapped[list[PledgeSignature]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class PledgeSignature(Base):
    __tablename__ = "pledge_signatures"
    __table_args__ = (UniqueConstraint("pledge_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledges.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    signed_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgressReport(Base):
    """A báo cáo tiến độ / sơ kết / tổng kết of one registration for one period."""

    __tablename__ = "progress_reports"
    __table_args__ = (UniqueConstraint("registration_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("report_periods.id"))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    version: Mapped[int] = mapped_column(Integer, default=1)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    narrative: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    values: Mapped[list[ReportValue]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    attachments: Mapped[list[ReportAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class ReportValue(Base):
    __tablename__ = "report_values"
    __table_args__ = (UniqueConstraint("report_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    actual_value: Mapped[Decimal] = mapped_column()


class ReportAttachment(Base):
    """A photo or file, stored once by content hash under the data dir."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_reports.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)


class Conversation(Base):
    """Where one person is in a form in one chat: flow, step and draft; `version` guards
    concurrent edits. Keyed by chat and person (`user_id`, the platform's account id), so
    people in one group chat each have their own; in a private chat the two are the same."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "user_id", name="uq_conversations_chat_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128), server_default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    flow: Mapped[str] = mapped_column(String(32), default="")
    step: Mapped[str] = mapped_column(String(64), default="")
    draft: Mapped[Json] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditLog(Base):
    """Who changed what, when, with the record before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[Json | None] = mapped_column()
    after: Mapped[Json | None] = mapped_column()
