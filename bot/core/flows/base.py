"""The form engine: steps as plain functions, state as a row, navigation shared by every form.

A flow is a table of steps. Each step has a prompt (what to ask, with buttons) and a handler
(what to do with the answer): `handler(ctx, draft, message) -> Turn(next_step, draft, replies)`.
The engine around them does what every form needs and no step should repeat:

- typed fallback for every button: a label typed with or without diacritics, or the number of
  a numbered choice, becomes that button's payload (the console and Zalo show numbered lists);
- back, cancel and save-draft, typed (`quay lại`, `huỷ`, `lưu nháp`) or pressed;
- a question typed mid-form goes to Q&A, and the prompt is repeated with the draft untouched;
- a stale button (from an older message) is refused politely, the prompt repeated;
- a message carrying files goes to the step as it is: a photo's caption is neither a button
  nor a question.

The engine never touches the database itself; the router loads and saves the state in the same
transaction as whatever the step wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from bot.core.access import Actor
from bot.core.text import Nav, looks_like_question, parse_choice, parse_nav, same_label
from bot.i18n import vi
from bot.messages import Button, Incoming, Reply
from bot.store.conversations import ConversationState
from bot.store.files import FileStore
from bot.store.models import Person

Draft = dict[str, Any]
# Pushes one hand-off notice to a person's own chat in the caller's transaction:
# (session, person_id, key, reply, unit_id, now) -> whether a chat reaches them. Wired by the
# composition root (bot.reminders.handoffs); None in a build without chats to push to.
Push = Callable[[Session, int, str, Reply, int | None, datetime], bool]
MAX_PAYLOAD = 64  # Telegram's callback_data limit, in bytes
NAV_PAYLOAD = {Nav.BACK: "nav:back", Nav.CANCEL: "nav:cancel", Nav.SAVE: "nav:save"}
_TRAIL = "_trail"
_PAUSED = "_paused"
_OFFERED = "_offered"  # the buttons of the prompt last shown: what a press or a number refers to
# Keys the engine keeps across flows (seen notices): everything else is the flow's draft.
KEEP = ("_seen",)


@dataclass
class Ctx:
    """What a step may use: the open session, who is asking, the time, Q&A, the file store."""

    session: Session
    actor: Actor
    now: datetime
    ask: Callable[[Incoming], Reply]
    files: FileStore | None = None
    push: Push | None = None

    @property
    def today(self) -> date:
        return self.now.date()

    @cached_property
    def person(self) -> Person | None:
        """The asker's row, read only by a step that needs more than `actor` says (rarely)."""
        if self.actor.person_id is None:
            return None
        return self.session.get(Person, self.actor.person_id)


@dataclass
class Turn:
    """A step's outcome: where to go next (None ends the flow), the draft, what to say first."""

    step: str | None
    draft: Draft
    replies: list[Reply] = field(default_factory=list)


Prompt = Callable[[Ctx, Draft], list[Reply]]
Handler = Callable[[Ctx, Draft, Incoming], Turn]


@dataclass(frozen=True)
class Step:
    """One question of a form.

    `numbered`: a typed number picks a button (off where the answer itself is a number);
    `free_text`: the answer is prose, so only a trailing '?' marks a question;
    `choices`: with `numbered` off, a typed number still picks one of the step's own buttons
    (navigation aside), as the numbered list promises, where no answer is a bare small number
    (a unit of measure, a date).
    """

    prompt: Prompt
    handle: Handler
    numbered: bool = True
    free_text: bool = False
    choices: bool = False


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Mapping[str, Step]


def buttons(*labels_payloads: tuple[str, str], per_row: int = 1) -> tuple[tuple[Button, ...], ...]:
    """Rows of buttons from (label, payload) pairs."""
    items = [Button(label, payload) for label, payload in labels_payloads]
    return tuple(tuple(items[i : i + per_row]) for i in range(0, len(items), per_row))


def nav_row(with_back: bool = True) -> tuple[Button, ...]:
    row = [
        Button(vi.BTN_SAVE, NAV_PAYLOAD[Nav.SAVE]),
        Button(vi.BTN_CANCEL, NAV_PAYLOAD[Nav.CANCEL]),
    ]
    if with_back:
        row.insert(0, Button(vi.BTN_BACK, NAV_PAYLOAD[Nav.BACK]))
    return tuple(row)


def all_buttons(replies: list[Reply]) -> list[Button]:
    """The buttons of the last reply that has any: the ones a typed number refers to."""
    for reply in reversed(replies):
        if reply.buttons:
            return [b for row in reply.buttons for b in row]
    return []


