"""From a platform update to queued replies: the path webhooks and polling loops share.

Receipt and processing are two steps with a row between them. `receive` stores the raw update
(once: redeliveries are recognised by their key) and the webhook answers 200 or the polling
loop confirms its offset only after that commit. `InboxWorker` then runs stored updates
through the router, oldest first within each chat, different chats concurrently; the router
writes the dedupe key, the change and the outbox rows in one transaction. A crash at any
point leaves either the stored update (processed again) or its committed turn (skipped).

Per-update overhead is what limits throughput (the work is CPU-bound under the GIL), so the
path batches where no guarantee depends on it: webhook requests that arrive together share
one commit (each still answered only after it), and a claim's turns go to the database
thread in groups (on SQLite one transaction per group, each turn in its own savepoint).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelError, FileTooLarge, Update
from bot.core.router import Router
from bot.messages import Incoming, Reply
from bot.store import delivery
from bot.store.driver import DriverStatement

log = logging.getLogger(__name__)
T = TypeVar("T")
TURNS_PER_TRIP = 16


class InboundChannel(Protocol):
    name: str

    def parse(self, payload: Any) -> Update: ...

    async def resolve_attachments(self, incoming: Incoming) -> Incoming: ...


def receive(
    sessions: sessionmaker[Session],
    channel: InboundChannel,
    payload: Mapping[str, Any],
    now: datetime,
) -> Update:
    """Parse and store one update; raises ValueError for a body that is not an update.

    A channel that reports interactions (Zalo OA's `last_interaction`: customer-service
    messages are allowed only within 7 days of the person's last one) has it recorded on the
    person's linked identity, for events we otherwise ignore (a follow) as well.
    """
    [outcome] = receive_many(sessions, [(channel, payload)], now)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def receive_many(
    sessions: sessionmaker[Session],
    items: Sequence[tuple[InboundChannel, Mapping[str, Any]]],
    now: datetime,
) -> list[Update | Exception]:
    """Parse and store several updates in one transaction: one commit for many webhooks.

    Each item's outcome is its Update, or the ValueError/KeyError/TypeError that says its
    body is not an update (that item alone is refused). Nothing is acknowledged before the
    commit, so an update whose request got 200 is durable.
    """
    outcomes: list[Update | Exception] = []
    rows: list[tuple[InboundChannel, Mapping[str, Any], Update]] = []
    seen: list[tuple[str, str, datetime]] = []
    for channel, payload in items:
        try:
            update = channel.parse(payload)
            interaction = getattr(channel, "last_interaction", None)
            at = interaction(payload) if interaction is not None else None
        except (ValueError, KeyError, TypeError) as exc:
            outcomes.append(exc)
            continue
        outcomes.append(update)
        if at is not None:
            seen.append((channel.name, at[0], at[1]))
        if update.incoming is not None:  # else acknowledged, nothing to do (e.g. a group
            rows.append((channel, payload, update))  # message not for us)
    if rows or seen:
        with sessions.begin() as session:
            for name, external_id, at_time in seen:
                delivery.record_interaction(
                    session, channel=name, external_id=external_id, at=at_time
                )
            for channel, payload, update in rows:
                assert update.incoming is not None
                delivery.receive(
                    session,
                    channel=channel.name,
                    update_key=update.dedupe_key,
                    chat_id=update.incoming.chat_id,
                    payload=dict(payload),
                    now=now,
                )
    return outcomes


class Receiver:
    """Stores webhook updates in batches: requests arriving together share one commit.

    Each caller waits for the commit that holds its update (durable before the 200); while
    one batch is being written the next one gathers, so under load a commit serves many
    requests and when idle an update is written at once.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        now: Callable[[], datetime],
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._now = now
        self._on_stored = on_stored
        self._pending: list[
            tuple[InboundChannel, Mapping[str, Any], asyncio.Future[Update | Exception]]
        ] = []
        self._writer: asyncio.Task[None] | None = None  # held: the loop keeps only weak refs

    async def store(self, channel: InboundChannel, payload: Mapping[str, Any]) -> Update:
        """Returns once the update is committed; raises ValueError etc. for a bad body."""
        future: asyncio.Future[Update | Exception] = asyncio.get_running_loop().create_future()
        self._pending.append((channel, payload, future))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _write(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    outcomes = await in_db_thread(
                        self._sessions,
                        receive_many,
                        self._sessions,
                        [(channel, payload) for channel, payload, _ in batch],
                        self._now(),
                    )
                except Exception as exc:  # the commit failed: every request in it fails
                    outcomes = [exc] * len(batch)
                for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                self._on_stored()
        finally:
            self._writer = None


class InboxWorker:
    """Processes stored updates; one in flight per chat, many chats at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        router: Router,
        channels: Mapping[str, InboundChannel],
        *,
        now: Callable[[], datetime],
        file_too_large: Callable[[FileTooLarge], str],
        batch: int = 100,
        retention: timedelta = delivery.RETENTION,
        purge_every: timedelta = timedelta(minutes=10),
        lease: timedelta = delivery.LEASE,
    ) -> None:
        if retention < delivery.RETENTION:
            raise ValueError(f"dedupe rows must be kept at least {delivery.RETENTION}")
        self._sessions = sessions
        self._router = router
        self._channels = dict(channels)
        self._now = now
        self._file_too_large = file_too_large
        self._batch = batch
        self._retention = retention
        self._purge_every = purge_every
        self._next_purge: datetime | None = None
        self._lease = lease
        self._wake = asyncio.Event()
        # On SQLite a claim's turns share one transaction (a savepoint each): writes are
        # serialised there anyway, and a commit per turn was a sixth of a turn's CPU.
        # PostgreSQL keeps a transaction per turn, so row locks are held no longer than one.
        bind = sessions.kw.get("bind")
        self._group_turns = bind is not None and bind.dialect.name == "sqlite"
        self._handled: list[int] = []  # processed, not yet marked so in the database
        self._listeners: list[Callable[[], None]] = []

    def wake(self) -> None:
        """A new update was stored: claim now instead of at the next idle poll."""
        self._wake.set()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after each turn has committed (e.g. the outbox sender's wake)."""
        self._listeners.append(listener)

    def purge_if_due(self) -> tuple[int, int] | None:
        """Every `purge_every` (by the injected clock), forget updates handled more than
        `retention` ago: (dedupe keys, inbox rows) deleted, or None when not yet due."""
        now = self._now()
        if self._next_purge is not None and now < self._next_purge:
            return None
        self._next_purge = now + self._purge_every
        with self._sessions.begin() as session:
            purged = delivery.purge_dedupe(session, before=now - self._retention)
        if any(purged):
            log.info("purged %d dedupe keys and %d handled updates", *purged)
        return purged

    def _claim(
        self, limit: int, done: list[int] | None = None
    ) -> list[tuple[int, str, dict[str, Any], int]]:
        """Marks `done` updates handled, then claims: one transaction for both."""
        try:
            self.purge_if_due()
        except Exception:  # housekeeping must never hold up the updates
            log.exception("dedupe purge failed")
        with self._sessions.begin() as session:
            write_first(session, "inbox")
            now = self._now()
            delivery.mark_all_received_done(session, done or (), now=now)
            rows = delivery.claim_inbox(session, now=now, limit=limit, lease=self._lease)
            return [(r.id, r.channel, r.payload, r.attempts) for r in rows]

    async def run_once(self) -> int:
        jobs = await in_db_thread(self._sessions, self._claim, self._batch)
        if not jobs:
            return 0
        done = await self._process_all(jobs)
        finished, self._handled = self._handled, []
        await in_db_thread(self._sessions, self._mark_done, finished)
        return done

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.05) -> None:
        """Claims whenever woken (or every idle_s) while earlier updates are still in flight.

        A leased row is not claimed again and a chat's next update is not claimable before
        its earlier one is done, so overlapping claims keep one update in flight per chat.
        """
        tasks: set[asyncio.Task[int]] = set()
        in_flight = [0]
        while not stop.is_set():
            self._wake.clear()
            room = self._batch - in_flight[0]
            jobs: list[tuple[int, str, dict[str, Any], int]] = []
            if room > 0 or self._handled:
                finished, self._handled = self._handled, []
                try:
                    jobs = await in_db_thread(self._sessions, self._claim, max(room, 0), finished)
                except Exception:
                    log.exception("inbox round failed")
                    self._handled.extend(finished)  # marked with the next claim
            if jobs:
                in_flight[0] += len(jobs)
                task = asyncio.create_task(self._process_all(jobs))
                tasks.add(task)
                task.add_done_callback(self._finished(tasks, in_flight, len(jobs)))
            else:
                await nap(self._wake, stop, idle_s)
        await asyncio.gather(*tasks, return_exceptions=True)
        finished, self._handled = self._handled, []
        await in_db_thread(self._sessions, self._mark_done, finished)

    def _mark_done(self, finished: list[int]) -> None:
        if finished:
            with self._sessions.begin() as session:
                delivery.mark_all_received_done(session, finished, now=self._now())

    def _finished(
        self, tasks: set[asyncio.Task[int]], in_flight: list[int], count: int
    ) -> Callable[[asyncio.Task[int]], None]:
        def done(task: asyncio.Task[int]) -> None:
            tasks.discard(task)
            in_flight[0] -= count
            self._wake.set()  # room for more, and the chat's next update may be due

        return done

    async def _process_all(self, jobs: list[tuple[int, str, dict[str, Any], int]]) -> int:
        """One claim's updates. Those without files run their turns in groups, one trip to
        the database thread per group (on SQLite one transaction, a savepoint per turn): a
        trip costs a thread hop, a future and a loop wake-up, ~8% of the CPU when made per
        update. Groups stay small so the sender's claims, on the same thread, are not held
        up long. Updates with files (downloads first) or that fail to parse go one by one.
        A turn the database refused (locked, disconnected) is tried again later, not lost."""
        quick: list[tuple[int, InboundChannel, Update, int]] = []
        slow: list[tuple[int, str, dict[str, Any], int]] = []
        for job in jobs:
            channel = self._channels.get(job[1])
            try:
                update = channel.parse(job[2]) if channel is not None else None
            except Exception:  # _process logs it and drops the update
                update = None
            if channel is None or update is None or not _plain(update):
                slow.append(job)
            else:
                quick.append((job[0], channel, update, job[3]))
        pending = asyncio.gather(*(self._process(*job) for job in slow))
        done = len(quick)
        for start in range(0, len(quick), TURNS_PER_TRIP):
            group = quick[start : start + TURNS_PER_TRIP]
            deferred = await in_db_thread(
                self._sessions, self._turns, [update for _, _, update, _ in group]
            )
            for listener in self._listeners:  # their replies are committed: send them now
                listener()
            # Measured: stopping the spinners while the next group runs instead (no wait here)
            # was no faster at 50 chats and ~5% slower at 200 (bench/channels, 20 ms API).
            await asyncio.gather(
                *(self._answer(channel, update) for _, channel, update, _ in group)
            )
            for index, (inbox_id, _, _, attempts) in enumerate(group):
                if index in deferred:
                    await self._defer(inbox_id, attempts)
                else:  # marked handled with the next claim, as in _process
                    self._handled.append(inbox_id)
            done -= len(deferred)
        return done + sum(await pending)

    async def _defer(self, inbox_id: int, attempts: int) -> None:
        """Hands an update back for another try after a back-off. Should even that fail,
        the row is not marked handled: its lease runs out and it is claimed again."""
        retry = self._now() + timedelta(seconds=min(2**attempts, 300))
        try:
            await in_db_thread(self._sessions, self._release, inbox_id, retry)
        except Exception:
            log.warning("update %s: retry not recorded; it returns when its lease ends", inbox_id)

    def _turns(self, updates: list[Update]) -> set[int]:
        """Runs the updates' turns; the positions of those the database refused (to retry)."""
        if self._group_turns:
            try:
                group = [(u.incoming, u.dedupe_key) for u in updates if u.incoming is not None]
                self._router.handle_group(group)
                return set()
            except Exception:
                log.exception("a group of %d turns failed; running them one by one", len(updates))
        deferred: set[int] = set()
        for index, update in enumerate(updates):
            assert update.incoming is not None
            try:
                self._router.handle(update.incoming, update_key=update.dedupe_key, outbox=True)
            except DBAPIError as exc:  # locked, disconnected, full: the update waits its turn
                log.warning("update %s deferred: %s", update.dedupe_key, type(exc.orig).__name__)
                deferred.add(index)
            except Exception:  # a turn that cannot run must not block its chat forever
                log.exception("update %s could not be processed; dropped", update.dedupe_key)
        return deferred

    @staticmethod
    async def _answer(channel: InboundChannel, update: Update) -> None:
        """Stops a pressed button's spinner; a failure costs only the spinner (the reply is
        already queued), so it is logged, not raised."""
        answer = getattr(channel, "answer_callback", None)
        if update.callback_id and answer is not None:
            try:
                await answer(update.callback_id)
            except Exception:
                log.warning("callback %s not answered", update.callback_id, exc_info=True)

    async def _process(
        self, inbox_id: int, channel_name: str, payload: dict[str, Any], attempts: int
    ) -> int:
        channel = self._channels.get(channel_name)
        try:
            if channel is None:
                raise LookupError(f"no channel '{channel_name}'")
            update = channel.parse(payload)
            if update.incoming is not None:
                await self._turn(channel, update, update.incoming)
                for listener in self._listeners:  # its replies are committed: send them now
                    listener()
            answer = getattr(channel, "answer_callback", None)
            if update.callback_id and answer is not None:
                await answer(update.callback_id)
        except ChannelError as exc:  # the platform is unwell: try this update again later
            log.warning("update %s deferred: %s", inbox_id, exc.detail)
            await self._defer(inbox_id, attempts)
            return 0
        except DBAPIError as exc:  # so is the database: the same
            log.warning("update %s deferred: %s", inbox_id, type(exc.orig).__name__)
            await self._defer(inbox_id, attempts)
            return 0
        except Exception:  # a payload we cannot handle must not block its chat forever
            log.exception("update %s could not be processed; dropped", inbox_id)
        # Marked handled together with the next claim (one transaction for many); until then
        # the chat's next update waits, and after a crash this one runs again and its turn,
        # already committed, is recognised by its dedupe key.
        self._handled.append(inbox_id)
        return 1

    def _release(self, inbox_id: int, retry: datetime) -> None:
        with self._sessions.begin() as session:
            delivery.release_inbox(session, inbox_id, retry_at=retry)

    async def _turn(self, channel: InboundChannel, update: Update, incoming: Incoming) -> None:
        try:
            incoming = await channel.resolve_attachments(incoming)
        except FileTooLarge as exc:
            log.info("file refused: %s", exc.detail)
            bare = replace(incoming, attachments=(), text="")
            await in_db_thread(
                self._sessions,
                self._router.deliver,
                bare,
                [Reply(self._file_too_large(exc))],
                update_key=update.dedupe_key,
            )
            return
        await in_db_thread(
            self._sessions, self._router.handle, incoming, update_key=update.dedupe_key, outbox=True
        )


def _plain(update: Update) -> bool:
    """A message or button press with nothing to download first."""
    return update.incoming is not None and not update.incoming.attachments


_DB_THREADS: dict[int, ThreadPoolExecutor] = {}


def in_db_thread(
    sessions: sessionmaker[Session], func: Callable[..., T], /, *args: Any, **kwargs: Any
) -> asyncio.Future[T]:
    """Runs blocking database work off the event loop, on the database's own threads.

    SQLite has a single writer, and a connection that finds the write lock taken sleeps in
    SQLite's busy handler with growing back-off (up to 100 ms a try) instead of queueing:
    with many turns at once most of the time went to those sleeps. One thread per SQLite
    database queues the work in Python instead (the GIL allows no more parallelism anyway);
    PostgreSQL gets a pool of threads, as row locks let its transactions run side by side.
    """
    bind = sessions.kw.get("bind")
    key = id(bind)
    executor = _DB_THREADS.get(key)
    if executor is None:
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        executor = ThreadPoolExecutor(max_workers=1 if sqlite else 8, thread_name_prefix="db")
        _DB_THREADS[key] = executor
        if bind is not None:  # the threads end with their engine (tests make many)
            weakref.finalize(bind, _forget_db_threads, key)
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(executor, functools.partial(func, *args, **kwargs))


def _forget_db_threads(key: int) -> None:
    executor = _DB_THREADS.pop(key, None)
    if executor is not None:
        executor.shutdown(wait=False)


_WRITE_FIRST: dict[str, DriverStatement] = {}


def write_first(session: Session, table: str) -> None:
    """On SQLite, take the write lock before a read-then-update claim.

    A deferred transaction that has read cannot upgrade to writing once another connection
    has committed since its read: SQLite answers SQLITE_BUSY at once, without the busy
    timeout, and the claim fails. A write that matches nothing takes the lock up front (and
    waits for it properly); PostgreSQL needs nothing of the kind (FOR UPDATE SKIP LOCKED).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        statement = _WRITE_FIRST.get(table)
        if statement is None:
            sql = text(f"UPDATE {table} SET id = id WHERE 0")
            statement = _WRITE_FIRST[table] = DriverStatement(lambda _d: sql)
        statement.run(connection, {})


async def nap(
    wake: asyncio.Event, stop: asyncio.Event, idle_s: float, settle_s: float = 0.002
) -> None:
    """Sleeps until woken, stopped or idle_s has passed; once woken, lets settle_s pass so
    that wake-ups arriving together are served by one claim (one transaction, not many)."""
    waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waiters, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    if wake.is_set() and not stop.is_set():
        await asyncio.sleep(settle_s)
