"""Reminder fan-out: 5,000 reminders through a fake Telegram that enforces 30 messages/s.

* ours: one reminder pass (bot.reminders.loop.ReminderScheduler over a fresh SQLite file with N
  units, each with a linked unit head, on the morning of the registration deadline) queues N
  reminders in the outbox; the real OutboxSender and TelegramChannel (PTB Bot, `make_bot`)
  deliver them with the default rate limits (`RateLimits.max_per_second`: at most 30
  messages in any sliding second per bot).
* baseline, in the same process: the usual way to broadcast with python-telegram-bot — an
  `ExtBot` with PTB's `AIORateLimiter` (30/s overall, its defaults) and every send started at
  once with asyncio.gather; nothing durable, nothing retried after a 429.

The fake (tests/fakes/telegram_api.py, in a process of its own so that its timing is not bent
by the sender's, read through its control routes) answers 429 with retry_after=1
to any send beyond 30 in a sliding second, as Telegram's flood control does. Reported: the
rate achieved (overall and the slowest full 10-second window: "sustained"), 429s, duplicates
and messages lost, the time of the reminder pass. Last line: one JSON object.

    python bench/fanout.py [--reminders 5000] [--limit-per-s 30] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bot.channels.telegram import TelegramChannel, make_bot  # noqa: E402
from bot.delivery.sender import OutboxSender  # noqa: E402
from bot.store.db import make_engine, migrate, session_factory  # noqa: E402
from bot.store.models import (  # noqa: E402
    ChannelIdentity,
    Movement,
    Person,
    PersonRole,
    Unit,
)
from bot.store.outbox import OutboxMessage  # noqa: E402

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
TOKEN = "7012345678:AAH-fanout-SECRET-token"
DEADLINE = date(2026, 3, 31)  # a Tuesday: no weekly summary that morning
CHAT_BASE = 700_000
WINDOW_S = 10.0


def seed(sessions: Any, count: int) -> None:
    """N units with one linked unit head each, and a movement whose registration is due."""
    linked = datetime(2026, 1, 5, tzinfo=HCM)
    with sessions.begin() as session:
        session.add(
            Movement(
                code="PT2026",
                title="Thi đua thực hiện thắng lợi nhiệm vụ năm 2026",
                year=2026,
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
                registration_deadline=DEADLINE,
            )
        )
        session.execute(
            insert(Unit),
            [
                {"id": i, "code": f"DV{i:05d}", "name": f"Đơn vị số {i}"}
                for i in range(1, count + 1)
            ],
        )
        session.execute(
            insert(Person),
            [
                {"id": i, "full_name": f"Thủ trưởng {i}", "unit_id": i, "phone": ""}
                for i in range(1, count + 1)
            ],
        )
        session.execute(
            insert(PersonRole), [{"person_id": i, "role": "unit_head"} for i in range(1, count + 1)]
        )
        session.execute(
            insert(ChannelIdentity),
            [
                {
                    "channel": "telegram",
                    "external_id": str(CHAT_BASE + i),
                    "person_id": i,
                    "linked_at": linked,
                }
                for i in range(1, count + 1)
            ],
        )


def reminder_scheduler(sessions: Any, moment: datetime) -> Any:
    """The reminder loop with the default calendar and routing, fixed at `moment`."""
    from bot.reminders.calendar import WorkCalendar
    from bot.reminders.chase import Chaser
    from bot.reminders.loop import ReminderScheduler
    from bot.reminders.reach import RoutingPolicy, route_by

    chaser = Chaser(WorkCalendar(), route_by(RoutingPolicy()))
    return ReminderScheduler(sessions, chaser, now=lambda: moment)


def rates(arrivals: list[float]) -> tuple[float, float]:
    """Overall messages/s, and the slowest full window's (the sustained rate)."""
    if len(arrivals) < 2:
        return 0.0, 0.0
    arrivals = sorted(arrivals)
    start, end = arrivals[0], arrivals[-1]
    overall = (len(arrivals) - 1) / (end - start) if end > start else 0.0
    windows = Counter(int((a - start) // WINDOW_S) for a in arrivals)
    full = [n for index, n in windows.items() if (index + 1) * WINDOW_S <= end - start]
    sustained = min(full) / WINDOW_S if full else overall
    return overall, sustained


@contextmanager
def fake_telegram(limit: float) -> Iterator[str]:
    """The fake Bot API in its own process; yields its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.serve",
            "telegram",
            "--token",
            TOKEN,
            "--rate-limit",
            str(limit),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)


def outcome(url: str, expected: int) -> dict[str, Any]:
    calls = httpx.get(f"{url}/_fake/calls", timeout=60).json()
    sends = [c for c in calls if c["method"].lower() == "sendmessage"]
    ok = [c for c in sends if c["status"] == 200]
    per_chat = Counter(str(c["params"].get("chat_id")) for c in ok)
    overall, sustained = rates([float(c["at"]) for c in ok])
    return {
        "delivered": len(ok),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "lost": expected - len(per_chat),
        "http_429": sum(1 for c in sends if c["status"] == 429),
        "rate": overall,
        "sustained": sustained,
    }


async def run_ours(count: int, limit: float, workdir: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{workdir / 'fanout.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    seed(sessions, count)
    moment = datetime.combine(DEADLINE, clock_time(8, 0), tzinfo=HCM)
    scheduler = reminder_scheduler(sessions, moment)
    started = time.perf_counter()
    report = scheduler.tick()
    tick_s = time.perf_counter() - started
    assert report is not None
    print(f"ours: one reminder pass queued {report.sent} reminders in {tick_s:.1f} s", flush=True)
    with fake_telegram(limit) as url:
        channel = TelegramChannel(make_bot(TOKEN, base_url=url), bot_username="FanoutBot")
        await channel.start()
        # The bench's morning, moving at the wall clock's pace: the reminders' day-window
        # (they expire at 21:00) and the sender's notion of now agree.
        origin = time.perf_counter()

        def clock() -> datetime:
            return moment + timedelta(seconds=time.perf_counter() - origin)

        sender = OutboxSender(sessions, {"telegram": channel}, now=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(sender.run_forever(stop))
        began = time.perf_counter()
        while True:
            await asyncio.sleep(1.0)
            with sessions() as session:
                left = session.scalar(
                    select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not left:
                break
            if time.perf_counter() - began > 20 + 3 * count / limit:
                print("ours: gave up waiting", flush=True)
                break
        stop.set()
        await task
        await channel.close()
        figures = outcome(url, report.sent)
    engine.dispose()
    figures["tick_s"] = tick_s
    figures["queued"] = report.sent
    return figures


async def run_baseline(count: int, limit: float) -> dict[str, Any]:
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    with fake_telegram(limit) as url:
        bot = ExtBot(
            TOKEN,
            base_url=f"{url}/bot",
            request=HTTPXRequest(connection_pool_size=64),
            rate_limiter=AIORateLimiter(),
        )
        await bot.initialize()
        failed = 0

        async def send(i: int) -> None:
            nonlocal failed
            try:
                await bot.send_message(CHAT_BASE + i, f"Nhắc việc: đăng ký thi đua, đơn vị số {i}")
            except Exception:  # a 429 without retries, or a timeout: the message is lost
                failed += 1

        await asyncio.gather(*(send(i) for i in range(1, count + 1)))
        await bot.shutdown()
        figures = outcome(url, count)
    figures["exceptions"] = failed
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000)
    parser.add_argument("--limit-per-s", type=float, default=30.0)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = await run_ours(args.reminders, args.limit_per_s, Path(tmp))
    print(
        f"ours:     {ours['delivered']} delivered, {ours['rate']:.1f} msg/s overall, "
        f"{ours['sustained']:.1f} msg/s sustained (slowest {WINDOW_S:.0f} s), "
        f"{ours['http_429']} × 429, {ours['duplicates']} duplicates, {ours['lost']} lost",
        flush=True,
    )
    figures: dict[str, Any] = {
        "reminders": args.reminders,
        "limit_msgs_per_s": args.limit_per_s,
        "reminder_pass_s": round(ours["tick_s"], 2),
        "ours_msgs_per_s": round(ours["rate"], 2),
        "ours_sustained_msgs_per_s": round(ours["sustained"], 2),
        "ours_http_429": ours["http_429"],
        "ours_duplicates": ours["duplicates"],
        "ours_lost": ours["lost"],
    }
    if not args.skip_baseline:
        base = await run_baseline(args.reminders, args.limit_per_s)
        print(
            f"baseline: {base['delivered']} delivered, {base['rate']:.1f} msg/s overall, "
            f"{base['sustained']:.1f} msg/s sustained, {base['http_429']} × 429, "
            f"{base['duplicates']} duplicates, {base['lost']} lost",
            flush=True,
        )
        figures.update(
            {
                "baseline_msgs_per_s": round(base["rate"], 2),
                "baseline_sustained_msgs_per_s": round(base["sustained"], 2),
                "baseline_http_429": base["http_429"],
                "baseline_duplicates": base["duplicates"],
                "baseline_lost": base["lost"],
                "ours_vs_baseline_rate": round(ours["rate"] / base["rate"], 3)
                if base["rate"]
                else None,
            }
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
