"""Every Incoming goes through here: a command, the active form, linking, or a question.

The router only dispatches, inside a transaction its caller owns (bot.delivery.turns): the
conversation row, whatever the step wrote and its audit rows commit or roll back together with
the update's dedupe key and its queued replies, so a crash or a second worker never sees half
a registration. A conversation is the writer's own in the chat; in a group chat, buttons are
bound to the person they answer (bot.core.groups). An answer from the knowledge base gets
«👍 Đúng ý» / «👎 Chưa đúng» under it, and a 👎 its reason from the next message
(bot.core.feedback).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from bot.core import (
    feedback,
    groups,
    linking,
    menu,
    nomination_questions,
    operational,
    switching,
    weblink,
)
from bot.core.access import Action, Actor, actor_of, can
from bot.core.flows import (
    nomination,
    nomination_entry,
    nomination_review,
    pledge,
    ranking,
    registration,
    registration_entry,
    report,
    report_entry,
    review,
    waiting,
)
from bot.core.flows.base import KEEP, Ctx, Engine, Push
from bot.core.linking import InviteLimit
from bot.core.notices import notices
from bot.core.text import fold
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import turns
from bot.store.accounts import Caller
from bot.store.conversations import Conflict, ConversationState, save_conversation
from bot.store.files import FileStore
from bot.store.models import Person

log = logging.getLogger(__name__)

Handler = Callable[[Incoming], list[Reply]]
# (ctx, engine, state, arg): arg is what followed the command (a pushed notice's record id).
FormCommand = Callable[[Ctx, Engine, ConversationState, str], list[Reply]]

FLOWS = {
    registration.NAME: registration.FLOW,
    review.NAME: review.FLOW,
    pledge.NAME: pledge.FLOW,
    report.NAME: report.FLOW,
    waiting.NAME: waiting.FLOW,
    nomination.NAME: nomination.FLOW,
    nomination_review.NAME: nomination_review.FLOW,
    ranking.NAME: ranking.FLOW,
}
FORM_COMMANDS: dict[str, FormCommand] = {
    "dangky": registration_entry.begin,
    "xacnhan": waiting.begin,  # everything waiting for the head
    "duyet": review.begin,
    "giaouoc": pledge.begin,
    "baocao": report_entry.begin,
    "denghi": nomination_entry.begin,
    "xacnhandn": nomination_entry.begin_confirm,
    "duyetdn": nomination_review.begin,
    "xephang": ranking.begin,
}
# Typed requests that start a form, compared folded (no diacritics, lowercase).
INTENTS: dict[str, str] = {
    "dang ky thi dua": "dangky",
    "dang ky": "dangky",
    "xac nhan": "xacnhan",
    "xac nhan dang ky": "xacnhan",
    "duyet dang ky": "duyet",
    "giao uoc": "giaouoc",
    "giao uoc thi dua": "giaouoc",
    "ky giao uoc": "giaouoc",
    "ky ket giao uoc": "giaouoc",
    "ky ket giao uoc thi dua": "giaouoc",
    "mo ky ket giao uoc": "giaouoc",
    "bao cao": "baocao",
    "bao cao tien do": "baocao",
    "nop bao cao": "baocao",
    "nop bao cao tien do": "baocao",
    "de nghi khen thuong": "denghi",
    "lap de nghi khen thuong": "denghi",
    "xet de nghi khen thuong": "duyetdn",
    "binh xet": "xephang",
    "suy ton": "xephang",
    "xep hang cum": "xephang",
}
# A button's command handled outside the core (the reminders' "nhaclai", "vanban"): the
# composition root passes them in, so the core never imports the feature that sends them.
ButtonHandler = Callable[[Ctx, str], list[Reply]]
RESUME_WORDS = {"tiep tuc", "/tieptuc"}
_CODE = re.compile(r"[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}")


class Asker(Protocol):
    def ask(self, message: Incoming, *, session: Session | None = None) -> Reply: ...


class Router:
    """Channel-neutral dispatcher; channels only translate to and from Incoming/Reply."""

    def __init__(
        self,
        qa: Asker,
        *,
        files: FileStore | None = None,
        buttons: Mapping[str, ButtonHandler] | None = None,
        invite_limit: InviteLimit | None = None,
        web_url: Callable[[str], str] | None = None,
        push: Push | None = None,
    ) -> None:
        self._qa = qa
        self._push = push
        self._invite_limit = invite_limit or InviteLimit()
        self._buttons = dict(buttons or {})
        self._files = files
        self._web_url = web_url  # a sign-in token -> its link, when the dashboard runs
        self._engine = Engine(FLOWS)
        self._commands: dict[str, Handler] = {
            "start": lambda _m: [Reply(vi.WELCOME)],
            "help": lambda _m: [Reply(vi.HELP)],
            "trogiup": lambda _m: [Reply(vi.HELP)],
        }

    @staticmethod
    def failure(message: Incoming, error: Exception) -> list[Reply]:
        """What a turn that raised answers (called while its exception is being handled)."""
        if isinstance(error, Conflict):
            return [Reply(vi.BUSY, meta={"conflict": "1"})]
        log.exception("turn failed: %s/%s", message.channel, message.chat_id)
        return [Reply(vi.INTERNAL_ERROR, meta={"error": "1"})]

    def turn(self, session: Session, message: Incoming, now: datetime) -> list[Reply]:
        """One message's work inside the caller's transaction: who wrote, where they stand in
        this chat, the command, form step or question, and the conversation written back.

        A press on someone else's button (a group chat) is refused before anything is read.
        Notices are personal: they wait for the person's own chat rather than show in a group.
        """
        message, owner = groups.unbind(message)
        if owner is not None and owner != message.user_id:
            return [groups.refusal(session, message.channel, owner)]
        caller, state = turns.open_turn(
            session, message.channel, message.user_id, message.chat_id, now
        )
        actor = actor_of(session, caller, now.date())
        ctx = Ctx(session, actor, now, self._qa.ask, self._files, self._push)
        ctx.ask = lambda m: (
            operational.answer(ctx, m.text, shared=groups.in_group(m))
            or nomination_questions.answer(ctx, m.text)
            or self._qa.ask(m, session=session)
        )
        state.person_id = actor.person_id
        group = groups.in_group(message)
        switched = switching.answer(ctx, state, message, self._invite_limit)
        if _of_another_unit(ctx, state):
            replies = _close(state)
        elif switched is not None:
            replies = self._switched(ctx, state, message, *switched)
        else:
            replies = self._dispatch(ctx, state, message)
            if not group and not self._engine.is_active(state) and actor.linked:
                replies = [*notices(ctx, state), *replies]
        save_conversation(session, state, now)
        return groups.bind(replies, message.user_id) if group else replies

    def _dispatch(self, ctx: Ctx, state: ConversationState, message: Incoming) -> list[Reply]:
        reason = feedback.take_reason(ctx, state, message)  # after a 👎, its reason
        if reason is not None:
            return reason
        active = self._engine.is_active(state)
        if active:  # a typed number for a listed item that opens its own form
            message = self._engine.command_typed(ctx, state, message)
        name, arg = _command(message)
        if name in ("huy", "quaylai", "luunhap") and active:
            return self._engine.handle(ctx, state, message)
        if name is not None:
            return self._command_reply(ctx, state, message, name, arg, active)
        if active:
            return self._engine.handle(ctx, state, message)
        folded = fold(message.text).strip(" .!")
        if folded in RESUME_WORDS and self._engine.known(state):
            return self._engine.resume(ctx, state)
        if folded in INTENTS:
            if not ctx.actor.linked:
                return [Reply(vi.LINK_FIRST)]
            return FORM_COMMANDS[INTENTS[folded]](ctx, self._engine, state, "")
        if not ctx.actor.linked and _CODE.fullmatch(message.text.strip()):
            return self._link(ctx, message, message.text.strip())
        rated = feedback.typed(ctx, state, message)  # «1»/«2» under an answer on Zalo
        if rated is not None:
            return rated
        if message.payload is not None:  # a form's button, pressed after the form ended
            return [menu.stale(ctx, self._engine.known(state))]
        return [feedback.offer(ctx, message, ctx.ask(message))]

    def _command_reply(
        self,
        ctx: Ctx,
        state: ConversationState,
        message: Incoming,
        name: str,
        arg: str,
        active: bool,
    ) -> list[Reply]:
        """A slash command (or a button whose payload is one); an active form's prompt follows."""
        if name == "start" and arg and not ctx.actor.linked:
            return self._link(ctx, message, arg)
        if name == "start" and arg:
            replies = switching.ask(ctx, state, message, arg, self._invite_limit)
            return [*replies, *(self._engine.prompt(ctx, state) if active else [])]
        if name == "tieptuc":  # the form open, the one saved, or none
            if active:
                return self._engine.prompt(ctx, state)
            if self._engine.known(state):
                return self._engine.resume(ctx, state)
            return [Reply(vi.NO_SAVED_FORM)]
        if name in ("huy", "quaylai", "luunhap") and not active:
            return [Reply(vi.NO_OPEN_FORM)]
        if name == feedback.COMMAND:  # 👍/👎 under an answer: anyone who asked, linked or not
            return [
                *feedback.press(ctx, state, message, arg, active=active),
                *(self._engine.prompt(ctx, state) if active else []),
            ]
        if name in FORM_COMMANDS:
            if not ctx.actor.linked:
                return [Reply(vi.LINK_FIRST)]
            return FORM_COMMANDS[name](ctx, self._engine, state, arg)
        handler = self._commands.get(name)
        if name == "web" and self._web_url is not None:
            replies = weblink.sign_in_link(ctx, self._web_url)
        elif name in self._buttons:
            replies = self._buttons[name](ctx, arg) if ctx.actor.linked else [Reply(vi.LINK_FIRST)]
        elif handler is None:
            replies = [Reply(vi.UNKNOWN_COMMAND.format(command="/" + name))]
        else:
            replies = handler(message)
            if name == "start" and not ctx.actor.linked:
                replies.append(Reply(vi.LINK_HOW))
            elif name == "start":  # a chat linked before menus were set gets its own now
                replies += self._menu(ctx, message, ctx.actor)
        if active:
            replies += self._engine.prompt(ctx, state)
        return replies

    def _link(self, ctx: Ctx, message: Incoming, code: str) -> list[Reply]:
        replies, person = linking.link(ctx, message, code, self._invite_limit)
        return replies if person is None else [*replies, *self._person_menu(ctx, message, person)]

    def _switched(
        self,
        ctx: Ctx,
        state: ConversationState,
        message: Incoming,
        replies: list[Reply],
        person: Person | None,
    ) -> list[Reply]:
        """After «Có» / «Không» to switching the chat's person: the new person's menu, or the
        form that was in progress, as it was."""
        if person is not None:
            return [*replies, *self._person_menu(ctx, message, person)]
        return [
            *replies,
            *(self._engine.prompt(ctx, state) if self._engine.is_active(state) else []),
        ]

    def _person_menu(self, ctx: Ctx, message: Incoming, person: Person) -> list[Reply]:
        """The command menu of a person just linked to this chat."""
        roles = frozenset(role.role for role in person.roles)
        actor = actor_of(ctx.session, Caller(person.id, person.unit_id, roles), ctx.today)
        return self._menu(ctx, message, actor)

    def _menu(self, ctx: Ctx, message: Incoming, actor: Actor) -> list[Reply]:
        """The chat's command menu for `actor`; a group's menu is not one person's."""
        if groups.in_group(message):
            return []
        return [menu.chat_menu(actor, web=self._web_url is not None)]


def _of_another_unit(ctx: Ctx, state: ConversationState) -> bool:
    """A form, active or saved, about a unit its owner may no longer see (they moved to
    another unit, or were unlinked): nothing of it may be shown any more."""
    unit_id = state.data.get("unit_id") if state.flow else None
    return isinstance(unit_id, int) and not can(ctx.actor, Action.VIEW, unit_id)


def _close(state: ConversationState) -> list[Reply]:
    """Drops the form, keeping only what the engine keeps across forms."""
    kept = {k: v for k, v in state.data.items() if k in KEEP}
    state.flow, state.step, state.draft = "", "", kept
    return [Reply(vi.NOT_ALLOWED)]


def _command(message: Incoming) -> tuple[str | None, str]:
    """('dangky', '') for '/dangky' typed or a button payload '/dangky'; (None, '') otherwise."""
    payload = message.payload or ""
    text = (payload if payload.startswith("/") else message.text).strip()
    if not text.startswith("/") or len(text) < 2:
        return None, ""
    head, _, arg = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), arg.strip()
