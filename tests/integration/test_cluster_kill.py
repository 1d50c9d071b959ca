"""Two `thidua serve` processes on PostgreSQL and a Chroma server, one killed mid-run.

Each process is its own machine (its own data dir) with the same settings: one database (a
private PostgreSQL schema), one Chroma server (`chroma run` on 127.0.0.1), one bot (the fake
Bot API). 50 chats each do a registration and ask a question through the webhooks, one step
after the reply to the last, their posts alternating between the two processes. Once the one
that led the reminder pass has accepted a share of the updates it gets SIGKILL; what was
posted to it without an answer is posted again to the survivor, as Telegram retries an update
that got no 200, and a third process starts, as an orchestrator replaces a dead replica.

What must hold (README, "Restarts, failures and health"): every accepted update is
handled and answered, nothing is lost; a reply is delivered twice only if the dead process had
sent it without recording it (a row it held 'sending' at the kill: at-least-once, one round trip
wide), so duplicates ≤ those rows; every registration is stored once; each reminder (a person,
a deadline, a slot) is queued and delivered once cluster-wide, by whichever process led the
pass; after the kill neither the survivor nor the replacement's pass at its start sends one
again. (A pass runs at a process's start, then every minute: the replacement's start is the
pass after the kill that this test can wait for.)
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.telegram import SECRET_HEADER
from bot.reminders.calendar import VN_TZ
from bot.store import inbox, org, reply_json
from bot.store import reminders as reminder_rows
from bot.store.db import make_engine, migrate, session_factory
from bot.store.models import (
    Movement,
    Registration,
    ReportPeriod,
    Unit,
)
from bot.store.outbox import OutboxMessage
from tests.fakes.scripts import REGISTRATION
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update, message_update
from tests.forms.conftest import _postgres_schema
from tests.rig import free_port, linked_unit_heads

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7012345678:AAH-cluster-SECRET-token"
SECRET = "cluster-webhook-secret"
CHATS = [7_200_000_000 + n for n in range(50)]
REMINDED = [7_300_000_000 + n for n in range(10)]  # registered already: their report is due
QUESTION = "Luật Thi đua, khen thưởng quy định về những gì?"
STEPS = [*REGISTRATION, ("say", QUESTION)]
LEASE_S = 2.0  # the shortest the settings allow: a dead process's rows come free soon
KILL_AFTER = 120  # updates the victim answered 200 before its kill (of ~325 it would get)
API_DELAY_S = 0.05  # every Bot API call waits this long: sends are in flight at the kill
WAIT_S = 120.0

pytestmark = pytest.mark.slow  # the real embedding model, in each process


@dataclass
class Serve:
    """One `thidua serve` process: its port, its log, the updates it answered 200."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    accepted: list[int] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def today() -> date:
    return datetime.now(VN_TZ).date()


def seed(db_url: str) -> None:
    """Two movements. The chats register for one whose registration is a month away (no
    reminder yet). The other's registration closed long ago (every slot of its reminders has
    passed: skipped, not sent late) and its report period ends today: the units registered for
    it (REMINDED) owe that report, so each of their heads gets one reminder today, and nothing
    the chats do makes another reminder due."""
    engine = make_engine(db_url)
    migrate(engine)
    day = today()
    with session_factory(engine).begin() as session:
        org.seed_titles(session)
        reminding = Movement(
            code="PT-NHAC",
            title="Phong trào có kỳ báo cáo đến hạn",
            year=day.year,
            start_date=day - timedelta(days=300),
            end_date=day + timedelta(days=30),
            registration_deadline=day - timedelta(days=200),
            pledge_deadline=None,
        )
        reminding.periods = [
            ReportPeriod(
                code="K1",
                name="Kỳ báo cáo",
                kind="tiến độ",
                start_date=day - timedelta(days=30),
                end_date=day,
                deadline=day,
            )
        ]
        registering = Movement(
            code="PT-CUM",
            title="Thi đua thực hiện thắng lợi nhiệm vụ năm",
            year=day.year,
            start_date=day - timedelta(days=10),
            end_date=day + timedelta(days=200),
            registration_deadline=day + timedelta(days=30),
            pledge_deadline=None,
        )
        session.add_all([reminding, registering])
        session.flush()
        linked = datetime.now(UTC) - timedelta(days=400)
        heads = linked_unit_heads(session, [*CHATS, *REMINDED], linked_at=linked)
        for chat in REMINDED:
            session.add(
                Registration(
                    unit_id=heads[chat].unit_id,
                    movement_id=reminding.id,
                    status="approved",
                    version=1,
                    submitted_by=heads[chat].id,
                    submitted_at=datetime.now(UTC) - timedelta(days=210),
                )
            )
    engine.dispose()


