"""Helpers for transcripts in one group chat: people in it, a form up to its summary, and
everything a press could change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.store.models import AuditLog, Conversation, Registration, RegistrationVersion
from tests.chat import Chat
from tests.forms.conftest import World

GROUP = "nhom-cum-thi-dua"  # a group chat: its id is nobody's own


def in_group(world: World, user: str) -> Chat:
    return Chat(world.turns(), user, chat_id=GROUP)


def to_summary(chat: Chat, collective: str, target: str, value: str) -> None:
    """A registration with a collective title and one target, up to its summary."""
    chat.say("đăng ký thi đua")
    chat.press(collective)
    chat.press("Xong")
    chat.press("Thêm chỉ tiêu")
    chat.say(target)
    chat.press("%")
    chat.say(value)
    chat.press("Hết phong trào")
    chat.press("Xong")


def rows(world: World) -> dict[str, Any]:
    """Everything a press could change: the group's forms, registrations and their versions,
    the audit log."""
    with world.sessions() as session:
        forms = session.scalars(select(Conversation).where(Conversation.chat_id == GROUP))
        registrations = session.scalars(select(Registration))
        return {
            "forms": sorted(
                (c.user_id, c.flow, c.step, repr(c.draft), c.version, c.person_id) for c in forms
            ),
            "registrations": sorted((r.id, r.status, r.version) for r in registrations),
            "versions": session.scalars(select(RegistrationVersion.id)).all(),
            "audit": session.scalars(select(AuditLog.id)).all(),
        }
