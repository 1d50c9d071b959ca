"""`thidua serve --workers 2`: two processes take one port's webhooks and share one SQLite file.

The real command runs as a subprocess against the fake Bot API on 127.0.0.1. Several chats each
do a whole registration at once, one step at a time as a person would (the next update only
after the reply to the last one); the kernel spreads their connections over both workers, so
a chat's steps are claimed, processed and answered by either process. Every chat must get
exactly the replies of a registration, in order, and every registration is stored once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.base import RateLimits
from bot.channels.telegram import SECRET_HEADER
from bot.delivery.sender import worker_share
from bot.store import org
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import (
    Movement,
    Registration,
    ReportPeriod,
)
from tests.fakes.scripts import REGISTRATION
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update, message_update
from tests.rig import free_port, linked_unit_heads

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7012345678:AAH-workers-SECRET-token"
SECRET = "workers-webhook-secret"
CHATS = [7_100_000_000 + n for n in range(8)]
STEPS = REGISTRATION


def seed(db_url: str) -> None:
    """An open movement and, per chat, a unit whose head is linked to that Telegram chat."""
    engine = make_engine(db_url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        org.seed_titles(session)
        year = datetime.now(UTC).year
        movement = Movement(
            code=f"PT{year}",
            title=f"Thi đua thực hiện thắng lợi nhiệm vụ năm {year}",
            year=year,
            start_date=date(year, 1, 1),
            end_date=date(year, 12, 31),
            registration_deadline=date(year, 12, 31),
            pledge_deadline=date(year, 12, 31),
        )
        movement.periods = [
            ReportPeriod(
                code="Q4",
                name="Quý 4",
                kind="tiến độ",
                start_date=date(year, 10, 1),
                end_date=date(year, 12, 31),
                deadline=date(year, 12, 31),
            )
        ]
        session.add(movement)
        linked_unit_heads(session, CHATS, linked_at=datetime(year, 1, 5, tzinfo=UTC))
    engine.dispose()


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API in a thread of its own: the test's loop only plays the chats."""
    loop = asyncio.new_event_loop()
    server = FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot")
    ready = asyncio.run_coroutine_threadsafe(server.start(), loop)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    ready.result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_two_workers_serve_every_chat_exactly_once_and_in_order(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    data_dir = tmp_path / "data"
    db_url = f"sqlite:///{data_dir / 'thidua.db'}"
    seed(db_url)
    sources = tmp_path / "sources"  # one short text: the index is built in seconds
    sources.mkdir()
    (sources / "luat.md").write_text(
        "---\ntitle: Luật Thi đua, khen thưởng\ndoc_number: 06/2022/QH15\ndoc_type: Luật\n"
        "issuer: Quốc hội\nissued: 2022-06-15\n---\n"
        "Điều 1. Phạm vi điều chỉnh\nLuật này quy định về thi đua, khen thưởng.\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "THIDUA_DATA_DIR": str(data_dir),
        "THIDUA_TELEGRAM_TOKEN": TOKEN,
        "THIDUA_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "THIDUA_TELEGRAM_API_URL": fake.url,
        "THIDUA_TELEGRAM_BOT_USERNAME": "ThiDuaTestBot",
        "THIDUA_REMINDERS_ENABLED": "false",
        "THIDUA_WEB_PORT": str(port),
        "THIDUA_SOURCES_DIR": str(sources),
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # a fresh data dir indexes the texts first
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert len(children_of(server.pid)) >= 2  # uvicorn's supervisor and its two workers
        replies = asyncio.run(play_all(base, fake))
        counts = {chat: len(fake.texts(chat)) for chat in CHATS}
        assert all(replies[chat] == replies[CHATS[0]] for chat in CHATS), replies
        assert set(counts.values()) == {replies[CHATS[0]]}  # nothing late, nothing twice
        first = [normalise(t) for t in fake.texts(CHATS[0])]
        for chat in CHATS[1:]:
            assert [normalise(t) for t in fake.texts(chat)] == first
        # Whichever worker answers the scrape reports both workers' counts.
        posted = len(CHATS) * len(STEPS)
        for _ in range(4):
            counted = scrape(base)
            assert counted["thidua_updates_received_total"] == posted
            assert counted["thidua_updates_processed_total"] == posted
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(Registration))
    engine.dispose()
    assert stored == len(CHATS)


def scrape(base: str) -> dict[str, float]:
    """/metrics, each Telegram sample summed over its other labels."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{base}/metrics", timeout=5).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("channel") == "telegram":
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def normalise(text: str) -> str:
    """A chat's replies differ from another's only in its unit's name and numbers."""
    import re

    return re.sub(r"\d+", "#", text)


async def play_all(base: str, fake: FakeTelegram) -> dict[int, int]:
    """Every chat plays STEPS at once; returns how many replies each chat got in all."""
    update_ids = iter(range(1, 1_000_000))
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def play(chat: int) -> int:
            seen = 0
            for kind, text in STEPS:
                if kind == "press":
                    data = await _button(fake, chat, text)
                    payload = callback_update(chat, data, update_id=next(update_ids))
                else:
                    payload = message_update(chat, text, update_id=next(update_ids))
                response = await client.post(
                    "/webhooks/telegram",
                    content=json.dumps(payload),
                    headers={SECRET_HEADER: SECRET},
                )
                assert response.status_code == 200
                seen = await _reply_after(fake, chat, seen)
            return len(fake.texts(chat))

        await asyncio.gather(*(play(c) for c in CHATS))
    # Every step has been answered; its later messages may still be on their way.
    expected = max(len(fake.texts(chat)) for chat in CHATS)
    deadline = time.monotonic() + 30
    while any(len(fake.texts(chat)) < expected for chat in CHATS) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # a late duplicate would arrive here
    return {chat: len(fake.texts(chat)) for chat in CHATS}


async def _button(fake: FakeTelegram, chat: int, label: str, timeout_s: float = 30.0) -> str:
    """The button's callback data, once the reply that carries it has arrived."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return fake.callback_data(chat, label)
        except AssertionError:
            assert time.monotonic() < deadline, f"chat {chat}: no button {label!r}"
            await asyncio.sleep(0.02)


async def _reply_after(fake: FakeTelegram, chat: int, seen: int, timeout_s: float = 30.0) -> int:
    """Waits until the chat has more replies than `seen` (the step was answered)."""
    deadline = time.monotonic() + timeout_s
    while len(fake.texts(chat)) <= seen:
        assert time.monotonic() < deadline, f"chat {chat}: no reply after {seen} replies"
        await asyncio.sleep(0.02)
    return len(fake.texts(chat))


def test_each_worker_sends_with_its_share_of_the_platform_limits() -> None:
    whole = RateLimits()
    half = worker_share(whole, 2)
    assert half.max_per_second == whole.max_per_second / 2
    assert half.per_group_per_minute == whole.per_group_per_minute / 2
    assert (half.per_chat_burst, half.per_chat_period_s) == (
        whole.per_chat_burst,
        whole.per_chat_period_s,
    )
    assert worker_share(whole, 1) is whole
