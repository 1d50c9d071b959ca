"""The outbox sender: delivers queued replies with per-channel limits, retries and order.

Every reply and notification is a row written with the change that caused it
(bot.store.delivery). This loop claims the oldest due row of each chat, sends it through the
chat's channel adapter and records the outcome; the platform's verdict decides what happens:
429 waits as long as it asks (the whole channel pauses, since Telegram's flood limit is per
bot), 5xx and network errors back off exponentially, 403 marks the chat unreachable, and a bad
request fails the one message. A long reply that failed half-way resumes after the parts
already delivered, so no part is sent twice.

A crash between a successful send and the commit that records it is the one window in which
a message can go out twice; the platforms give no way to detect it, so the row is retried
once its lease expires (at-least-once); the window is one HTTP round trip plus the few
milliseconds until the next claim, whose transaction records the sends finished meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import Channel, SendResult, SendStatus
from bot.gateway import Sweep, nap, on_sqlite, run_db, write_first
from bot.messages import Reply
from bot.store import delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimits:
    """Telegram's published limits by default: ~30 messages/s per bot, about 1/s per chat
    (short bursts tolerated) and 20/min per group.

    The overall rate is paced, one message every 1/per_second s, never a burst: the platform
    counts any sliding second, so a bucket that lets 30 out at once and then refills at
    30/s puts up to 60 in one of them and earns a 429 pause. 29/s leaves room for jitter.
    """

    per_second: float = 29.0
    per_chat_burst: int = 3
    per_chat_period_s: float = 3.0
    per_group_per_minute: float = 20.0


def worker_share(limits: RateLimits, workers: int) -> RateLimits:
    """Each of `workers` server processes sends with this share of the bot's overall and
    per-group limits: the platform counts them together, and the processes do not talk to
    each other. A chat's own limit stays whole: its messages go one at a time, in order,
    whichever process sends each, so they cannot add up beyond it."""
    if workers <= 1:
        return limits
    return replace(
        limits,
        per_second=limits.per_second / workers,
        per_group_per_minute=limits.per_group_per_minute / workers,
    )


CLOCK_RESOLUTION_S = 0.001  # uvloop's loop.time() moves in milliseconds, once per iteration


class Pacer:
    """Evenly spaced starts at `rate` per second that never exceed `rate` in any sliding
    window, which is how Telegram counts. aiolimiter's leaky bucket lets a burst of `rate`
    out and refills at `rate`/s, so one sliding second can hold up to twice the limit and
    earn a 429 pause. A start that woke late lets the next one come a little sooner, so the
    average holds under load; the window cap stops that from turning into a burst. A start due
    within one tick of the loop's clock goes at once: a sleep that short only moved the send
    to the next loop iteration (at a raised rate, a sleep for nearly every send)."""

    def __init__(self, rate: float, window_s: float = 1.0) -> None:
        self._interval = 1.0 / rate
        self._cap = max(1, int(rate * window_s))
        self._window_s = window_s
        self._starts: deque[float] = deque()
        self._next = 0.0

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._starts and now - self._starts[0] >= self._window_s:
                self._starts.popleft()
            wait = self._next - now
            if wait < CLOCK_RESOLUTION_S:  # due within the loop clock's tick: that is now
                wait = 0.0
            if len(self._starts) >= self._cap:
                wait = max(wait, self._starts[0] + self._window_s - now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._starts.append(now)
        self._next = max(self._next, now - self._interval) + self._interval

    async def __aexit__(self, *_exc: object) -> None:
        return None


@dataclass(frozen=True)
class _Job:
    id: int
    channel: str
    chat_id: str
    payload: dict[str, object]
    parts_sent: int
    attempts: int


def _job(row: delivery.Claimed) -> _Job:
    return _Job(row.id, row.channel, row.chat_id, row.payload, row.parts_sent, row.attempts)


@dataclass
class _ChannelState:
    limits: RateLimits
    overall: Pacer
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
        channels: Mapping[str, Channel],
        *,
        now: Callable[[], datetime],
        limits: Mapping[str, RateLimits] | None = None,
        batch: int = 200,
        max_in_flight: int = 16,
        max_attempts: int = 8,
        is_group: Callable[[str, str], bool] = lambda _channel, chat: chat.startswith("-"),
        lease: timedelta = delivery.LEASE,
    ) -> None:
        """`lease`: how long a claimed row is ours; a row still 'sending' after it (its
        sender died mid-send) is claimed again. Longer than any send, as the default is."""
        self.lease = lease
        self._sending: set[int] = set()  # rows this process holds: handed over or being sent
        self._sessions = sessions
        self._channels = dict(channels)
        self._now = now
        self._batch = batch
        # The Zalo clients' httpx/httpcore polls every idle pooled connection on each request
        # and response (~0.1-0.3 ms each here), so the cost of a send grows with the number of
        # connections ever opened at once: bounded sends keep the pool small. Telegram's
        # keep-alive pool has no such cost, and 48 in flight instead of 16 gave no clear gain
        # (bench/channels, 20 ms / 200 chats); 16 still allow ~800 sends/s at a 20 ms round trip.
        self._max_in_flight = max_in_flight
        self._max_attempts = max_attempts
        self._is_group = is_group
        self._state: dict[str, _ChannelState] = {}
        self._wake = asyncio.Event()
        self._sent: list[_Job] = []  # delivered, not yet recorded as sent
        # On SQLite rows also arrive leased, in memory (`accept`: a group of turns' replies,
        # a sent message's successor in its chat); claims over every open row then run only
        # when woken for them and every idle_s (see bot.gateway.InboxWorker).
        self._handoff = on_sqlite(sessions)
        self._ready: deque[_Job] = deque()
        self._claim_wanted = True
        for name in self._channels:
            chosen = (limits or {}).get(name, RateLimits())
            self._state[name] = _ChannelState(chosen, Pacer(chosen.per_second))

    def wake(self) -> None:
        """New rows were queued: claim now instead of at the next idle poll."""
        self._claim_wanted = True
        self._wake.set()

    def accept(self, claimed: Sequence[delivery.Claimed]) -> None:
        """Rows already leased to this sender (by a group of turns): sent without a claim."""
        if claimed:
            self._hold(_job(c) for c in claimed)
            self._wake.set()

    def has_room(self) -> bool:
        """Whether rows may be handed over: a backlog that waits in memory longer than its
        lease (a channel paced by its rate limit) would be claimed again elsewhere."""
        return len(self._ready) < self._batch

    def _hold(self, jobs: Iterable[_Job]) -> None:
        for job in jobs:
            self._sending.add(job.id)  # a sweep that finds its lease run out skips it
            self._ready.append(job)

    async def _take_ready(self, limit: int) -> list[_Job]:
        """Up to `limit` handed-over rows to send now; those of a paused or unknown channel
        go back to the database (through `run_db`, as `_claim` does for claimed ones)."""
        ready = self._ready
        taken = [ready.popleft() for _ in range(min(limit, len(ready)))]
        now = self._now()
        if any(self._held_back(job, now) for job in taken):
            runnable = await run_db(self._sessions, self._runnable_of, taken)
            kept = {job.id for job in runnable}
            self._sending.difference_update(job.id for job in taken if job.id not in kept)
            return runnable
        return taken

    def _held_back(self, job: _Job, now: datetime) -> bool:
        state = self._state.get(job.channel)
        return state is None or state.pause_at(now) is not None

    def _runnable_of(self, jobs: list[_Job]) -> list[_Job]:
        return [job for job in jobs if self._runnable(job)]

    async def run_once(self) -> int:
        """One claim-and-send round; returns how many messages were delivered."""
        jobs = await self._take_ready(len(self._ready))
        jobs += await run_db(self._sessions, self._claim)
        if not jobs:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(job) for job in jobs))
        sent, self._sent = self._sent, []
        self._hold(await run_db(self._sessions, self._mark_sent, sent))
        return sum(outcomes)

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.2) -> None:
        """Sends what is handed over and claims whenever woken for it (or every idle_s),
        while earlier sends are still in flight.

        A row being sent is leased and holds back its chat's later rows, so overlapping
        claims still send one message at a time per chat, in order.
        """
        tasks: set[asyncio.Task[int]] = set()
        sweep = Sweep(idle_s)
        while not stop.is_set():
            self._wake.clear()
            room = min(self._batch, self._max_in_flight - len(tasks))
            jobs = await self._take_ready(max(room, 0))
            room -= len(jobs)
            if sweep.due() or not self._handoff:  # PostgreSQL: every wake claims
                self._claim_wanted = True
            claim = self._claim_wanted and room > 0
            if claim or self._sent:
                self._claim_wanted = self._claim_wanted and not claim
                sent, self._sent = self._sent, []
                try:
                    claimed = await run_db(self._sessions, self._claim, room if claim else 0, sent)
                except Exception:  # the loop must survive a bad row or a database hiccup
                    log.exception("outbox round failed")
                    self._sent.extend(sent)  # recorded with the next claim
                    claimed = []
                if claim and len(claimed) >= room:  # more may be waiting
                    self._claim_wanted = True
                jobs += claimed
            for job in jobs:
                task = asyncio.create_task(self._deliver(job))
                tasks.add(task)
                task.add_done_callback(self._finished(tasks))
            if not jobs:
                await nap(self._wake, stop, idle_s)
        await asyncio.gather(*tasks, return_exceptions=True)
        sent, self._sent = self._sent, []
        unstarted, self._ready = list(self._ready), deque()
        await run_db(self._sessions, self._stop, sent, unstarted)
        self._sending.difference_update(job.id for job in unstarted)

    def _stop(self, sent: list[_Job], unstarted: list[_Job]) -> None:
        """Records the last sends and gives back rows handed over but never started, for
        the next process instead of after their lease."""
        if not (sent or unstarted):
            return
        with self._sessions.begin() as session:
            self._record_sent(session, sent, successors=False)
            for job in unstarted:
                delivery.release(session, job.id, parts_sent=job.parts_sent)

    def _mark_sent(self, sent: list[_Job]) -> list[_Job]:
        """Records sends; the chats' next rows, leased to this sender, with a handoff."""
        if not sent:
            return []
        with self._sessions.begin() as session:
            return self._record_sent(session, sent)

    def _record_sent(
        self, session: Session, sent: list[_Job], *, successors: bool = True
    ) -> list[_Job]:
        now = self._now()
        delivery.mark_all_sent(session, [job.id for job in sent], now=now)
        if not (self._handoff and successors and sent and self.has_room()):
            return []
        chats = [(job.channel, job.chat_id) for job in sent]
        return [
            _job(c) for c in delivery.claim_outbox_heads(session, chats, now=now, lease=self.lease)
        ]

    def _finished(self, tasks: set[asyncio.Task[int]]) -> Callable[[asyncio.Task[int]], None]:
        def done(task: asyncio.Task[int]) -> None:
            tasks.discard(task)
            self._wake.set()  # room for more, and the chat's next row may be due

        return done

    def _claim(self, limit: int | None = None, sent: list[_Job] | None = None) -> list[_Job]:
        """Records `sent` rows as sent (handing over their chats' next rows), then claims:
        one transaction for both."""
        with self._sessions.begin() as session:
            write_first(session, "outbox")
            jobs = self._record_sent(session, sent) if sent else []
            rows = delivery.claim_due(
                session,
                now=self._now(),
                limit=self._batch if limit is None else limit,
                lease=self.lease,
            )
            jobs += [_job(r) for r in rows]
        # A row still being sent by this process whose lease ran out is not sent again here.
        return [job for job in jobs if job.id not in self._sending and self._runnable(job)]

    def _runnable(self, job: _Job) -> bool:
        """A paused channel's rows go back with the pause as their not_before."""
        state = self._state.get(job.channel)
        if state is None:
            with self._sessions.begin() as session:
                delivery.mark_failed(session, job.id, error=f"no channel '{job.channel}'")
            return False
        until = state.pause_at(self._now())
        if until is not None:
            with self._sessions.begin() as session:
                delivery.reschedule(
                    session,
                    job.id,
                    not_before=until,
                    error="channel paused by 429",
                    parts_sent=job.parts_sent,
                )
            return False
        return True

    def _chat_limiter(self, state: _ChannelState, job: _Job) -> AsyncLimiter:
        limiter = state.chats.get(job.chat_id)
        if limiter is None:
            if self._is_group(job.channel, job.chat_id):
                limiter = AsyncLimiter(state.limits.per_group_per_minute, 60.0)
            else:
                limiter = AsyncLimiter(state.limits.per_chat_burst, state.limits.per_chat_period_s)
            if len(state.chats) > 10_000:  # idle chats' limiters are cheap to recreate
                state.chats.clear()
            state.chats[job.chat_id] = limiter
        return limiter

    async def _deliver(self, job: _Job) -> int:
        self._sending.add(job.id)
        try:
            return await self._deliver_once(job)
        finally:
            self._sending.discard(job.id)

    async def _deliver_once(self, job: _Job) -> int:
        state = self._state[job.channel]
        reply = delivery.reply_from_json(job.payload)
        if _expired(reply, self._now()):
            await run_db(self._sessions, self._expire, job.id)
            return 0
        async with self._chat_limiter(state, job), state.overall:
            try:
                result = await self._channels[job.channel].send(
                    job.chat_id, reply, first_part=job.parts_sent
                )
            except Exception as exc:  # an adapter bug must not lose the row
                log.exception("send crashed for outbox row %s", job.id)
                result = SendResult(SendStatus.TRANSIENT, detail=type(exc).__name__)
        if result.status is SendStatus.SENT:
            # Recorded with the next claim, which the completion wakes at once: one
            # transaction for many sends. Until then the row stays leased and holds back its
            # chat's later rows; a crash in between resends it (the at-least-once window).
            self._sent.append(job)
            return 1
        await run_db(self._sessions, self._record, job, state, result)
        return 0

    def _expire(self, message_id: int) -> None:
        with self._sessions.begin() as session:
            delivery.mark_failed(session, message_id, error="expired", status="expired")

    def _record(self, job: _Job, state: _ChannelState, result: SendResult) -> None:
        now = self._now()
        parts = job.parts_sent + result.parts_sent
        with self._sessions.begin() as session:
            match result.status:
                case SendStatus.SENT:
                    delivery.mark_sent(session, job.id, now=now)
                case SendStatus.RETRY_AFTER:
                    wait = timedelta(seconds=max(result.retry_after_s, 1.0))
                    state.paused_until = max(state.paused_until or now, now + wait)
                    delivery.reschedule(
                        session, job.id, not_before=now + wait, error="429", parts_sent=parts
                    )
                case SendStatus.TRANSIENT if job.attempts < self._max_attempts:
                    wait = timedelta(seconds=min(2 ** (job.attempts - 1), 300))
                    delivery.reschedule(
                        session,
                        job.id,
                        not_before=now + wait,
                        error=result.detail,
                        parts_sent=parts,
                    )
                case SendStatus.BLOCKED:
                    delivery.mark_unreachable(
                        session,
                        channel=job.channel,
                        chat_id=job.chat_id,
                        reason=result.detail or "blocked",
                        now=now,
                    )
                case _:
                    delivery.mark_failed(session, job.id, error=result.detail or "failed")


def _expired(reply: Reply, now: datetime) -> bool:
    """A notification that carries `expires_at` (ISO) and is past it is no longer worth
    sending: a reminder whose day has ended."""
    stamp = reply.meta.get(delivery.EXPIRES_AT)
    if not stamp:
        return False
    try:
        return datetime.fromisoformat(stamp) <= now
    except ValueError:
        return False
