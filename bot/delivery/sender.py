"""The outbox sender: delivers queued replies with per-channel limits, retries and order.

Every reply and notification is an outbox row written with the change that caused it. This
loop claims the oldest due row of each chat, sends it through the chat's channel and records
the outcome; the platform's verdict decides what happens next: 429 waits as long as it asks
(the whole channel pauses, since Telegram's flood limit is per bot), 5xx and network errors
back off, doubling up to a cap, for as long as the retry policy allows (a day by default,
counted from the message's first failure) before the message joins the office's list of
failed ones (`thidua outbox failed`, `thidua outbox retry`); 403 marks the chat unreachable,
and a bad request fails the one message at once. A long reply that failed half-way resumes
after the parts already delivered.

The platforms offer no idempotency key, so two windows remain in which a message can go out
twice (at-least-once): a crash between a successful send and the commit that records it, and
a send that reached the platform but got no answer within the send timeout (UNCERTAIN). The
timeout is longer than the platform takes to answer, and an uncertain row is not sent again
within its lease, nor before the retry policy's uncertain delay; then it is sent once more,
as losing a reply is worse than repeating it. A second send in a row without an answer says
the platform takes the calls but is too slow to tell: the message then joins the failed list
instead of a copy going out at every retry.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiolimiter import AsyncLimiter
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.channels.base import RateLimits, SendResult, SendStatus
from bot.delivery.loops import claim_loop
from bot.messages import MenuCommand, Reply, menu_of
from bot.store import outbox, queues, reply_json, unreachable
from bot.store.db import run_db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a message is tried again after errors that may heal (5xx,
    network, no answer): waits double from `first_delay` up to `max_delay`, and stop once
    `give_up_after` has passed since the message's first failure. A send that got no answer
    (it may have arrived) waits at least `uncertain_delay`, by default twice the default send
    timeout: a platform still working on the call has had that long again to finish it."""

    give_up_after: timedelta = timedelta(hours=24)
    max_delay: timedelta = timedelta(minutes=5)
    first_delay: timedelta = timedelta(seconds=1)
    uncertain_delay: timedelta = timedelta(seconds=150)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed try (1, 2, 4 … seconds, capped)."""
        doubled: timedelta = self.first_delay * 2 ** min(max(attempts - 1, 0), 30)
        return min(doubled, self.max_delay)

    def gives_up(self, first_failure: datetime, now: datetime) -> bool:
        return now - first_failure >= self.give_up_after


class Sending(Protocol):
    """A channel as the sender sees it."""

    name: str
    rate_limits: RateLimits

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult: ...

    async def set_chat_menu(self, chat_id: str, commands: Sequence[MenuCommand]) -> SendResult: ...

    def is_group(self, chat_id: str) -> bool: ...


def overall_limiter(limits: RateLimits) -> AsyncLimiter:
    """A bucket of one that drains at `max_per_second - 1`: starts come evenly spaced, and
    any sliding second (which is how the platform counts) holds at most `max_per_second`.
    A bucket as large as the rate would let a full second's worth out at once and then as
    many again within the same second."""
    return AsyncLimiter(1, 1.0 / max(limits.max_per_second - 1.0, 0.5))


def worker_share(limits: RateLimits, workers: int) -> RateLimits:
    """Each of `workers` server processes sends with this share of the bot's overall and
    per-group limits: the platform counts them together. A chat's own limit stays whole: its
    messages go one at a time, in order, whichever process sends each."""
    if workers <= 1:
        return limits
    return replace(
        limits,
        max_per_second=limits.max_per_second / workers,
        per_group_per_minute=limits.per_group_per_minute / workers,
    )


@dataclass
class _ChannelState:
    limits: RateLimits
    overall: AsyncLimiter
    chats: dict[str, AsyncLimiter] = field(default_factory=dict)
    paused_until: datetime | None = None

    def pause_at(self, now: datetime) -> datetime | None:
        """The end of a 429 pause still running at `now`, or None."""
        if self.paused_until is not None and self.paused_until > now:
            return self.paused_until
        return None


class OutboxSender:
    """Claims due rows, sends them concurrently (one in flight per chat), records outcomes."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        channels: Mapping[str, Sending],
        *,
        now: Callable[[], datetime],
        limits: Mapping[str, RateLimits] | None = None,  # default: each channel's own
        max_in_flight: int = 16,
        retry: RetryPolicy | None = None,
        lease: timedelta = outbox.LEASE,
        owner: str | None = None,
    ) -> None:
        """`lease`: how long a claimed row is ours without a heartbeat; the loop renews it
        while the send runs, so a row still 'sending' after it is one whose sender died
        mid-send, and it is claimed again. `owner`: the name on this sender's leases
        (default: a new one)."""
        self._sessions = sessions
        self._channels = dict(channels)
        self._now = now
        self._max_in_flight = max_in_flight
        self._retry = retry or RetryPolicy()
        self._lease = lease
        self.owner = owner or queues.new_owner()
        self._in_hand: set[int] = set()  # rows being sent by this process
        self._wake = asyncio.Event()
        self._state = {
            name: _ChannelState(chosen, overall_limiter(chosen))
            for name, channel in self._channels.items()
            for chosen in [(limits or {}).get(name, channel.rate_limits)]
        }

    def wake(self) -> None:
        """New rows were queued: claim now instead of at the next idle poll."""
        self._wake.set()

    def paused(self) -> dict[str, datetime]:
        """The channels a 429 pauses now, with the end of each pause."""
        now = self._now()
        return {
            name: until
            for name, state in self._state.items()
            if (until := state.pause_at(now)) is not None
        }

    async def run_once(self) -> int:
        """One claim, its rows sent; how many messages were delivered."""
        claimed = await run_db(self._sessions, self._claim, self._max_in_flight)
        return sum(await asyncio.gather(*(self._deliver(row) for row in claimed)))

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.5) -> None:
        """Claims and sends until `stop`, up to `max_in_flight` at once. A row being sent is
        leased and holds back its chat's later rows, so each chat still gets one message at
        a time, in order."""
        await claim_loop(
            functools.partial(run_db, self._sessions, self._claim),
            self._deliver,
            room=self._max_in_flight,
            wake=self._wake,
            stop=stop,
            idle_s=idle_s,
            name="outbox",
            renew=functools.partial(run_db, self._sessions, self._renew),
            renew_every_s=self._lease.total_seconds() / 4,
        )

    def reclaim(self) -> int:
        """At the start of a process alone on its database: frees the messages a previous
        run left 'sending' when it died, so they are claimed at once. How many."""
        with self._sessions.begin() as session:
            return outbox.reclaim(session, now=self._now())

    def _renew(self, rows: list[outbox.Claimed]) -> int:
        ids = [row.id for row in rows]
        with self._sessions.begin() as session:
            return outbox.renew(
                session, owner=self.owner, ids=ids, now=self._now(), lease=self._lease
            )

    def _claim(self, limit: int) -> list[outbox.Claimed]:
        """Claims due rows; those of an unknown or paused channel go back at once. A row
        still being sent here (its lease ran out, the heartbeat missing: a database hiccup,
        or `run_once`, which has none) is left to that send: the claim only renewed its
        lease."""
        with self._sessions.begin() as session:
            now = self._now()
            rows = outbox.claim_due(
                session, now=now, limit=limit, lease=self._lease, owner=self.owner
            )
            runnable = []
            for row in rows:
                state = self._state.get(row.channel)
                if row.id in self._in_hand:
                    continue
                if state is None:
                    error = f"no channel '{row.channel}'"
                    outbox.mark_failed(session, row.id, error=error, now=now)
                elif (until := state.pause_at(now)) is not None:
                    outbox.reschedule(
                        session,
                        row.id,
                        not_before=until,
                        error="channel paused by 429",
                        parts_sent=row.parts_sent,
                    )
                else:
                    runnable.append(row)
            return runnable

    def _chat_limiter(self, state: _ChannelState, row: outbox.Claimed) -> AsyncLimiter:
        limiter = state.chats.get(row.chat_id)
        if limiter is None:
            if self._channels[row.channel].is_group(row.chat_id):
                limiter = AsyncLimiter(state.limits.per_group_per_minute, 60.0)
            else:
                limiter = AsyncLimiter(state.limits.per_chat_burst, state.limits.per_chat_period_s)
            if len(state.chats) > 10_000:  # idle chats' limiters are cheap to recreate
                state.chats.clear()
            state.chats[row.chat_id] = limiter
        return limiter

    async def _deliver(self, row: outbox.Claimed) -> int:
        self._in_hand.add(row.id)
        try:
            return await self._send(row)
        finally:
            self._in_hand.discard(row.id)

    async def _send(self, row: outbox.Claimed) -> int:
        state = self._state[row.channel]
        reply = reply_json.reply_from_json(row.payload)
        if _expired(reply, self._now()):
            await run_db(self._sessions, self._expire, row)
            return 0
        async with self._chat_limiter(state, row), state.overall:
            try:
                channel = self._channels[row.channel]
                commands = menu_of(reply)  # a chat's command menu, not a message
                if commands is not None:
                    result = await channel.set_chat_menu(row.chat_id, commands)
                else:
                    result = await channel.send(row.chat_id, reply, first_part=row.parts_sent)
            except Exception as exc:  # an adapter bug must not lose the row
                log.exception("send crashed for outbox row %s", row.id)
                result = SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        await run_db(self._sessions, self._record, row, state, result)
        return 1 if result.status is SendStatus.SENT else 0

    def _expire(self, row: outbox.Claimed) -> None:
        log.info("outbox row %s expired unsent", row.id)
        with self._sessions.begin() as session:
            outbox.mark_failed(session, row.id, error="expired", status="expired")
        metrics.SENDS.labels(row.channel, "expired").inc()

    def _record(self, row: outbox.Claimed, state: _ChannelState, result: SendResult) -> None:
        """Records the outcome, then counts it (once committed) under its result."""
        now = self._now()
        parts = row.parts_sent + result.parts_sent
        counted = _RESULTS.get(result.status, result.status.value)
        with self._sessions.begin() as session:
            match result.status:
                case SendStatus.SENT:
                    outbox.mark_sent(session, row.id, now=now)
                case SendStatus.RETRY_AFTER:
                    wait = timedelta(seconds=max(result.retry_after_s, 1.0))
                    state.paused_until = max(state.paused_until or now, now + wait)
                    outbox.reschedule(
                        session, row.id, not_before=now + wait, error="429", parts_sent=parts
                    )
                case SendStatus.TRANSIENT | SendStatus.UNCERTAIN:
                    if self._back_off(session, row, result, parts, now):
                        counted = DEAD_LETTER
                case SendStatus.BLOCKED:
                    unreachable.mark_unreachable(
                        session,
                        channel=row.channel,
                        chat_id=row.chat_id,
                        reason=result.detail or "blocked",
                        now=now,
                    )
                case _:
                    error = result.detail or "failed"
                    outbox.mark_failed(session, row.id, error=error, now=now, parts_sent=parts)
        metrics.SENDS.labels(row.channel, counted).inc()
        if result.status is SendStatus.SENT and _is_reminder(row.payload):
            metrics.REMINDERS.labels("sent").inc()

    def _back_off(
        self,
        session: Session,
        row: outbox.Claimed,
        result: SendResult,
        parts: int,
        now: datetime,
    ) -> bool:
        """An error that may heal: the row is tried again after the policy's delay, or, an
        uncertain send, not before this claim's lease is over and the policy's uncertain
        delay has passed, as the platform may have delivered it. Past the policy's time, or
        uncertain twice in a row, it joins the office's failed list (True)."""
        error = result.detail or result.status.value
        uncertain = result.status is SendStatus.UNCERTAIN
        twice = uncertain and row.was_uncertain
        if twice:
            error = f"{error} (no answer twice: may have been delivered)"
        if twice or self._retry.gives_up(row.first_failed_at or now, now):
            log.warning(
                "outbox row %s failed after %s attempts since %s: %s",
                row.id,
                row.attempts,
                row.first_failed_at,
                error,
            )
            outbox.mark_failed(session, row.id, error=error, now=now, parts_sent=parts)
            return True
        wait = self._retry.delay(row.attempts)
        if uncertain:
            wait = max(wait, self._lease, self._retry.uncertain_delay)
        outbox.back_off(
            session,
            row.id,
            not_before=now + wait,
            error=error,
            parts_sent=parts,
            now=now,
            uncertain=uncertain,
        )
        return False


# A send's result as the metrics name it (bot.metrics.SENDS); the rest by their own value.
_RESULTS = {SendStatus.RETRY_AFTER: "429", SendStatus.TRANSIENT: "5xx"}
DEAD_LETTER = "dead_letter"


def _is_reminder(payload: Mapping[str, Any]) -> bool:
    """A reminder's reply carries its key (bot.reminders.chase) in its meta."""
    meta = payload.get("meta")
    return isinstance(meta, dict) and str(meta.get("key", "")).startswith("reminder:")


def _expired(reply: Reply, now: datetime) -> bool:
    """A notification that carries `expires_at` (ISO) and is past it is no longer worth
    sending: a reminder whose day has ended."""
    stamp = reply.meta.get(outbox.EXPIRES_AT)
    if not stamp:
        return False
    try:
        return datetime.fromisoformat(stamp) <= now
    except ValueError:
        return False
