"""Restarts after kill -9: replies lost, duplicated, out of order, and the silence after.

Each trial stores a burst of updates (two per chat, each answered with one reply), starts the
inbox worker and the outbox sender in a process of their own
(tests/integration/crash_child.py) against a fresh SQLite file and the fake Bot API
(tests/fakes/telegram_api.py, in a thread of this process, answering every call after
`--delay-ms`, so sends are in flight), kills it with SIGKILL once `--kill-after` replies have
been delivered, and starts it again at once. Then it waits until every update is answered
and every reply sent, and compares what the fake received with the outbox:

* lost: replies queued but never delivered; duplicated: deliveries beyond one per reply (a
  send the platform had accepted when the process died, before its 'sent' was recorded);
  out of order: replies first delivered before a reply queued earlier in their chat;
* silence: for the chats whose update or reply the killed process held, from the restart
  (the new process spawned) until every one of them got its next message, and the same from
  the new process's "ready" line (its start-up and imports excluded); the other chats' rows
  were free and go out with the first claim (`first_send_s`);
* in flight: replies 'sending' at the kill (the bound on duplicates).

Modes: `alone` (the default) starts the loops as `thidua run` and a one-process `thidua serve`
do, taking back at start the leases a dead run left, with the default lease (20 s);
`expiry` starts them without that, as a worker among others, whose dead peer's rows come free
when their leases end: with `--lease-s 60` that is the behaviour before leases had owners.

    python bench/restart.py [--trials 4] [--chats 100] [--delay-ms 50] [--kill-after 40]
                            [--mode alone|expiry] [--lease-s 20] [--limits telegram|raised]

The sender keeps Telegram's rate limits by default (30 messages/s): how many sends are in
flight at the kill, and so how many can be duplicated, follows from the rate times the API's
delay. `--limits raised` lifts them, as the crash tests do, for a worst case.

Prints a line per trial and a summary; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.channels.telegram import TelegramChannel, make_bot  # noqa: E402
from bot.delivery.receiving import store_update  # noqa: E402
from bot.store import inbox, reply_json  # noqa: E402
from bot.store.outbox import OutboxMessage  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402
from tests.fakes.telegram_updates import message_update  # noqa: E402
from tests.forms.conftest import World, build_world  # noqa: E402
from tests.integration import crash_child  # noqa: E402

CHAT_BASE = 6_300_000_000


@dataclass
class Trial:
    replies: int
    in_flight_at_kill: int
    lost: int
    duplicated: int
    out_of_order: int
    held_chats: int  # chats with an update or a reply in the dead process's hands
    silence_after_restart_s: float  # spawn -> the last of the held chats' first new send
    silence_after_ready_s: float  # the same from the new process's "ready" line
    first_send_s: float  # spawn -> the new process's first send to any chat
    total_s: float  # spawn -> every reply sent


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.005)


def spawn(world: World, folder: Path, api_url: str, args: argparse.Namespace) -> Any:
    lease = str(args.lease_s) if args.lease_s else ""
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            crash_child.__name__,
            str(world.engine.url),
            api_url,
            str(folder / "files"),
            args.mode,
            lease,
            args.limits,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(folder / "child.log").open("a"),
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise SystemExit(f"the child did not start; see {folder / 'child.log'}")
    return child


def all_done(world: World) -> bool:
    with world.sessions() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(inbox.InboxUpdate)
            .where(inbox.InboxUpdate.processed_at.is_(None))
        )
        unsent = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        )
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    return waiting == 0 and unsent == 0 and bool(queued)


def held_chats(world: World) -> set[str]:
    """The chats whose update or reply the killed process held (leased, not finished)."""
    with world.sessions() as session:
        replies = select(OutboxMessage.chat_id).where(OutboxMessage.status == "sending")
        updates = select(inbox.InboxUpdate.chat_id).where(
            inbox.InboxUpdate.processed_at.is_(None), inbox.InboxUpdate.lease_owner.is_not(None)
        )
        return {*session.scalars(replies), *session.scalars(updates)}


def out_of_order(queued: list[str], delivered: list[str]) -> int:
    """Replies first delivered before one queued earlier in the same chat."""
    first: list[str] = []
    for text in delivered:
        if text not in first:
            first.append(text)
    rank = {text: n for n, text in enumerate(queued)}
    late = 0
    for n, text in enumerate(first):
        if any(rank.get(later, -1) < rank.get(text, -1) for later in first[n + 1 :]):
            late += 1
    return late


def trial(args: argparse.Namespace) -> Trial:
    with tempfile.TemporaryDirectory(prefix="restart-") as tmp:
        folder = Path(tmp)
        world = build_world(f"sqlite:///{folder / 'thidua.db'}", folder / "files")
        parser = TelegramChannel(make_bot(crash_child.TOKEN), bot_username="ThiDuaTestBot")
        update_ids = iter(range(900_000_001, 999_000_000))
        for chat in range(CHAT_BASE, CHAT_BASE + args.chats):
            for text in ("/help", "/start"):
                update = message_update(chat, text, update_id=next(update_ids))
                store_update(world.sessions, parser, update, world.clock())
        fake = FakeTelegram(
            token=crash_child.TOKEN, bot_username="ThiDuaTestBot", delay_s=args.delay_ms / 1000
        )
        with fake.running_in_thread():
            child = spawn(world, folder, fake.url, args)
            try:
                wait_for(lambda: len(fake.delivered()) >= args.kill_after, "deliveries", 120)
                os.kill(child.pid, signal.SIGKILL)
                child.wait(10)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait(10)
            held = held_chats(world)
            with world.sessions() as session:
                in_flight = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "sending")
                )
            spawned = time.monotonic()
            child = spawn(world, folder, fake.url, args)
            ready = time.monotonic()
            try:
                wait_for(lambda: all_done(world), "every reply", 600)
                finished = time.monotonic()
                wait_for(
                    lambda: all(call.status for call in fake.calls_to("sendMessage")),
                    "the fake's answers",
                    60,
                )
            finally:
                child.kill()
                child.wait(10)
        firsts: dict[str, float] = {}
        for call in fake.calls_to("sendMessage"):
            if call.at >= spawned:
                firsts.setdefault(str(call.params.get("chat_id")), call.at)
        first_send = min(firsts.values(), default=finished)
        resumed = max((firsts.get(chat, finished) for chat in held), default=first_send)
        with world.sessions() as session:
            final = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        world.engine.dispose()
    texts = {row.id: reply_json.reply_from_json(row.payload).text.strip() for row in final}
    expected = Counter((row.chat_id, texts[row.id]) for row in final)
    delivered = Counter((d.chat_id, d.text) for d in fake.delivered() if d.method == "sendmessage")
    late = sum(
        out_of_order(
            [texts[row.id] for row in final if row.chat_id == chat],
            [d.text for d in fake.delivered(chat)],
        )
        for chat in {row.chat_id for row in final}
    )
    return Trial(
        replies=len(final),
        in_flight_at_kill=int(in_flight or 0),
        lost=sum((expected - delivered).values()),
        duplicated=sum((delivered - expected).values()),
        out_of_order=late,
        held_chats=len(held),
        silence_after_restart_s=round(resumed - spawned, 3),
        silence_after_ready_s=round(max(resumed - ready, 0.0), 3),
        first_send_s=round(first_send - spawned, 3),
        total_s=round(finished - spawned, 3),
    )


def main() -> None:
    cli = argparse.ArgumentParser(prog="python bench/restart.py")
    cli.add_argument("--trials", type=int, default=4)
    cli.add_argument("--chats", type=int, default=100, help="two updates, two replies each")
    cli.add_argument("--delay-ms", type=float, default=50.0, help="the fake's answer delay")
    cli.add_argument("--kill-after", type=int, default=40, help="deliveries before the kill")
    cli.add_argument("--mode", choices=("alone", "expiry"), default="alone")
    cli.add_argument(
        "--limits",
        choices=("telegram", "raised"),
        default="telegram",
        help="the sender's rate limits: Telegram's (30/s) or raised (more sends in flight)",
    )
    cli.add_argument(
        "--lease-s", type=float, default=20.0, help="the loops' lease (default: 20, the setting's)"
    )
    args = cli.parse_args()
    # The fake logs each request whose client the kill cut off; that is the point, not news.
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    trials: list[Trial] = []
    header = (
        "trial replies in_flight lost dup out_of_order held_chats silence_s (after ready)"
        " first_send_s total_s"
    )
    print(
        f"mode {args.mode}, lease {args.lease_s:g} s, {args.limits} limits, {args.chats} chats,"
        f" API delay {args.delay_ms:g} ms"
    )
    print(header)
    for number in range(1, args.trials + 1):
        result = trial(args)
        trials.append(result)
        print(
            f"{number:>5} {result.replies:>7} {result.in_flight_at_kill:>9} {result.lost:>4} "
            f"{result.duplicated:>3} {result.out_of_order:>12} {result.held_chats:>10} "
            f"{result.silence_after_restart_s:>9.2f} ({result.silence_after_ready_s:>5.2f})"
            f" {result.first_send_s:>12.2f} {result.total_s:>7.2f}",
            flush=True,
        )
    replies = sum(t.replies for t in trials)
    duplicated = sum(t.duplicated for t in trials)
    silences = [t.silence_after_restart_s for t in trials]
    summary: dict[str, Any] = {
        "bench": "restart",
        "mode": args.mode,
        "lease_s": args.lease_s,
        "limits": args.limits,
        "trials": len(trials),
        "chats": args.chats,
        "delay_ms": args.delay_ms,
        "replies": replies,
        "lost": sum(t.lost for t in trials),
        "duplicated": duplicated,
        "duplicated_pct": round(100 * duplicated / replies, 2) if replies else 0.0,
        "out_of_order": sum(t.out_of_order for t in trials),
        "in_flight_at_kill": sum(t.in_flight_at_kill for t in trials),
        "silence_after_restart_s_max": max(silences, default=0.0),
        "silence_after_restart_s_median": sorted(silences)[len(silences) // 2] if silences else 0,
        "silence_after_ready_s_max": max((t.silence_after_ready_s for t in trials), default=0.0),
        "per_trial": [asdict(t) for t in trials],
    }
    print(
        f"\n{replies} replies in {len(trials)} trials: {summary['lost']} lost, {duplicated} "
        f"duplicated ({summary['duplicated_pct']} %), {summary['out_of_order']} out of order; "
        f"silence after restart ≤ {summary['silence_after_restart_s_max']:.2f} s"
    )
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
