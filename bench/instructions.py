"""Instructions per message on two hot paths, counted by valgrind: a yardstick the machine's
drift in speed does not bend.

This machine's speed moves by a third within minutes, so time and CPU figures compare only
between runs made side by side. Instruction counts (callgrind) repeat to a fraction of a percent
whatever else runs. Each path runs in a child process under valgrind at two sizes; the
difference, divided by the messages between them, is the cost of one message without start-up
(imports, migrations, seeding). PYTHONHASHSEED is fixed so that dict orders repeat.

* turns: the registration script (bench/flows.py, 12 steps) of N chats, round-robin, each step
  one `Turns.run` (bot.delivery.turns) with its update's dedupe key and its replies queued in
  the outbox: one transaction per turn, as the inbox worker runs it, on a SQLite file. The
  claims and the sending around it are not counted.
* webhook: a Telegram update POSTed to the FastAPI app (`create_app`, raw ASGI calls, no
  sockets) at `POST /webhooks/telegram`, its secret checked, stored in the inbox in its own
  transaction and answered 200; the app's loops are not started, so nothing else runs.

Under valgrind Python runs ~50 times slower: at the default sizes several minutes on two cores.
Read differences of a percent or two between versions as none. Last line: one JSON object.

    python bench/instructions.py [--small 16] [--large 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STEPS = 12  # the registration part of bench/flows.SCRIPT
PATHS = ("turns", "webhook")
SECRET = "bench-secret"


def run_turns(units: int) -> None:
    """The registration steps of `units` chats, round-robin (bench/flows.py's way), each
    through the unit of work with a dedupe key and outbox replies."""
    sys.path.insert(0, str(ROOT / "bench"))
    import flows  # bench/flows.py

    from bot.store.db import make_engine, migrate, session_factory

    tmp = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    engine = make_engine(f"sqlite:///{tmp / 'turns.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    users = flows.seed(sessions, units)
    turns = flows.make_turns(sessions, tmp / "files")
    last: dict[str, list[Any]] = {user: [] for user in users}
    keys = iter(range(1, 10**9))
    for kind, text in flows.SCRIPT[:STEPS]:
        for user in users:
            message = flows.step_message(user, kind, text, last[user])
            replies = turns.run(message, update_key=f"bench:{next(keys)}", outbox_replies=True)
            flows.check_turn("turns", message, replies)
            last[user] = replies
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def run_webhook(count: int) -> None:
    """`count` updates POSTed one after another, each answered 200 after its commit."""
    asyncio.run(_webhook(count))


async def _webhook(count: int) -> None:
    from bot.channels.refusals import file_too_large_text
    from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
    from bot.core.router import Router
    from bot.delivery.sender import OutboxSender
    from bot.delivery.services import Services
    from bot.delivery.turns import Turns
    from bot.delivery.worker import InboxWorker
    from bot.store.db import make_engine, migrate, session_factory
    from bot.web.app import create_app
    from tests.fakes.telegram_updates import message_update

    sys.path.insert(0, str(ROOT / "bench"))
    import flows  # bench/flows.py

    tmp = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    engine = make_engine(f"sqlite:///{tmp / 'webhook.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    channel = TelegramChannel(
        make_bot("7012345678:AAH-bench-instructions", base_url="http://127.0.0.1:9"),
        bot_username="ThiDuaBenchBot",
        webhook_secret=SECRET,
    )
    channels = {"telegram": channel}

    def now() -> datetime:
        return flows.NOW

    services = Services(  # receipt only: the worker and the sender never run
        sessions=sessions,
        channels=channels,
        worker=InboxWorker(
            Turns(sessions, Router(flows.StubQA()), now),
            channels,
            file_too_large=file_too_large_text,
        ),
        sender=OutboxSender(sessions, channels, now=now),
        now=now,
        background=False,
    )
    app = create_app(services)
    header = SECRET_HEADER.lower().encode()
    statuses: list[int] = []
    for n in range(count):
        body = json.dumps(message_update(7000 + n % 50, f"xin chào {n}", update_id=1000 + n))
        await _post(app, body.encode(), [(header, SECRET.encode())], statuses)
    if set(statuses) != {200}:
        raise AssertionError(f"webhook answered {sorted(set(statuses))}")
    await services.close()
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


async def _post(
    app: Any, body: bytes, headers: list[tuple[bytes, bytes]], statuses: list[int]
) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/telegram",
        "raw_path": b"/webhooks/telegram",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is written
        raise AssertionError("unreachable")

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(str(message["status"])))

    await app(scope, receive, send)


def instructions(path: str, size: int) -> int:
    """The child's instruction count under callgrind."""
    with tempfile.TemporaryDirectory(prefix="bench-instr-cg-") as tmp:
        argv = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            sys.executable,
            __file__,
            "child",
            path,
            str(size),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{path}/{size} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/instructions.py")
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("child", help="run one path at one size, without valgrind")
    child.add_argument("path", choices=PATHS)
    child.add_argument("size", type=int)
    parser.add_argument("--small", type=int, default=16, help="chats (turns) or 10x updates")
    parser.add_argument("--large", type=int, default=48)
    args = parser.parse_args()
    if args.command == "child":
        if args.path == "turns":
            run_turns(args.size)
        else:
            run_webhook(args.size)
        return
    if args.large <= args.small:
        parser.error("--large must be more than --small")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        print(json.dumps({"skipped": "valgrind missing"}))
        return
    sizes = {  # path -> (small, large, messages between them)
        "turns": (args.small, args.large, (args.large - args.small) * STEPS),
        "webhook": (10 * args.small, 10 * args.large, 10 * (args.large - args.small)),
    }
    jobs = [(path, size) for path in PATHS for size in sizes[path][:2]]
    print(f"{len(jobs)} runs under valgrind, two at a time …", flush=True)
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 2)) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: instructions(*job), jobs), strict=True))
    summary: dict[str, object] = {}
    print(f"\n{'path':9s}{'instructions per message':>26s}")
    for path in PATHS:
        small, large, messages = sizes[path]
        per = (counts[(path, large)] - counts[(path, small)]) / messages
        summary[f"{path}_instructions_per_message"] = round(per)
        print(f"{path:9s}{per:>26,.0f}")
    summary["turns_small_chats"] = args.small
    summary["turns_large_chats"] = args.large
    summary["python_hash_seed"] = 0
    print()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
