"""Runs a fake in a process of its own, for benchmarks and crash tests.

    python -m tests.fakes.serve telegram --token 1:x --delay 0.02 --rate-limit 30

Prints the base URL on the first line of stdout and serves until killed. A fake in its own
process keeps its CPU cost out of the measured process; state is read and changed through
the control routes under `/_fake/` (see FakeServer.setup_control_routes).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tests.fakes.base import FakeServer
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA


def build(args: argparse.Namespace) -> FakeServer:
    if args.kind == "telegram":
        return FakeTelegram(
            token=args.token or "123456:TEST-token",
            delay_s=args.delay,
            rate_limit_per_s=args.rate_limit,
            per_chat_limit_per_s=args.per_chat_limit,
        )
    if args.kind == "zalo-bot":
        return FakeZaloBot(token=args.token or "1:zalo-TEST-token", delay_s=args.delay)
    return FakeZaloOA(delay_s=args.delay)


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.serve")
    parser.add_argument("kind", choices=["telegram", "zalo-bot", "zalo-oa"])
    parser.add_argument("--token", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="sends/s, then 429")
    parser.add_argument("--per-chat-limit", type=float, default=None, help="sends/s per chat")
    args = parser.parse_args(argv)
    fake = build(args)
    url = await fake.start(port=args.port)
    print(url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
