"""Group chats: a form belongs to the person who opened it, and so do its buttons.

Every person has their own conversation in a chat (bot.store.conversations), so what one
person types in a group never reaches another's form. Buttons need one more step, because
anyone in a group can press any button: in a group, each payload the router sends out is
bound to the person it answers (`payload|account id`), and a press by anyone else is refused
with the owner's name before the presser's own conversation is even read. A private chat (its
id is the person's account id) gets its payloads exactly as the flows wrote them.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from bot.i18n import vi
from bot.messages import BUTTON_ANSWER, Button, Incoming, Reply
from bot.store.lookups import account_name

SEPARATOR = "|"  # no flow's payload contains it; an account id after the last one is the owner


def in_group(message: Incoming) -> bool:
    """A chat shared by several people: its id is not the writer's own account id (a private
    chat's id is the person's own on Telegram, the Zalo Bot, the Zalo OA and the console)."""
    return message.chat_id != message.user_id


def bind(replies: list[Reply], owner: str) -> list[Reply]:
    """The replies with every button's payload bound to `owner`."""
    return [
        replace(reply, buttons=tuple(tuple(_bound(b, owner) for b in row) for row in reply.buttons))
        if reply.buttons
        else reply
        for reply in replies
    ]


def _bound(button: Button, owner: str) -> Button:
    return replace(button, payload=f"{button.payload}{SEPARATOR}{owner}")


def unbind(message: Incoming) -> tuple[Incoming, str | None]:
    """A press in a group as the flows know it, and the account its button was bound to
    (None: not bound, as a typed message or a button sent before buttons were bound)."""
    if message.payload is None or not in_group(message):
        return message, None
    payload, separator, owner = message.payload.rpartition(SEPARATOR)
    if not separator:
        return message, None
    return replace(message, payload=payload), owner


def refusal(session: Session, channel: str, owner: str) -> Reply:
    """The answer to a press on someone else's button: whose it is, and nothing of their form."""
    name = account_name(session, channel, owner) or vi.SOMEONE
    return Reply(vi.BUTTON_NOT_YOURS.format(name=name), meta={BUTTON_ANSWER: "1"})
