"""The unit of work: one update's dedupe key, its turn and its queued replies, one transaction.

A crash before the commit leaves the update to run again; after it, the update's key makes a
rerun (or a redelivery) do nothing, and its replies wait in the outbox for the sender. A turn
that raises rolls back whole (no half-written registration); its failure reply is then
recorded with the update's key in a transaction of its own. A stored update whose turn found
the database unwell (locked, disconnected) is not answered with an error: the exception goes
to the inbox worker, which tries the update again later. A turn never waits on a language
model inside its transaction: it raises WaitOutside, and runs again once the model is done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.messages import BUTTON_ANSWER, Incoming, Reply, WaitOutside
from bot.store import inbox, outbox, unreachable


class Dispatcher(Protocol):
    """What the unit of work needs of the router (bot.core.router.Router)."""

    def turn(self, session: Session, message: Incoming, now: datetime) -> list[Reply]: ...

    def failure(self, message: Incoming, error: Exception) -> list[Reply]: ...


class Turns:
    """Runs messages through the router, each in one transaction."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        router: Dispatcher,
        now: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.router = router
        self.now = now

    def run(
        self,
        message: Incoming,
        *,
        update_key: str | None = None,
        inbox_id: int | None = None,
        outbox_replies: bool = False,
        answers_press: bool = False,
        wait: bool = True,
        waited: bool = False,
    ) -> list[Reply]:
        """The message's turn. With `update_key`, a redelivered update does nothing and
        returns no replies; with `inbox_id`, its inbox row is marked handled in the same
        transaction; with `outbox_replies`, the replies are queued for the sender there too
        (the console shows them instead), except, with `answers_press`, a short answer to a
        button press (meta BUTTON_ANSWER): the caller shows that one in the platform's own
        answer to the press.

        A turn that must wait on something slow (WaitOutside: a model writing an answer)
        rolls back, waits here with no transaction open and runs again; with `wait` False
        the WaitOutside goes to the caller instead (the inbox worker waits off its loop),
        which then runs the turn again with `waited`."""
        options = (update_key, inbox_id, outbox_replies, answers_press)
        try:
            with metrics.TURN_SECONDS.time():  # a try's own time, not the wait between
                return self._turn(message, *options, waited=waited)
        except WaitOutside as outside:
            if not wait:
                raise
            outside.work()
        with metrics.TURN_SECONDS.time():
            return self._turn(message, *options, waited=True)

    def _turn(
        self,
        message: Incoming,
        update_key: str | None,
        inbox_id: int | None,
        outbox_replies: bool,
        answers_press: bool,
        *,
        waited: bool,
    ) -> list[Reply]:
        """One try of the turn; after a wait, a second WaitOutside is a failure like any."""
        try:
            return self._record(
                message, self.router.turn, update_key, inbox_id, outbox_replies, answers_press
            )
        except WaitOutside:
            if not waited:
                raise
            replies = self.router.failure(message, RuntimeError("waited twice"))
        except Exception as error:  # the turn rolled back; answer, and record that we did
            if inbox_id is not None and isinstance(error, OperationalError):
                raise  # the database, not the turn, failed: the worker tries it again later
            replies = self.router.failure(message, error)
        return self.without_turn(
            message,
            replies,
            update_key=update_key,
            inbox_id=inbox_id,
            outbox_replies=outbox_replies,
        )

    def without_turn(
        self,
        message: Incoming,
        replies: list[Reply],
        *,
        update_key: str | None = None,
        inbox_id: int | None = None,
        outbox_replies: bool = True,
        dead_reason: str = "",
    ) -> list[Reply]:
        """Replies that need no turn (a failure, a refused file), recorded like a turn's;
        with `dead_reason`, the inbox row ends as a dead letter with that reason."""
        return self._record(
            message,
            lambda _session, _message, _now: replies,
            update_key,
            inbox_id,
            outbox_replies,
            dead_reason=dead_reason,
        )

    def _record(
        self,
        message: Incoming,
        produce: Callable[[Session, Incoming, datetime], list[Reply]],
        update_key: str | None,
        inbox_id: int | None,
        outbox_replies: bool,
        answers_press: bool = False,
        dead_reason: str = "",
    ) -> list[Reply]:
        """One transaction: the update's key (nothing more for a redelivery), the chat no
        longer unreachable (it wrote to us), the replies `produce` gives, queued when asked,
        and the inbox row marked handled (or dead, with `dead_reason`)."""
        with self.sessions.begin() as session:
            now = self.now()
            if update_key and not inbox.mark_processed(
                session, channel=message.channel, update_key=update_key, now=now
            ):
                replies: list[Reply] = []
            else:
                unreachable.mark_reachable(
                    session, channel=message.channel, chat_id=message.chat_id
                )
                replies = produce(session, message, now)
                if outbox_replies:
                    queued = [
                        r for r in replies if not (answers_press and r.meta.get(BUTTON_ANSWER))
                    ]
                    self._queue(session, message, queued, update_key, now)
            if inbox_id is not None and dead_reason:
                inbox.mark_dead(session, inbox_id, now=now, reason=dead_reason)
            elif inbox_id is not None:
                inbox.mark_done(session, inbox_id, now=now)
            return replies

    @staticmethod
    def _queue(
        session: Session,
        message: Incoming,
        replies: list[Reply],
        update_key: str | None,
        now: datetime,
    ) -> None:
        key = update_key or f"{message.message_id or now.timestamp()}"
        outbox.enqueue(
            session,
            channel=message.channel,
            chat_id=message.chat_id,
            replies=replies,
            key=f"{message.channel}:{message.chat_id}:{key}",
            now=now,
        )