def build_index(data_dir: Path, sources: Path, chroma_url: str) -> None:
    """The texts in the Chroma server once, before the processes start (two would race)."""
    from bot import wiring
    from bot.config import Settings

    settings = Settings(data_dir=data_dir, sources_dir=sources, chroma_url=chroma_url)
    wiring.ensure_bundled_index(wiring.open_index(settings), settings)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """The fake Bot API in a thread of its own: the test's loop only plays the chats."""
    loop = asyncio.new_event_loop()
    server = FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot", delay_s=API_DELAY_S)
    ready = asyncio.run_coroutine_threadsafe(server.start(), loop)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    ready.result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def db_url() -> Iterator[str]:
    yield from _postgres_schema()


def test_a_process_killed_mid_run_loses_nothing_and_reminds_once(
    tmp_path: Path,
    fake: FakeTelegram,
    db_url: str,
    chroma_url: str,
    record_property: Callable[[str, object], None],
) -> None:
    seed(db_url)
    sources = tmp_path / "sources"  # one short text: the index is built in seconds
    sources.mkdir()
    (sources / "luat.md").write_text(
        "---\ntitle: Luật Thi đua, khen thưởng\ndoc_number: 06/2022/QH15\ndoc_type: Luật\n"
        "issuer: Quốc hội\nissued: 2022-06-15\n---\n"
        "Điều 1. Phạm vi điều chỉnh\nLuật này quy định về thi đua, khen thưởng.\n",
        encoding="utf-8",
    )
    build_index(tmp_path / "builder", sources, chroma_url)
    settings = {
        "PYTHONPATH": str(ROOT),
        "THIDUA_DATABASE_URL": db_url,
        "THIDUA_CHROMA_URL": chroma_url,
        "THIDUA_SOURCES_DIR": str(sources),
        "THIDUA_TELEGRAM_TOKEN": TOKEN,
        "THIDUA_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "THIDUA_TELEGRAM_API_URL": fake.url,
        "THIDUA_TELEGRAM_BOT_USERNAME": "ThiDuaTestBot",
        "THIDUA_WEB_SECRET": "cluster-test-web-secret",
        "THIDUA_LEASE_S": str(LEASE_S),
        "THIDUA_REMINDER_SEND_TIME": "00:00",  # with no quiet hours: due at any hour
        "THIDUA_QUIET_HOURS_START": "00:00",
        "THIDUA_QUIET_HOURS_END": "00:00",
    }

    def start(name: str) -> Serve:
        port = free_port()
        log = tmp_path / f"{name}.log"
        env = {
            **os.environ,
            **settings,
            "THIDUA_DATA_DIR": str(tmp_path / name),  # a machine of its own
            "THIDUA_WEB_PORT": str(port),
        }
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.serve_any_day", "serve"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return Serve(name, process, port, log)

    servers = [start("a"), start("b")]  # two machines' worth
    try:
        for server in servers:
            wait_ready(server)
        # Both ran a reminder pass at start; one queued the reminders, the other found them.
        wait_for(lambda: all(passes(s) >= 1 for s in servers), "a reminder pass in each")
        wait_for(lambda: all(fake.texts(c) for c in REMINDED), "the reminders of the start")
        before = {s.name: queued(s) for s in servers}
        assert sum(before.values()) == len(REMINDED), before
        leader = max(servers, key=lambda s: before[s.name])  # the victim
        survivor = next(s for s in servers if s is not leader)

        def replace() -> None:  # as an orchestrator restarts a dead replica
            servers.append(start("c"))

        run = asyncio.run(
            play_all(fake, servers[:2], victim=leader, db_url=db_url, on_kill=replace)
        )
        assert leader.process.returncode == -signal.SIGKILL
        assert run.in_flight_at_kill is not None
        assert survivor.process.poll() is None, survivor.tail()
        third = servers[2]
        wait_ready(third)
        # After the kill: the replacement's pass finds every reminder already sent.
        wait_for(lambda: passes(third) >= 1, "the replacement's reminder pass")
        wait_for(lambda: settled(db_url), "every update handled and every reply sent")
        wait_for(lambda: all(c.status for c in fake.calls_to("sendMessage")), "the fake")
        time.sleep(1.0)  # a late copy would arrive here
        after = {s.name: queued(s) for s in (survivor, third)}
    finally:
        for server in servers:
            server.stop()

    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions() as session:
        rows = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        updates = list(session.scalars(select(inbox.InboxUpdate)))
        registrations = Counter(
            session.scalars(select(Unit.code).join(Registration, Registration.unit_id == Unit.id))
        )
        reminded = list(
            session.execute(
                select(
                    reminder_rows.ReminderLog.rule,
                    reminder_rows.ReminderLog.person_id,
                    reminder_rows.ReminderLog.subject,
                    reminder_rows.ReminderLog.slot,
                ).where(reminder_rows.ReminderLog.status == reminder_rows.SENT)
            )
        )
        dead = session.scalar(
            select(func.count())
            .select_from(inbox.InboxUpdate)
            .where(inbox.InboxUpdate.dead_at.is_not(None))
        )
    engine.dispose()

    # Every update posted was accepted in the end, stored once and handled.
    posted = len(CHATS) * len(STEPS)
    assert len(run.accepted) == posted
    assert len(updates) == posted and dead == 0
    assert all(u.processed_at is not None for u in updates)
    # Every reply queued was delivered; copies only of what the dead process had in flight.
    assert all(row.status == "sent" for row in rows)
    delivered = Counter((d.chat_id, d.text) for d in fake.delivered() if d.method == "sendmessage")
    expected = Counter(
        (row.chat_id, reply_json.reply_from_json(row.payload).text.strip()) for row in rows
    )
    lost = expected - delivered
    copies = sum((delivered - expected).values())
    record_property("in_flight_at_kill", run.in_flight_at_kill)
    record_property("duplicates", copies)
    print(
        f"\ncluster kill: {posted} updates ({len(leader.accepted)} accepted by the victim, "
        f"{run.reposted} posted again), {len(rows)} replies, {run.in_flight_at_kill} in flight "
        f"at the kill, {copies} delivered twice"
    )
    assert not lost, lost
    assert set(delivered) == set(expected)
    assert copies <= run.in_flight_at_kill
    # Each chat saw the same conversation (a copy is delivered next to its original).
    transcripts = {chat: collapsed(fake.texts(chat)) for chat in CHATS}
    assert len(set(map(tuple, transcripts.values()))) == 1, transcripts
    # One registration per unit: the 50 chats' and the 10 seeded.
    assert registrations == Counter(f"U{chat}" for chat in [*CHATS, *REMINDED])
    # One reminder per person, deadline and slot, queued by one pass and delivered once;
    # after the kill neither the survivor nor the replacement queued any again.
    assert len(reminded) == len(set(reminded)) == len(REMINDED)
    assert after == {survivor.name: before[survivor.name], third.name: 0}
    for chat in REMINDED:
        assert len(fake.texts(chat)) == 1