class Engine:
    """Runs one message through the active flow of a conversation state (mutated in place)."""

    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self._flows = dict(flows)

    def is_active(self, state: ConversationState) -> bool:
        return self.known(state) and not state.data.get(_PAUSED)

    def known(self, state: ConversationState) -> bool:
        """False for a row left by an older version whose flow or step no longer exists."""
        flow = self._flows.get(state.flow)
        return flow is not None and state.step in flow.steps

    def is_paused(self, state: ConversationState, flow: str) -> bool:
        return state.flow == flow and bool(state.data.get(_PAUSED))

    def start(
        self, ctx: Ctx, state: ConversationState, flow: str, step: str, draft: Draft
    ) -> list[Reply]:
        """Begin `flow` at `step` with `draft`, replacing whatever form was there."""
        kept = {k: v for k, v in state.data.items() if k in KEEP}
        state.flow, state.step, state.draft = flow, step, {**kept, **draft, _TRAIL: []}
        return self.prompt(ctx, state)

    def resume(self, ctx: Ctx, state: ConversationState) -> list[Reply]:
        """Continue a paused (saved) form where it stopped."""
        state.data.pop(_PAUSED, None)
        return [Reply(vi.FORM_RESUMED), *self.prompt(ctx, state)]

    def prompt(self, ctx: Ctx, state: ConversationState) -> list[Reply]:
        """The current step's question, with back/save/cancel added to its last reply."""
        step = self._flows[state.flow].steps[state.step]
        replies = step.prompt(ctx, state.data)
        if not replies:
            return replies
        last = replies[-1]
        with_back = bool(state.data.get(_TRAIL))
        replies[-1] = replace(last, buttons=(*last.buttons, nav_row(with_back)))
        state.data[_OFFERED] = [[b.label, b.payload] for b in all_buttons(replies)]
        return replies

    def _offered(self, ctx: Ctx, state: ConversationState) -> list[Button]:
        """The buttons last shown, kept in the state; re-rendered only for a row without them.

        Rendering a prompt costs queries (titles, summaries); the answer to it only needs the
        buttons that were on screen, which is also what a typed number refers to.
        """
        kept = state.data.get(_OFFERED)
        if isinstance(kept, list) and all(isinstance(b, list) and len(b) == 2 for b in kept):
            return [Button(str(label), str(payload)) for label, payload in kept]
        return all_buttons(self.prompt(ctx, state))

    def command_typed(self, ctx: Ctx, state: ConversationState, message: Incoming) -> Incoming:
        """A label or number typed for one of the prompt's buttons that is a command (a list
        whose items open other forms): the press, for the router to run; else the message."""
        if message.payload is not None or message.attachments:
            return message
        step = self._flows[state.flow].steps[state.step]
        offered = self._offered(ctx, state)
        if not any(b.payload.startswith("/") for b in offered):
            return message
        pressed = self._resolve(message, offered, numbered=step.numbered, own=step.choices)
        return pressed if (pressed.payload or "").startswith("/") else message

    def handle(self, ctx: Ctx, state: ConversationState, message: Incoming) -> list[Reply]:
        """One message into the active flow; returns what to send back."""
        flow = self._flows[state.flow]
        step = flow.steps[state.step]
        offered = self._offered(ctx, state)
        files = bool(message.attachments)
        if not files:
            message = self._resolve(message, offered, numbered=step.numbered, own=step.choices)
        payload = message.payload
        if payload is not None and payload.startswith("nav:"):
            return self._navigate(ctx, state, payload)
        if payload is not None and payload not in {b.payload for b in offered}:
            return [Reply(vi.STALE_BUTTON), *self.prompt(ctx, state)]
        if (
            payload is None
            and not files
            and looks_like_question(message.text, strict=step.free_text)
        ):
            return [ctx.ask(message), *self.prompt(ctx, state)]
        draft = {k: v for k, v in state.data.items() if k not in (_TRAIL, _OFFERED)}
        turn = step.handle(ctx, draft, message)
        trail = list(state.data.get(_TRAIL, []))
        if turn.step is None:
            kept = {k: v for k, v in state.data.items() if k in KEEP}
            state.flow, state.step, state.draft = "", "", kept
            return turn.replies
        if turn.step != state.step:
            trail = self._advance_trail(trail, state.step, turn.step)
        state.step = turn.step
        state.draft = {**turn.draft, _TRAIL: trail}
        return [*turn.replies, *self.prompt(ctx, state)]

    @staticmethod
    def _advance_trail(trail: list[str], current: str, target: str) -> list[str]:
        """Going back to a step already on the trail collapses the loop in between."""
        if target in trail:
            return trail[: trail.index(target)]
        return [*trail, current]

    @staticmethod
    def _resolve(
        message: Incoming, offered: list[Button], *, numbered: bool, own: bool = False
    ) -> Incoming:
        """Typed text naming a button (label, number, navigation word) becomes its press;
        `own`: a number picks among the step's own buttons only (they come first)."""
        if message.payload is not None:
            return message
        nav = parse_nav(message.text)
        if nav is not None:
            return replace(message, payload=NAV_PAYLOAD[nav])
        for button in offered:
            if same_label(message.text, button.label):
                return replace(message, payload=button.payload)
        if not numbered and own:
            offered = [b for b in offered if not b.payload.startswith("nav:")]
        if numbered or own:
            index = parse_choice(message.text, len(offered))
            if index is not None:
                return replace(message, payload=offered[index].payload)
        return message

    def _navigate(self, ctx: Ctx, state: ConversationState, payload: str) -> list[Reply]:
        trail = list(state.data.get(_TRAIL, []))
        if payload == NAV_PAYLOAD[Nav.CANCEL]:
            kept = {k: v for k, v in state.data.items() if k in KEEP}
            state.flow, state.step, state.draft = "", "", kept
            return [Reply(vi.FORM_CANCELLED)]
        if payload == NAV_PAYLOAD[Nav.SAVE]:
            state.data[_PAUSED] = True
            return [Reply(vi.FORM_SAVED)]
        if not trail:
            return [Reply(vi.NOTHING_TO_GO_BACK), *self.prompt(ctx, state)]
        state.step = trail.pop()
        state.data[_TRAIL] = trail
        return self.prompt(ctx, state)
