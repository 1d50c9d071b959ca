"""«👍 Đúng ý» / «👎 Chưa đúng» under every answer from the knowledge base, and the optional
one-line reason a 👎 asks for.

The answer is logged in the turn that gives it (bot.store.answer_log), and its buttons carry
the row's id: `/danhgia <id> up|down|skip`. Where a channel shows buttons as numbered lines
(Zalo, the console), «1», «2» or the label typed soon after an answer rate it too. After a 👎
the person's next message is its reason (unless it is a command, a button or a file, or comes
too late); «Bỏ qua» skips it. The pending reason is a key in the person's conversation row,
not process memory, and it is only written when a 👎 asks for one.

In a group, the router binds these buttons to the asker like every other (bot.core.groups), so
only the asker rates their own answer; a press on a row of someone else is refused here too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.curated import CURATED
from bot.core.flows.base import Ctx
from bot.core.text import parse_choice, same_label
from bot.i18n import vi
from bot.messages import BUTTON_ANSWER, Button, Incoming, Reply, SourceRef
from bot.store import answer_log
from bot.store.conversations import ConversationState
from bot.store.qa_models import AnswerLog

COMMAND = "danhgia"
UP, DOWN, SKIP = "up", "down", "skip"
REASON = "_feedback_reason"  # conversation key: {"id": answer id, "at": ISO time asked}
REASON_WINDOW = timedelta(minutes=30)  # a reason typed later is a new message
TYPED_WINDOW = timedelta(hours=2)  # «1» / «2» typed this soon after an answer rate it
NO_LOG = frozenset({"cli"})  # `thidua ask`: no chat to press anything in


def offer(ctx: Ctx, message: Incoming, reply: Reply) -> Reply:
    """An answer with a basis, logged, with the two buttons under it; anything else as is."""
    if not (reply.found and reply.citations) or message.channel in NO_LOG:
        return reply
    curated = reply.meta.get(CURATED)
    answer_id = answer_log.log_answer(
        ctx.session,
        asked_at=ctx.now,
        channel=message.channel,
        chat_id=message.chat_id,
        user_id=message.user_id,
        question=message.text.strip(),
        answer=reply.text,
        citations=[_cited(c) for c in reply.citations],
        curated_id=int(curated) if curated else None,
    )
    row = (
        Button(vi.BTN_FEEDBACK_UP, f"/{COMMAND} {answer_id} {UP}"),
        Button(vi.BTN_FEEDBACK_DOWN, f"/{COMMAND} {answer_id} {DOWN}"),
    )
    return replace(reply, buttons=(*reply.buttons, row))


def _cited(ref: SourceRef) -> dict[str, str]:
    """What `thidua feedback` shows of a citation and groups by."""
    keys = ("doc_number", "title", "article", "clause", "point", "basis")
    return {key: str(getattr(ref, key)) for key in keys}


def press(
    ctx: Ctx, state: ConversationState, message: Incoming, arg: str, *, active: bool
) -> list[Reply]:
    """`/danhgia <id> up|down|skip`, pressed or typed. `active`: a form is open, whose next
    message is its own (so a 👎 then asks no reason)."""
    parts = arg.split()
    row = None
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in (UP, DOWN, SKIP):
        row = answer_log.get(ctx.session, int(parts[0]))
    if row is None or (row.channel, row.user_id) != (message.channel, message.user_id):
        return [Reply(vi.FEEDBACK_UNKNOWN, meta={BUTTON_ANSWER: "1"})]
    action = parts[1]
    if action == SKIP:
        state.data.pop(REASON, None)
        return [Reply(vi.FEEDBACK_NOTED, meta={BUTTON_ANSWER: "1"})]
    answer_log.rate(ctx.session, row, action, ctx.now)
    if action == UP:
        return [Reply(vi.FEEDBACK_THANKS, meta={BUTTON_ANSWER: "1"})]
    if active:
        return [Reply(vi.FEEDBACK_NOTED)]
    state.data[REASON] = {"id": row.id, "at": ctx.now.isoformat()}
    skip = Button(vi.BTN_FEEDBACK_SKIP, f"/{COMMAND} {row.id} {SKIP}")
    return [Reply(vi.FEEDBACK_ASK_REASON, buttons=((skip,),))]


def take_reason(ctx: Ctx, state: ConversationState, message: Incoming) -> list[Reply] | None:
    """The reply to a 👎's reason when `message` is one; None (and no reason pending any
    more) when it is something else, to be handled as usual."""
    pending = state.data.get(REASON) if state.draft else None
    if not isinstance(pending, dict):
        return None
    del state.data[REASON]
    asked = datetime.fromisoformat(str(pending.get("at")))
    text = message.text.strip()
    if (
        message.payload is not None
        or message.attachments
        or not text
        or text.startswith("/")
        or ctx.now - asked > REASON_WINDOW
    ):
        return None
    if same_label(text, vi.BTN_FEEDBACK_SKIP) or parse_choice(text, 1) == 0:
        return [Reply(vi.FEEDBACK_NOTED)]
    answer_log.set_reason(ctx.session, int(pending["id"]), text.splitlines()[0])
    return [Reply(vi.FEEDBACK_REASON_THANKS)]


def typed(ctx: Ctx, state: ConversationState, message: Incoming) -> list[Reply] | None:
    """«1»/«2», «đúng ý»/«chưa đúng» or 👍/👎 typed soon after an answer: its rating (the
    channel showed the buttons as numbered lines). None when the text is not one of these
    or no answer is recent enough."""
    if message.payload is not None or message.attachments:
        return None
    text = message.text.strip()
    choice = parse_choice(text, 2)
    if choice == 0 or text == "👍" or same_label(text, vi.BTN_FEEDBACK_UP):
        action = UP
    elif choice == 1 or text == "👎" or same_label(text, vi.BTN_FEEDBACK_DOWN):
        action = DOWN
    else:
        return None
    row: AnswerLog | None = answer_log.latest_of(
        ctx.session, message.channel, message.chat_id, message.user_id, ctx.now - TYPED_WINDOW
    )
    if row is None:
        return None
    return press(ctx, state, message, f"{row.id} {action}", active=False)
