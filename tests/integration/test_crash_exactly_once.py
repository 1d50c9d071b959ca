"""A process killed (SIGKILL) in the middle of sending, then restarted: nothing is lost.

The worker and the sender run in a subprocess (tests/integration/crash_child.py) against a
SQLite file; the fake Telegram API runs in a thread of this process and answers every call
after a delay, so many sends are in flight when the process dies.

What can be promised, honestly: zero lost, and at most one duplicate per message whose send
was unrecorded when the process died. The fake, like Telegram, accepts a message when its
request arrives and carries on after the client is gone; our commit of 'sent' comes after
the answer. A message whose request reached the platform but whose 'sent' was not committed
is, after the lease, sent again: Telegram offers no idempotency key and no way to ask
whether a message went out, so that window (one round trip per message in flight) cannot
be closed from our side. Each such message is a row still 'sending' in the database after
the kill, so duplicates ≤ rows 'sending' at the kill ≤ messages in flight. Every other
message is delivered exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.delivery.receiving import store_update
from bot.store import inbox, reply_json
from bot.store.outbox import OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World, build_world
from tests.integration import crash_child

ROOT = Path(__file__).resolve().parents[2]
CHATS = 30
DELAY_S = 0.4  # every API call waits this long: sends pile up in flight
KILL_AFTER = 8  # delivered messages before the kill


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Bounded wait for progress; fails instead of hanging."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    yield built
    built.engine.dispose()


def start_child(
    world: World, tmp_path: Path, api_url: str, mode: str = "expiry"
) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            crash_child.__name__,
            str(world.engine.url),
            api_url,
            str(tmp_path / "files"),
            mode,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "child.log").open("a"),
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def rows(world: World) -> list[OutboxMessage]:
    with world.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_sigkill_mid_send_loses_nothing_and_duplicates_at_most_the_in_flight(
    world: World, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    parser = TelegramChannel(make_bot(crash_child.TOKEN), bot_username="ThiDuaTestBot")
    chats = [6_100_000_000 + n for n in range(CHATS)]
    update_ids = iter(range(700_000_001, 800_000_000))
    for chat in chats:  # two updates per chat, already received: replies queue in order
        for text in ("/help", "/start"):
            update = message_update(chat, text, update_id=next(update_ids))
            store_update(world.sessions, parser, update, world.clock())

    fake = FakeTelegram(token=crash_child.TOKEN, bot_username="ThiDuaTestBot", delay_s=DELAY_S)
    with fake.running_in_thread():
        child = start_child(world, tmp_path, fake.url)
        try:
            wait_for(lambda: len(fake.delivered()) >= KILL_AFTER, "the first deliveries")
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        assert child.returncode == -signal.SIGKILL
        at_kill = rows(world)
        sending = [row for row in at_kill if row.status == "sending"]
        unsent_at_kill = [row for row in at_kill if row.status != "sent"]
        assert sending, "the kill must land while sends are in flight"
        assert unsent_at_kill, "messages must remain for the restarted process"

        child = start_child(world, tmp_path, fake.url)
        try:
            total_inbox = 2 * CHATS

            def all_sent() -> bool:
                current = rows(world)
                with world.sessions() as session:
                    waiting = session.scalars(
                        select(inbox.InboxUpdate).where(inbox.InboxUpdate.processed_at.is_(None))
                    ).all()
                return not waiting and bool(current) and all(r.status == "sent" for r in current)

            wait_for(all_sent, "every queued reply to be sent")
            wait_for(
                lambda: all(call.status for call in fake.calls_to("sendMessage")),
                "the fake to answer every call",
            )
        finally:
            child.kill()
            child.wait(10)

    final = rows(world)
    with world.sessions() as session:
        handled = session.scalars(select(inbox.ProcessedUpdate.update_key)).all()
    assert len(handled) == total_inbox  # every update turned once into replies
    delivered = Counter((d.chat_id, d.text) for d in fake.delivered() if d.method == "sendmessage")
    expected = Counter(
        (row.chat_id, reply_json.reply_from_json(row.payload).text.strip()) for row in final
    )
    lost = expected - delivered
    duplicates = sum((delivered - expected).values())
    record_property("duplicates", duplicates)
    record_property("in_flight_at_kill", len(sending))
    print(
        f"\ncrash test: {len(final)} replies, {len(sending)} in flight at the kill, "
        f"{duplicates} duplicated, {sum(lost.values())} lost"
    )
    assert not lost, f"lost: {lost}"
    assert set(delivered) == set(expected)  # nothing that was never queued
    assert duplicates <= len(sending)
    # Order within each chat: the first delivery of each reply follows the queue order.
    for chat in {row.chat_id for row in final}:
        queued = [
            reply_json.reply_from_json(r.payload).text.strip() for r in final if r.chat_id == chat
        ]
        seen: list[str] = []
        for d in fake.delivered(chat):
            if d.text not in seen:
                seen.append(d.text)
        assert seen == list(dict.fromkeys(queued))


def leased(world: World) -> dict[tuple[str, int], tuple[str, datetime]]:
    """Every inbox and outbox row whose lease runs, with its owner and the lease's end."""
    found: dict[tuple[str, int], tuple[str, datetime]] = {}
    with world.sessions() as session:
        for table in (inbox.InboxUpdate, OutboxMessage):
            held = table.lease_owner.is_not(None) & table.lease_until.is_not(None)
            for row in session.scalars(select(table).where(held)):
                assert row.lease_until is not None
                found[(table.__tablename__, row.id)] = (str(row.lease_owner), row.lease_until)
    return found


