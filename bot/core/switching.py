"""/start CODE in a chat already linked to someone: the chat changes person only when asked to.

One phone or one training machine may serve several people. The code is checked first (under
the same limit on wrong codes as linking) and its person named, with «Có» / «Không»; the code
waits in the conversation row for the answer and is spent only on «Có». Anything else sent
instead drops the question and is handled as usual, so a form in progress is never lost.
"""

from __future__ import annotations

from bot.core import linking
from bot.core.flows.base import Ctx, buttons
from bot.core.text import parse_choice, same_label
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store.conversations import ConversationState
from bot.store.models import Person

PENDING = "_switch"  # conversation data: the code waiting for «Có» / «Không»
YES, NO = "switch:yes", "switch:no"


def ask(
    ctx: Ctx, state: ConversationState, message: Incoming, code: str, limit: linking.InviteLimit
) -> list[Reply]:
    """Names the code's person and asks whether to switch; a bad code is refused as linking
    refuses it, and the person the chat already belongs to needs no switch."""
    refused, person = linking.peek(ctx, message, code, limit)
    if person is None:
        return [refused] if refused is not None else []
    current = ctx.person.full_name if ctx.person is not None else vi.SOMEONE
    if person.id == ctx.actor.person_id:
        return [Reply(vi.SWITCH_SAME.format(name=current))]
    state.data[PENDING] = code.strip()
    text = vi.SWITCH_ASK.format(current=current, **linking.describe(ctx.session, person))
    options = buttons((vi.BTN_SWITCH_YES, YES), (vi.BTN_SWITCH_NO, NO), per_row=2)
    return [Reply(text, buttons=options)]


def answer(
    ctx: Ctx, state: ConversationState, message: Incoming, limit: linking.InviteLimit
) -> tuple[list[Reply], Person | None] | None:
    """The answer to a pending question: (replies, the person switched to, or None when the
    chat stays as it was). None when nothing was pending or this is not an answer; the
    question is dropped either way."""
    code = state.data.pop(PENDING, None)
    if not isinstance(code, str):
        return None
    chosen = _chosen(message)
    if chosen is None:
        return None
    if chosen == NO:
        current = ctx.person.full_name if ctx.person is not None else vi.SOMEONE
        return [Reply(vi.SWITCH_KEPT.format(name=current))], None
    return linking.link(ctx, message, code, limit)


def _chosen(message: Incoming) -> str | None:
    """YES or NO, pressed or typed (the label, or its number on a channel without buttons)."""
    if message.payload in (YES, NO):
        return message.payload
    if message.payload is not None or message.attachments:
        return None
    text = message.text
    index = parse_choice(text, 2)
    if same_label(text, vi.BTN_SWITCH_YES) or index == 0:
        return YES
    if same_label(text, vi.BTN_SWITCH_NO) or index == 1:
        return NO
    return None
