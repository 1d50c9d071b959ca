"""Who a reminder can reach: each person's linked chats and phone, and who it could not reach.

The reminder pass reads the recipients of everything it is about to queue in a few queries and
routes each by bot.reminders.reach; a chat that refused us (blocked the bot, left Zalo) is
flagged, so routing skips it. What nobody could be reached for is on the office's list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.store.models import ChannelIdentity, Person, Unit
from bot.store.phone import zns_phone
from bot.store.reminders import UNREACHED, ReminderLog
from bot.store.unreachable import UnreachableChat

NO_INTERACTION = "no_interaction"  # the Zalo OA adapter's reason for error −230
ZNS_CHANNEL = "zalo_zns"


@dataclass(frozen=True)
class Contact:
    channel: str
    external_id: str
    last_interaction_at: datetime | None
    unreachable: bool


@dataclass(frozen=True)
class Recipient:
    person_id: int
    phone: str
    contacts: tuple[Contact, ...]  # the most recently used first
    phone_unreachable: bool = False  # ZNS refused the number (not a Zalo user, invalid)


def recipients(session: Session, person_ids: Iterable[int]) -> dict[int, Recipient]:
    """Each person's phone and linked chats (each flagged if it refused us), in few queries."""
    wanted = sorted(set(person_ids))
    found: dict[int, Recipient] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query_phones = select(Person.id, Person.phone).where(Person.id.in_(chunk))
        phones = {person_id: phone for person_id, phone in session.execute(query_phones)}
        query = (
            select(
                ChannelIdentity.person_id,
                ChannelIdentity.channel,
                ChannelIdentity.external_id,
                ChannelIdentity.last_interaction_at,
                UnreachableChat.reason,
            )
            .outerjoin(
                UnreachableChat,
                and_(
                    UnreachableChat.channel == ChannelIdentity.channel,
                    UnreachableChat.chat_id == ChannelIdentity.external_id,
                ),
            )
            .where(ChannelIdentity.person_id.in_(chunk))
            .order_by(
                ChannelIdentity.person_id,
                ChannelIdentity.last_interaction_at.desc().nulls_last(),
                ChannelIdentity.id.desc(),
            )
        )
        contacts: dict[int, list[Contact]] = {p: [] for p in chunk}
        for person_id, channel, external_id, last, reason in session.execute(query):
            # A closed OA window (−230) is the routing rules' business, not a refusal: it is
            # what a ZNS message is for.
            refused = reason is not None and reason != NO_INTERACTION
            contacts[person_id].append(Contact(channel, external_id, last, refused))
        numbers = {zns_phone(p): person for person, p in phones.items() if p and _valid(p)}
        refused_numbers = set(
            session.scalars(
                select(UnreachableChat.chat_id).where(
                    UnreachableChat.channel == ZNS_CHANNEL,
                    UnreachableChat.chat_id.in_(list(numbers)),
                )
            )
        )
        for person_id in chunk:
            if person_id in phones:
                phone = phones[person_id] or ""
                blocked = bool(phone) and _valid(phone) and zns_phone(phone) in refused_numbers
                found[person_id] = Recipient(person_id, phone, tuple(contacts[person_id]), blocked)
    return found


def _valid(phone: str) -> bool:
    try:
        zns_phone(phone)
    except ValueError:
        return False
    return True


def unreached_for(session: Session, subject: str) -> list[int]:
    """People a subject's reminders could not reach."""
    query = select(ReminderLog.person_id).where(
        ReminderLog.subject == subject, ReminderLog.status == UNREACHED
    )
    return sorted(set(session.scalars(query)))


@dataclass(frozen=True)
class Unreached:
    person_id: int
    name: str
    phone: str
    unit: str
    count: int
    last: datetime


def unreached_people(session: Session, since: datetime) -> list[Unreached]:
    """The office's list: people reminders could not reach since `since`, most often first."""
    query = (
        select(
            ReminderLog.person_id,
            Person.full_name,
            Person.phone,
            Unit.name,
            func.count(ReminderLog.id),
            func.max(ReminderLog.created_at),
        )
        .join(Person, Person.id == ReminderLog.person_id)
        .outerjoin(Unit, Unit.id == Person.unit_id)
        .where(ReminderLog.status == UNREACHED, ReminderLog.created_at >= since)
        .group_by(ReminderLog.person_id, Person.full_name, Person.phone, Unit.name)
        .order_by(func.count(ReminderLog.id).desc(), Person.full_name)
    )
    return [
        Unreached(pid, name, phone or "", unit or "", count, last)
        for pid, name, phone, unit, count, last in session.execute(query)
    ]


def unreached_since(session: Session, since: datetime) -> list[ReminderLog]:
    """Reminders nobody could be reached for since `since`, for the office's list."""
    return list(
        session.scalars(
            select(ReminderLog)
            .where(ReminderLog.status == UNREACHED, ReminderLog.created_at >= since)
            .order_by(ReminderLog.id)
        )
    )
