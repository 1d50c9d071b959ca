"""From a platform update to queued replies: the path webhooks and polling loops share.

Receipt and processing are two steps with a row between them. `receive` stores the raw update
(once: redeliveries are recognised by their key) and the webhook answers 200 or the polling
loop confirms its offset only after that commit. `InboxWorker` then runs stored updates
through the router, oldest first within each chat, different chats concurrently; the router
writes the dedupe key, the change and the outbox rows in one transaction. A crash at any
point leaves either the stored update (processed again) or its committed turn (skipped).

Per-update overhead is what limits throughput (the work is CPU-bound under the GIL), so the
path batches where no guarantee depends on it: webhook requests that arrive together share
one commit (each still answered only after it), and a claim's turns go to the database in
groups (on SQLite one transaction per group; see `Router.handle_group`). Database work
runs where `run_db` puts it: on the event loop's thread when this process is alone on a SQLite
file, on threads of the database's own otherwise.

On SQLite, where writes take turns and no other process can claim between our read and our
write, rows are also leased to this process where they are written or freed and passed on in
memory: the webhook's commit leases each chat's next update to the worker (`store_updates`),
a group's transaction marks its updates handled and leases its chats' next updates and next
replies (`InboxWorker._close_group`), and the sender's record of a send leases the chat's next
message. The claims over every open row then run only when woken for them and every `idle_s`
(`Sweep`), for rows no handoff brings (another process's, a retry, a notification). A leased
row a process never finished is claimed by the next one when its lease runs out, as before.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelError, FileTooLarge, Update
from bot.core.router import Router
from bot.messages import Incoming, Reply
from bot.store import delivery
from bot.store.db import writers_queue
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
    return store_updates(sessions, items, now).outcomes


@dataclass
class Stored:
    """What `store_updates` did: each item's outcome, how many new rows it wrote and the
    updates it leased to the caller (see `store_updates`)."""

    outcomes: list[Update | Exception]
    rows: int = 0
    claimed: list[delivery.ClaimedUpdate] = field(default_factory=list)


def store_updates(
    sessions: sessionmaker[Session],
    items: Sequence[tuple[InboundChannel, Mapping[str, Any]]],
    now: datetime,
    lease: timedelta | None = None,
) -> Stored:
    """`receive_many`; with `lease`, also claims, in the same transaction, the oldest waiting
    update of each chat written to (usually the one just stored), so the caller can hand it
    to its worker at once instead of the worker finding it with a claim of its own."""
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
    stored = Stored(outcomes)
    if rows or seen:
        with sessions.begin() as session:
            for name, external_id, at_time in seen:
                delivery.record_interaction(
                    session, channel=name, external_id=external_id, at=at_time
                )
            chats: list[delivery.Chat] = []
            for channel, payload, update in rows:
                assert update.incoming is not None
                if delivery.receive(
                    session,
                    channel=channel.name,
                    update_key=update.dedupe_key,
                    chat_id=update.incoming.chat_id,
                    payload=dict(payload),
                    now=now,
                ):
                    stored.rows += 1
                    chats.append((channel.name, update.incoming.chat_id))
            if lease is not None and chats:
                stored.claimed = delivery.claim_inbox_heads(session, chats, now=now, lease=lease)
    return stored


class Receiver:
    """Stores webhook updates in batches: requests arriving together share one commit.

    Each caller waits for the commit that holds its update (durable before the 200); while
    one batch is being written the next one gathers, so under load a commit serves many
    requests and when idle an update is written at once. On SQLite the batch's transaction
    also leases each chat's next update to this process's worker, which gets it in memory
    (`InboxWorker.accept`) instead of by a claim of its own.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        now: Callable[[], datetime],
        worker: InboxWorker | None = None,
    ) -> None:
        self._sessions = sessions
        self._now = now
        self._worker = worker
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
        worker = self._worker
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                lease = worker.handoff_lease() if worker is not None else None
                try:
                    stored = await run_db(
                        self._sessions,
                        store_updates,
                        self._sessions,
                        [(channel, payload) for channel, payload, _ in batch],
                        self._now(),
                        lease,
                    )
                    outcomes = stored.outcomes
                except Exception as exc:  # the commit failed: every request in it fails
                    stored, outcomes = None, [exc] * len(batch)
                for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                    if not future.done():
                        future.set_result(outcome)
                if worker is not None and stored is not None and stored.rows:
                    worker.accept(stored.claimed)
                    if len(stored.claimed) < stored.rows:  # some wait behind their chat's
                        worker.wake()  # earlier update, or nothing was handed over
        finally:
            self._writer = None


