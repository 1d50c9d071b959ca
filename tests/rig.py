"""What the rigs that drive a real server over HTTP share (the multi-process tests and
bench/channels.py): a free port, and per Telegram chat a unit whose head is linked to it."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.store.models import ChannelIdentity, Person, PersonRole, Unit
from bot.store.roles import Role


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def linked_unit_heads(
    session: Session, chats: Iterable[int], *, linked_at: datetime
) -> dict[int, Person]:
    """Per chat, unit «U<chat>» and its head, linked to that Telegram chat since `linked_at`:
    whoever writes from the chat is that head."""
    heads: dict[int, Person] = {}
    for chat in chats:
        unit = Unit(code=f"U{chat}", name=f"Đơn vị {chat}")
        session.add(unit)
        session.flush()
        person = Person(full_name=f"Thủ trưởng {chat}", unit_id=unit.id)
        person.roles = [PersonRole(role=Role.UNIT_HEAD.value)]
        session.add(person)
        session.flush()
        session.add(
            ChannelIdentity(
                channel="telegram", external_id=str(chat), person_id=person.id, linked_at=linked_at
            )
        )
        heads[chat] = person
    return heads