def test_a_lone_process_restarted_after_sigkill_takes_back_its_dead_leases_at_once(
    world: World, tmp_path: Path
) -> None:
    """`thidua run` (or a one-process `thidua serve`) killed mid-burst with leases of an hour:
    the restarted process frees the dead run's leases before its loops start, so the rows
    the dead one held go out long before their leases would have ended; nothing is lost,
    duplicates stay within what was in flight, and each chat's order holds."""
    parser = TelegramChannel(make_bot(crash_child.TOKEN), bot_username="ThiDuaTestBot")
    update_ids = iter(range(800_000_001, 900_000_000))
    for chat in (6_200_000_000 + n for n in range(CHATS)):
        for text in ("/help", "/start"):
            update = message_update(chat, text, update_id=next(update_ids))
            store_update(world.sessions, parser, update, world.clock())

    fake = FakeTelegram(token=crash_child.TOKEN, bot_username="ThiDuaTestBot", delay_s=DELAY_S)
    with fake.running_in_thread():
        child = start_child(world, tmp_path, fake.url, mode="alone")
        try:
            wait_for(lambda: len(fake.delivered()) >= KILL_AFTER, "the first deliveries")
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)
        held = leased(world)
        dead_owners = {owner for owner, _until in held.values()}
        sending = [key for key in held if key[0] == "outbox"]
        assert sending, "the kill must land while sends are in flight"
        assert all(f":{child.pid}:" in owner for owner in dead_owners)  # the dead process's
        killed_at = datetime.now(UTC)
        assert all(until > killed_at + timedelta(minutes=50) for _o, until in held.values())

        child = start_child(world, tmp_path, fake.url, mode="alone")
        try:
            # "ready" comes after the reclaim and before the loops' first claim: none of the
            # dead run's leases is left, whatever the new loops have claimed since.
            assert not dead_owners & {owner for owner, _until in leased(world).values()}

            def all_sent() -> bool:
                with world.sessions() as session:
                    waiting = session.scalars(
                        select(inbox.InboxUpdate).where(inbox.InboxUpdate.processed_at.is_(None))
                    ).all()
                current = rows(world)
                return not waiting and bool(current) and all(r.status == "sent" for r in current)

            wait_for(all_sent, "every queued reply to be sent")
            wait_for(
                lambda: all(call.status for call in fake.calls_to("sendMessage")),
                "the fake to answer every call",
            )
        finally:
            child.kill()
            child.wait(10)
    # Every row the dead process held went out while its lease still had most of an hour.
    finished = datetime.now(UTC)
    assert all(finished < until for _owner, until in held.values())
    final = rows(world)
    delivered = Counter((d.chat_id, d.text) for d in fake.delivered() if d.method == "sendmessage")
    expected = Counter(
        (row.chat_id, reply_json.reply_from_json(row.payload).text.strip()) for row in final
    )
    assert not expected - delivered, "lost replies"
    assert set(delivered) == set(expected)
    assert sum((delivered - expected).values()) <= len(sending)
    for chat in {row.chat_id for row in final}:
        queued = [
            reply_json.reply_from_json(r.payload).text.strip() for r in final if r.chat_id == chat
        ]
        seen: list[str] = []
        for d in fake.delivered(chat):
            if d.text not in seen:
                seen.append(d.text)
        assert seen == list(dict.fromkeys(queued))