class Deliverer(Protocol):
    """The outbox sender as the inbox worker sees it (bot.outbox.OutboxSender)."""

    lease: timedelta

    def wake(self) -> None: ...

    def accept(self, claimed: Sequence[delivery.Claimed]) -> None: ...

    def has_room(self) -> bool: ...


Job = tuple[int, str, dict[str, Any], int]  # an inbox row: id, channel, payload, attempts


@dataclass
class _Trip:
    """What a group of turns left behind: the positions of updates to retry, whether the
    updates were marked handled in the group's transaction, and the rows it leased there
    for this process (the chats' next updates and next replies)."""

    deferred: set[int] = field(default_factory=set)
    marked: bool = False
    updates: list[delivery.ClaimedUpdate] = field(default_factory=list)
    replies: list[delivery.Claimed] = field(default_factory=list)


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
        # On SQLite a claim's turns share one transaction (Router.handle_group): writes are
        # serialised there anyway, and a commit per turn was a sixth of a turn's CPU.
        # PostgreSQL keeps a transaction per turn, so row locks are held no longer than one.
        self._group_turns = on_sqlite(sessions)
        # Also on SQLite only, where a claim cannot race another process's (writes take
        # turns): rows are leased to this process where they are written or freed (stored,
        # a chat's previous update handled, its previous reply sent) and passed on in memory,
        # and the claims that look at every open row run only when something may be
        # waiting outside that path. PostgreSQL claims with SKIP LOCKED on every wake.
        self._handoff = self._group_turns
        self._ready: list[Job] = []  # leased to us by a handoff, not yet started
        self._claim_wanted = True
        self._in_flight = 0
        self._sender: Deliverer | None = None
        self._handled: list[int] = []  # processed, not yet marked so in the database

    def wake(self) -> None:
        """A new update was stored: claim now instead of at the next idle poll."""
        self._claim_wanted = True
        self._wake.set()

    def accept(self, claimed: Sequence[delivery.ClaimedUpdate]) -> None:
        """Updates already leased to this worker (by `store_updates` or a group's turns)."""
        if claimed:
            self._ready.extend((c.id, c.channel, c.payload, c.attempts) for c in claimed)
            self._wake.set()

    def handoff_lease(self) -> timedelta | None:
        """The lease for updates stored now to be handed straight to this worker, or None
        when they should wait for a claim (PostgreSQL, or no room for more in flight)."""
        if self._handoff and self._in_flight + len(self._ready) < self._batch:
            return self._lease
        return None

    def send_with(self, sender: Deliverer) -> None:
        """After each group of turns, the chats' next replies go to `sender` in memory
        (leased in the turns' transaction); otherwise the sender is woken to claim them."""
        self._sender = sender

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
        jobs = self._take_ready() + await run_db(self._sessions, self._claim, self._batch)
        if not jobs:
            return 0
        done = await self._process_all(jobs)
        finished, self._handled = self._handled, []
        await run_db(self._sessions, self._mark_done, finished)
        return done

    def _take_ready(self) -> list[Job]:
        ready, self._ready = self._ready, []
        return ready

    async def run_forever(self, stop: asyncio.Event, idle_s: float = 0.05) -> None:
        """Runs what is handed over and claims whenever woken for it (or every idle_s),
        while earlier updates are still in flight.

        A leased row is not claimed again and a chat's next update is not claimable before
        its earlier one is done, so overlapping claims keep one update in flight per chat.
        """
        tasks: set[asyncio.Task[int]] = set()
        sweep = Sweep(idle_s)
        while not stop.is_set():
            self._wake.clear()
            jobs = self._take_ready()
            room = self._batch - self._in_flight - len(jobs)
            if self._handled or sweep.due():  # the chats' next updates, or anything no
                self._claim_wanted = True  # handoff brought (another process's, a retry)
            claim = self._claim_wanted and room > 0
            if claim or self._handled:
                self._claim_wanted = self._claim_wanted and not claim  # kept while no room
                finished, self._handled = self._handled, []
                try:
                    claimed = await run_db(
                        self._sessions, self._claim, room if claim else 0, finished
                    )
                except Exception:
                    log.exception("inbox round failed")
                    self._handled.extend(finished)  # marked with the next claim
                    claimed = []
                if claim and len(claimed) >= room:  # more may be waiting
                    self._claim_wanted = True
                jobs += claimed
            if jobs:
                self._in_flight += len(jobs)
                task = asyncio.create_task(self._process_all(jobs))
                tasks.add(task)
                task.add_done_callback(self._finished(tasks, len(jobs)))
            else:
                await nap(self._wake, stop, idle_s)
        await asyncio.gather(*tasks, return_exceptions=True)
        finished, self._handled = self._handled, []
        unstarted = [job[0] for job in self._take_ready()]
        await run_db(self._sessions, self._mark_done, finished, unstarted)

    def _mark_done(self, finished: list[int], unstarted: Sequence[int] = ()) -> None:
        """Records handled updates; gives back those handed over but never started (the
        loop stopped), for the next process instead of after their lease."""
        if finished or unstarted:
            with self._sessions.begin() as session:
                now = self._now()
                delivery.mark_all_received_done(session, finished, now=now)
                for inbox_id in unstarted:
                    delivery.release_inbox(session, inbox_id, retry_at=now)

    def _finished(
        self, tasks: set[asyncio.Task[int]], count: int
    ) -> Callable[[asyncio.Task[int]], None]:
        def done(task: asyncio.Task[int]) -> None:
            tasks.discard(task)
            self._in_flight -= count
            if not self._handoff:  # the chats' next updates are found by a claim
                self._claim_wanted = True
            self._wake.set()  # room for more

        return done

    async def _process_all(self, jobs: list[Job]) -> int:
        """One claim's updates. Those without files run their turns in groups, one trip to
        the database per group (on SQLite one transaction, `Router.handle_group`): a
        trip costs a commit, and where the database has threads of its own a hop, a future
        and a loop wake-up, ~8% of the CPU when made per update. Groups stay small so the
        sender's claims, which wait for the same database, are not held up long. Updates
        with files (downloads first) or that fail to parse go one by one.
        A turn the database refused (locked, disconnected) is tried again later, not lost."""
        quick: list[tuple[int, InboundChannel, Update, int]] = []
        slow: list[Job] = []
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
        answering: list[Awaitable[list[None]]] = []
        done = len(quick)
        for start in range(0, len(quick), TURNS_PER_TRIP):
            group = quick[start : start + TURNS_PER_TRIP]
            trip = await run_db(
                self._sessions,
                self._turns,
                [(inbox_id, update) for inbox_id, _, update, _ in group],
            )
            self._pass_on(trip)  # their replies are committed: send them now
            # The spinners stop while the next group's turns run: waiting for them here held
            # each later group back by an API round trip.
            answers = asyncio.gather(*(self._answer(c, u) for _, c, u, _ in group))
            answering.append(answers)
            for index, (inbox_id, _, _, attempts) in enumerate(group):
                if index in trip.deferred:
                    await self._defer(inbox_id, attempts)
                elif not trip.marked:  # marked handled with the next claim, as in _process
                    self._handled.append(inbox_id)
            done -= len(trip.deferred)
        await asyncio.gather(*answering)
        return done + sum(await pending)

    def _pass_on(self, trip: _Trip) -> None:
        """Replies and next updates a group leased to this process go on in memory. A trip
        that leased nothing (one by one, or PostgreSQL) wakes the sender to claim; after a
        group that did, a reply it could not lease follows its chat's earlier one (leased
        with that one's sent mark) or waits for a sweep."""
        if self._sender is not None:
            if trip.replies:
                self._sender.accept(trip.replies)
            elif not trip.marked:
                self._sender.wake()
        self.accept(trip.updates)

    async def _defer(self, inbox_id: int, attempts: int) -> None:
        """Hands an update back for another try after a back-off. Should even that fail,
        the row is not marked handled: its lease runs out and it is claimed again."""
        retry = self._now() + timedelta(seconds=min(2**attempts, 300))
        try:
            await run_db(self._sessions, self._release, inbox_id, retry)
        except Exception:
            log.warning("update %s: retry not recorded; it returns when its lease ends", inbox_id)

    def _turns(self, group: list[tuple[int, Update]]) -> _Trip:
        """Runs the updates' turns (where `run_db` runs database work). On SQLite as one
        group: the updates are marked handled in its transaction, and with a handoff the
        chats' next updates and next replies are leased there to this process. One by one
        otherwise, or when the group failed; then the trip says which updates the database
        refused."""
        if self._group_turns:
            trip = _Trip(marked=True)
            try:
                self._router.handle_group(
                    [(u.incoming, u.dedupe_key) for _, u in group if u.incoming is not None],
                    before_commit=functools.partial(self._close_group, group, trip),
                )
                return trip
            except Exception:
                log.exception("a group of %d turns failed; running them one by one", len(group))
        trip = _Trip()
        for index, (_, update) in enumerate(group):
            assert update.incoming is not None
            try:
                self._router.handle(update.incoming, update_key=update.dedupe_key, outbox=True)
            except DBAPIError as exc:  # locked, disconnected, full: the update waits its turn
                log.warning("update %s deferred: %s", update.dedupe_key, type(exc.orig).__name__)
                trip.deferred.add(index)
            except Exception:  # a turn that cannot run must not block its chat forever
                log.exception("update %s could not be processed; dropped", update.dedupe_key)
        return trip

    def _close_group(self, group: list[tuple[int, Update]], trip: _Trip, session: Session) -> None:
        """The group's bookkeeping, in its transaction (`Router.handle_group`)."""
        now = self._now()
        delivery.mark_all_received_done(session, [inbox_id for inbox_id, _ in group], now=now)
        chats = [(u.incoming.channel, u.incoming.chat_id) for _, u in group if u.incoming]
        trip.updates = delivery.claim_inbox_heads(session, chats, now=now, lease=self._lease)
        if self._sender is not None and self._sender.has_room():
            trip.replies = delivery.claim_outbox_heads(
                session, chats, now=now, lease=self._sender.lease
            )

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
                self._pass_on(_Trip())  # its replies are committed: send them now
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
            await run_db(
                self._sessions,
                self._router.deliver,
                bare,
                [Reply(self._file_too_large(exc))],
                update_key=update.dedupe_key,
            )
            return
        await run_db(
            self._sessions, self._router.handle, incoming, update_key=update.dedupe_key, outbox=True
        )


