"""Instructions per message on two hot paths, counted by valgrind: a yardstick the machine's
drift in speed does not bend.

This machine's speed moves by a third within minutes, so time and CPU figures compare only
between runs made side by side. Instruction counts (callgrind) repeat to a fraction of a percent
whatever else runs. Each path runs in a child process under valgrind at two sizes; the
difference, divided by the messages between them, is the cost of one message without start-up
(imports, migrations, seeding). PYTHONHASHSEED is fixed so that dict orders repeat.

* turns: the registration script (bench/flows.py, 12 steps) through the core Router, on a
  SQLite file. `grouped`: 16 chats' turns per `Router.handle_group` call, one transaction, as
  the inbox worker runs them on SQLite; baseline `single`: `Router.handle` per update, a
  transaction each.
* webhook: a Telegram update POSTed to the app (raw ASGI calls, no sockets), stored and
  answered 200: `fast` through `bot.web.app.WebhooksFirst`, baseline `fastapi` through the
  FastAPI app inside it (its middleware and router).

Under valgrind Python runs ~50 times slower: about ten minutes on two cores. Measured here:
grouped turns 1.79 M instructions per update against 2.23 M one by one (0.81), and 1.53 M once
a group ran without savepoints (Router.handle_group, measured alone); a webhook 0.98 M
through WebhooksFirst against 1.14 M through FastAPI (0.86). Repeated runs of one version agree
within 2 % (a webhook: 955 k and 971 k), so read smaller differences as none.
Last line: one JSON object.

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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GROUP = 16  # turns per group, as bot.gateway.TURNS_PER_TRIP
STEPS = 12  # the registration part of bench/flows.SCRIPT
PATHS = {  # path -> (variant, baseline variant)
    "turns": ("grouped", "single"),
    "webhook": ("fast", "fastapi"),
}


def run_turns(units: int, variant: str) -> None:
    """The registration steps of `units` chats, round-robin (bench/flows.py's way)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import flows  # bench/flows.py

    from bot.core.router import Router
    from bot.store.db import make_engine, migrate, session_factory
    from bot.store.files import FileStore

    tmp = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    engine = make_engine(f"sqlite:///{tmp / 'turns.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    users = flows.seed(sessions, units)
    router = Router(
        flows.StubQA(), sessions=sessions, now=lambda: flows.NOW, files=FileStore(tmp / "files")
    )
    last: dict[str, list[Any]] = {user: [] for user in users}
    keys = iter(range(1, 10**9))
    for kind, text in flows.SCRIPT[:STEPS]:
        batch = [
            (flows.step_message(user, kind, text, last[user]), f"console:{next(keys)}")
            for user in users
        ]
        if variant == "grouped":
            replies = []
            for start in range(0, len(batch), GROUP):
                replies += router.handle_group(batch[start : start + GROUP])
        else:
            replies = [router.handle(m, update_key=k, outbox=True) for m, k in batch]
        for (message, _), got in zip(batch, replies, strict=True):
            flows.check_turn(variant, message, got)
            last[message.chat_id] = got
    engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)


def run_webhook(count: int, variant: str) -> None:
    """`count` updates POSTed one after another, each answered 200 after its commit."""
    asyncio.run(_webhook(count, variant))


async def _webhook(count: int, variant: str) -> None:
    from bot.channels.telegram import TelegramChannel, make_bot
    from bot.web.app import TELEGRAM_SECRET_HEADER, create_app
    from tests.fakes.telegram_updates import message_update
    from tests.forms.conftest import build_world
    from tests.integration.services import web_services

    tmp = Path(tempfile.mkdtemp(prefix="bench-instr-"))
    world = build_world(f"sqlite:///{tmp / 'webhook.db'}", tmp / "files")
    channel = TelegramChannel(
        make_bot("7012345678:AAH-bench-instructions", base_url="http://127.0.0.1:9"),
        bot_username="ThiDuaBenchBot",
    )
    secret = "bench-secret"
    services = web_services(  # receipt only: no worker, no sender
        world, {"telegram": channel}, secrets={"telegram": secret}, background=False
    )
    served = create_app(services)
    app = served if variant == "fast" else served.app
    header = TELEGRAM_SECRET_HEADER.lower().encode()
    statuses: list[int] = []
    for n in range(count):
        body = json.dumps(message_update(7000 + n % 50, f"xin chào {n}", update_id=1000 + n))
        await _post(app, body.encode(), [(header, secret.encode())], statuses)
    if set(statuses) != {200}:
        raise AssertionError(f"webhook answered {sorted(set(statuses))}")
    await channel.close()
    world.engine.dispose()
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


def instructions(path: str, variant: str, size: int) -> int:
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
            variant,
            str(size),
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{path}/{variant}/{size} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python bench/instructions.py")
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("child")
    child.add_argument("path", choices=sorted(PATHS))
    child.add_argument("variant")
    child.add_argument("size", type=int)
    parser.add_argument("--small", type=int, default=16, help="chats (turns) or 10x updates")
    parser.add_argument("--large", type=int, default=48)
    args = parser.parse_args()
    if args.command == "child":
        if args.path == "turns":
            run_turns(args.size, args.variant)
        else:
            run_webhook(args.size, args.variant)
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        print(json.dumps({"skipped": "valgrind missing"}))
        return
    sizes = {  # path -> (small, large, messages between them)
        "turns": (args.small, args.large, (args.large - args.small) * STEPS),
        "webhook": (10 * args.small, 10 * args.large, 10 * (args.large - args.small)),
    }
    jobs = [
        (path, variant, size)
        for path, variants in PATHS.items()
        for variant in variants
        for size in sizes[path][:2]
    ]
    print(f"{len(jobs)} runs under valgrind, two at a time …", flush=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: instructions(*job), jobs), strict=True))
    summary: dict[str, object] = {}
    print(f"\n{'path':9s}{'variant':10s}{'instructions per message':>26s}")
    for path, (variant, baseline) in PATHS.items():
        small, large, messages = sizes[path]
        per: dict[str, float] = {}
        for name in (variant, baseline):
            per[name] = (counts[(path, name, large)] - counts[(path, name, small)]) / messages
            summary[f"{path}_{name}_instructions_per_message"] = round(per[name])
            print(f"{path:9s}{name:10s}{per[name]:>26,.0f}")
        summary[f"{path}_{variant}_vs_{baseline}"] = round(per[variant] / per[baseline], 3)
    summary["python_hash_seed"] = 0
    print()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