@dataclass
class Run:
    accepted: set[int] = field(default_factory=set)
    reposted: int = 0
    in_flight_at_kill: int | None = None


async def play_all(
    fake: FakeTelegram,
    servers: list[Serve],
    *,
    victim: Serve,
    db_url: str,
    on_kill: Callable[[], None],
) -> Run:
    """Every chat plays STEPS at once, each post to the next live process in turn; the
    victim is killed once it has answered KILL_AFTER of them, then `on_kill` runs."""
    run = Run()
    alive = list(servers)
    turn = iter(range(1_000_000))
    update_ids = iter(range(1, 1_000_000))
    kill = asyncio.Lock()

    async def post(client: httpx.AsyncClient, payload: dict[str, object]) -> None:
        for _attempt in range(10):
            server = alive[next(turn) % len(alive)]
            try:
                response = await client.post(
                    f"{server.base}/webhooks/telegram",
                    content=json.dumps(payload),
                    headers={SECRET_HEADER: SECRET},
                )
            except httpx.TransportError:  # no answer: Telegram would post it again
                run.reposted += 1
                continue
            assert response.status_code == 200, response.text
            run.accepted.add(int(payload["update_id"]))  # type: ignore[call-overload]
            server.accepted.append(int(payload["update_id"]))  # type: ignore[call-overload]
            if server is victim and len(victim.accepted) == KILL_AFTER:
                async with kill:
                    alive.remove(victim)
                    os.kill(victim.process.pid, signal.SIGKILL)
                    victim.process.wait(10)
                    run.in_flight_at_kill = in_flight(db_url, victim)
                    on_kill()
            return
        raise AssertionError(f"update {payload['update_id']} was never accepted")

    async with httpx.AsyncClient(timeout=30) as client:

        async def play(chat: int) -> None:
            seen = 0
            for kind, text in STEPS:
                if kind == "press":
                    data = await _button(fake, chat, text)
                    payload = callback_update(chat, data, update_id=next(update_ids))
                else:
                    payload = message_update(chat, text, update_id=next(update_ids))
                await post(client, payload)
                seen = await _reply_after(fake, chat, seen)

        await asyncio.gather(*(play(c) for c in CHATS))
    return run