def _plain(update: Update) -> bool:
    """A message or button press with nothing to download first."""
    return update.incoming is not None and not update.incoming.attachments


_DB_THREADS: dict[int, ThreadPoolExecutor | None] = {}  # None: the event loop's own thread


async def run_db(
    sessions: sessionmaker[Session], func: Callable[..., T], /, *args: Any, **kwargs: Any
) -> T:
    """Runs blocking database work where it costs least without stalling others.

    A process alone on its SQLite file (the embedded default, `thidua serve` with one
    worker): on the event loop's thread. Its calls take microseconds and a WAL commit does
    not wait for the disk, so a hop to a thread cost more than most of the work it carried
    (a future, a wake-up of the loop, the GIL passed back and forth: about a tenth of the
    CPU per update, bench/channels.py), and work on one thread cannot meet our own other
    connection holding the write lock. The loop gets its turn after each call.

    SQLite shared by worker processes: one thread per database, since a transaction may wait
    for another process's turn (`QueuedConnection`), which must not hold the loop; one
    thread, as SQLite's busy handler sleeps with growing back-off where the executor's
    queue serves in order. PostgreSQL: a pool of threads, as row locks let its transactions
    run side by side while each waits on the network.
    """
    bind = sessions.kw.get("bind")
    key = id(bind)
    if key not in _DB_THREADS:
        _DB_THREADS[key] = _executor_for(sessions)
        if bind is not None:  # the threads end with their engine (tests make many)
            weakref.finalize(bind, _forget_db_threads, key)
    executor = _DB_THREADS[key]
    if executor is None:
        result = func(*args, **kwargs)
        await asyncio.sleep(0)
        return result
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, functools.partial(func, *args, **kwargs))


def _executor_for(sessions: sessionmaker[Session]) -> ThreadPoolExecutor | None:
    bind = sessions.kw.get("bind")
    if not on_sqlite(sessions):
        return ThreadPoolExecutor(max_workers=8, thread_name_prefix="db")
    if isinstance(bind, Engine) and writers_queue(bind):
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="db")
    return None


def on_sqlite(sessions: sessionmaker[Session]) -> bool:
    """Whether the sessions' engine is SQLite: one writer at a time, whatever we do."""
    bind = sessions.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"


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


class Sweep:
    """Says when a loop that is mostly fed by handoffs should claim anyway: every
    `every_s`, however busy, so rows outside the handoff path are never starved by it."""

    def __init__(self, every_s: float) -> None:
        self._every_s = every_s
        self._next = 0.0

    def due(self) -> bool:
        now = asyncio.get_running_loop().time()
        if now < self._next:
            return False
        self._next = now + self._every_s
        return True


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
