"""Every Incoming goes through here: a command, the active form, linking, or a question.

One message is one transaction (or, in `handle_group`, part of a transaction shared with other
chats' messages, in a savepoint of its own once one of them failed): the conversation row,
whatever the step wrote and its audit rows commit or roll back together, so a crash or a
second worker never sees half a registration.
Without a database (`sessions=None`) the router is the plain Q&A assistant it started as.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from bot.core import operational
from bot.core.access import actor_of
from bot.core.flows import pledge, registration, report, review
from bot.core.flows.base import Ctx, Engine
from bot.core.notices import notices
from bot.core.text import fold
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import delivery, org, turns
from bot.store import registrations as forms  # its old name: see bot/store/registrations.py
from bot.store.conversations import ConversationState
from bot.store.files import FileStore

log = logging.getLogger(__name__)

Handler = Callable[[Incoming], list[Reply]]
FormCommand = Callable[[Ctx, Engine, ConversationState], list[Reply]]

FLOWS = {
    registration.NAME: registration.FLOW,
    review.NAME: review.FLOW,
    pledge.NAME: pledge.FLOW,
    report.NAME: report.FLOW,
}
FORM_COMMANDS: dict[str, FormCommand] = {
    "dangky": registration.begin,
    "xacnhan": registration.begin_confirm,
    "duyet": review.begin,
    "giaouoc": pledge.begin,
    "baocao": report.begin,
}
# Typed requests that start a form, compared folded (no diacritics, lowercase).
INTENTS: dict[str, str] = {
    "dang ky thi dua": "dangky",
    "dang ky": "dangky",
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
}
# A button's command handled outside the core (the reminders' "nhaclai", "vanban"): the
# composition root passes them in, so the core never imports the feature that sends them.
ButtonHandler = Callable[[Ctx, str], list[Reply]]
RESUME_WORDS = {"tiep tuc", "/tieptuc"}
_CODE = re.compile(r"[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}")


class _TurnRaised(Exception):
    """A turn of a group raised (`Router.handle_group`): the group runs again, in savepoints."""


class Asker(Protocol):
    def ask(self, message: Incoming, *, session: Session | None = None) -> Reply: ...


class Router:
    """Channel-neutral dispatcher; channels only translate to and from Incoming/Reply."""

    def __init__(
        self,
        qa: Asker,
        *,
        sessions: sessionmaker[Session] | None = None,
        now: Callable[[], datetime] | None = None,
        files: FileStore | None = None,
        buttons: Mapping[str, ButtonHandler] | None = None,
    ) -> None:
        self._qa = qa
        self._buttons = dict(buttons or {})
        self._sessions = sessions
        self._now = now
        self._files = files
        self._engine = Engine(FLOWS)
        self._commands: dict[str, Handler] = {
            "start": lambda _m: [Reply(vi.WELCOME)],
            "help": lambda _m: [Reply(vi.HELP)],
            "trogiup": lambda _m: [Reply(vi.HELP)],
        }

    def handle(
        self, message: Incoming, *, update_key: str | None = None, outbox: bool = False
    ) -> list[Reply]:
        """One turn in one transaction.

        With `update_key`, a redelivered update does nothing and returns no replies; with
        `outbox`, the replies are queued for the sender in the same transaction as the change
        that caused them, so a crash after the commit loses none and a crash before it
        leaves the update to be processed again.
        """
        if self._sessions is None or self._now is None:
            return self._stateless(message)
        try:
            with self._sessions.begin() as session:
                return self._record(
                    session, message, None, update_key=update_key, outbox=outbox, now=self._now()
                )
        except Exception as error:  # a failing turn must answer; its rollback keeps the draft
            replies = self._failure(message, error)
        if outbox or update_key:
            return self._without_turn(message, replies, update_key=update_key, outbox=outbox)
        return replies

    def handle_group(
        self,
        updates: list[tuple[Incoming, str]],
        *,
        before_commit: Callable[[Session], None] | None = None,
    ) -> list[list[Reply]]:
        """Several updates' turns (each with its dedupe key, replies to the outbox) in one
        transaction: one commit (and on SQLite one turn of the write lock) for the group
        instead of one per update.

        The turns run side by side first. Should one raise, the transaction rolls back whole
        and the group runs again with each turn in a savepoint of its own: the failing turn
        rolls back alone and answers as `handle` would, the others commit together. A
        savepoint per turn always cost 15 % of a grouped turn's instructions
        (bench/instructions.py: 1.79 M against 1.53 M without), for a failure that is rare.
        Raises when the group itself fails (its commit, or a database error a savepoint
        cannot contain): then nothing of it is committed and the caller runs each update
        through `handle`, which its dedupe key makes safe. `before_commit` runs after the
        turns in the same transaction: the caller's bookkeeping of the group (the updates
        marked handled, what to deliver next) commits or rolls back with it.
        """
        if self._sessions is None or self._now is None:
            return [self.handle(m, update_key=k, outbox=True) for m, k in updates]
        try:
            return self._in_one_transaction(self._together, updates, before_commit)
        except _TurnRaised:
            pass  # rolled back whole; now each turn in a savepoint
        return self._in_one_transaction(self._grouped, updates, before_commit)

    def _in_one_transaction(
        self,
        turn: Callable[[Session, Incoming, str], list[Reply]],
        updates: list[tuple[Incoming, str]],
        before_commit: Callable[[Session], None] | None,
    ) -> list[list[Reply]]:
        """Each update's `turn`, then `before_commit`, in one transaction."""
        assert self._sessions is not None
        with self._sessions.begin() as session:
            replies = [turn(session, message, key) for message, key in updates]
            if before_commit is not None:
                before_commit(session)
            return replies

    def _together(self, session: Session, message: Incoming, update_key: str) -> list[Reply]:
        """A turn of a group without a savepoint; if it raises, the whole group runs again."""
        assert self._now is not None
        try:
            replies = self._record(
                session, message, None, update_key=update_key, outbox=True, now=self._now()
            )
        except Exception as error:
            raise _TurnRaised from error
        session.expunge_all()  # the next chat's turn starts from the rows, as alone
        return replies

    def _grouped(self, session: Session, message: Incoming, update_key: str) -> list[Reply]:
        assert self._now is not None
        now = self._now()
        savepoint = session.begin_nested()
        try:
            replies = self._record(
                session, message, None, update_key=update_key, outbox=True, now=now
            )
            savepoint.commit()
        except Exception as error:
            failed = self._failure(message, error)
            savepoint.rollback()  # raises if the transaction itself is gone: the group fails
        else:
            session.expunge_all()  # the next chat's turn starts from the rows, as alone
            return replies
        session.expunge_all()
        return self._record(session, message, failed, update_key=update_key, outbox=True, now=now)

    @staticmethod
    def _failure(message: Incoming, error: Exception) -> list[Reply]:
        """What a turn that raised answers (called while its exception is being handled)."""
        if isinstance(error, forms.Conflict):
            return [Reply(vi.BUSY, meta={"conflict": "1"})]
        log.exception("turn failed: %s/%s", message.channel, message.chat_id)
        return [Reply(vi.INTERNAL_ERROR, meta={"error": "1"})]

    def _record(
        self,
        session: Session,
        message: Incoming,
        replies: list[Reply] | None,
        *,
        update_key: str | None,
        outbox: bool,
        now: datetime,
    ) -> list[Reply]:
        """One update's work in a transaction (or savepoint): its dedupe mark, its turn
        (unless `replies` are already known) and, with `outbox`, its queued replies.
        Nothing is done, and no reply returned, for a redelivered update."""
        if update_key and not delivery.mark_processed(
            session, channel=message.channel, update_key=update_key, now=now
        ):
            return []
        if replies is None:
            replies = self._turn(session, message, now)
        if outbox:
            self._queue(session, message, replies, update_key, now)
        return replies

    def deliver(self, message: Incoming, replies: list[Reply], *, update_key: str) -> list[Reply]:
        """Queue replies that need no turn (e.g. a refused file), once per update."""
        if self._sessions is None or self._now is None:
            return replies
        return self._without_turn(message, replies, update_key=update_key, outbox=True)

    def _without_turn(
        self, message: Incoming, replies: list[Reply], *, update_key: str | None, outbox: bool
    ) -> list[Reply]:
        """Mark the update handled and queue replies no turn produced, in one transaction."""
        assert self._sessions is not None and self._now is not None
        with self._sessions.begin() as session:
            return self._record(
                session, message, replies, update_key=update_key, outbox=outbox, now=self._now()
            )

    @staticmethod
    def _queue(
        session: Session,
        message: Incoming,
        replies: list[Reply],
        update_key: str | None,
        now: datetime,
    ) -> None:
        key = update_key or f"{message.message_id or now.timestamp()}"
        delivery.enqueue(
            session,
            channel=message.channel,
            chat_id=message.chat_id,
            replies=replies,
            key=f"{message.channel}:{message.chat_id}:{key}",
            now=now,
        )

    def _stateless(self, message: Incoming) -> list[Reply]:
        name, _arg = _command(message)
        if name is None:
            return [self._qa.ask(message)]
        handler = self._commands.get(name)
        if handler is None:
            return [Reply(vi.UNKNOWN_COMMAND.format(command=message.text.split()[0]))]
        return handler(message)

    def _turn(self, session: Session, message: Incoming, now: datetime) -> list[Reply]:
        caller, state = turns.open_turn(
            session, message.channel, message.user_id, message.chat_id, now
        )
        actor = actor_of(session, caller, now.date())
        ctx = Ctx(session, actor, now, self._qa.ask, self._files)
        ctx.ask = lambda m: operational.answer(ctx, m.text) or self._qa.ask(m, session=session)
        state.person_id = actor.person_id
        replies = self._dispatch(ctx, state, message)
        if not self._engine.is_active(state) and actor.linked:
            replies = [*notices(ctx, state), *replies]
        forms.save_conversation(session, state, now)
        return replies

    def _dispatch(self, ctx: Ctx, state: ConversationState, message: Incoming) -> list[Reply]:
        name, arg = _command(message)
        active = self._engine.is_active(state)
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
            return FORM_COMMANDS[INTENTS[folded]](ctx, self._engine, state)
        if not ctx.actor.linked and _CODE.fullmatch(message.text.strip()):
            return self._link(ctx, message, message.text.strip())
        return [ctx.ask(message)]

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
        if name == "tieptuc" and self._engine.known(state) and not active:
            return self._engine.resume(ctx, state)
        if name in FORM_COMMANDS:
            if not ctx.actor.linked:
                return [Reply(vi.LINK_FIRST)]
            return FORM_COMMANDS[name](ctx, self._engine, state)
        handler = self._commands.get(name)
        if name in self._buttons:
            replies = self._buttons[name](ctx, arg) if ctx.actor.linked else [Reply(vi.LINK_FIRST)]
        elif handler is None:
            replies = [Reply(vi.UNKNOWN_COMMAND.format(command="/" + name))]
        else:
            replies = handler(message)
            if name == "start" and not ctx.actor.linked:
                replies.append(Reply(vi.LINK_HOW))
        if active:
            replies += self._engine.prompt(ctx, state)
        return replies

    def _link(self, ctx: Ctx, message: Incoming, code: str) -> list[Reply]:
        """Spend an invite code; a wrong one says why, in Vietnamese, and changes nothing."""
        try:
            with ctx.session.begin_nested():
                person = org.link_identity(
                    ctx.session,
                    channel=message.channel,
                    external_id=message.user_id,
                    code=code,
                    now=ctx.now,
                )
        except org.InviteError as error:
            return [Reply(str(error))]
        roles = ", ".join(vi.ROLE_LABELS[r.value] for r in sorted(org.roles_of(person)))
        unit = forms.unit_name(ctx.session, person.unit_id)
        return [
            Reply(vi.LINKED.format(name=person.full_name, roles=roles or "—", unit=unit or "—"))
        ]


def _command(message: Incoming) -> tuple[str | None, str]:
    """('dangky', '') for '/dangky' typed or a button payload '/dangky'; (None, '') otherwise."""
    payload = message.payload or ""
    text = (payload if payload.startswith("/") else message.text).strip()
    if not text.startswith("/") or len(text) < 2:
        return None, ""
    head, _, arg = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), arg.strip()