def in_flight(db_url: str, victim: Serve) -> int:
    """Messages the dead process held 'sending' (its lease names its pid): sent, perhaps,
    and not recorded; each may go out once more."""
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        held = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status == "sending",
                OutboxMessage.lease_owner.like(f"%:{victim.process.pid}:%"),
            )
        )
    engine.dispose()
    return int(held or 0)


def settled(db_url: str) -> bool:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(inbox.InboxUpdate)
            .where(inbox.InboxUpdate.processed_at.is_(None), inbox.InboxUpdate.dead_at.is_(None))
        )
        unsent = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        )
    engine.dispose()
    return waiting == 0 and unsent == 0


def wait_ready(server: Serve) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        assert server.process.poll() is None, server.tail()
        try:
            if httpx.get(f"{server.base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{server.name} did not start: {server.tail()}"
        time.sleep(0.2)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def scrape(server: Serve) -> dict[tuple[str, str], float]:
    """The process's /metrics: (sample, its first label's value) -> value, summed."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{server.base}/metrics", timeout=5).text
    found: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, next(iter(sample.labels.values()), ""))
            found[key] = found.get(key, 0.0) + sample.value
    return found


def queued(server: Serve) -> float:
    """Reminders the process's passes queued."""
    return scrape(server).get(("thidua_reminders_total", "queued"), 0.0)


def passes(server: Serve) -> float:
    """Reminder rounds the process ran, leading or standing aside."""
    counted = scrape(server)
    return counted.get(("thidua_reminder_passes_total", "led"), 0.0) + counted.get(
        ("thidua_reminder_passes_total", "aside"), 0.0
    )


def normalise(text: str) -> str:
    """A chat's replies differ from another's only in its unit's name and numbers."""
    return re.sub(r"\d+", "#", text)


def collapsed(texts: list[str]) -> list[str]:
    """The transcript, normalised, with a message repeated back to back counted once."""
    out: list[str] = []
    for text in map(normalise, texts):
        if not out or out[-1] != text:
            out.append(text)
    return out


async def _button(fake: FakeTelegram, chat: int, label: str) -> str:
    """The button's callback data, once the reply that carries it has arrived."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            return fake.callback_data(chat, label)
        except AssertionError:
            assert time.monotonic() < deadline, f"chat {chat}: no button {label!r}"
            await asyncio.sleep(0.02)


async def _reply_after(fake: FakeTelegram, chat: int, seen: int) -> int:
    """Waits until the chat has more replies than `seen` (the step was answered)."""
    deadline = time.monotonic() + WAIT_S
    while len(fake.texts(chat)) <= seen:
        assert time.monotonic() < deadline, f"chat {chat}: no reply after {seen} replies"
        await asyncio.sleep(0.02)
    return len(fake.texts(chat))
