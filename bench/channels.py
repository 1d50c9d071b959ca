"""Channel throughput: simulated Telegram chats through the webhook, ours against a PTB baseline.

Each simulated chat does a whole registration (the sequence of
tests/integration/test_telegram_webhook.py, 12 updates), one step at a time: it posts an update
to the bot's webhook and waits for the bot's reply before its next step, as a person would.

* ours / oursN: the real app (`create_app(Services(background=True))`: POST /webhooks/telegram
  -> inbox -> InboxWorker -> Turns.run (the Router's turn, its dedupe key and its outbox rows in
  one transaction) -> OutboxSender -> TelegramChannel/PTB Bot) under uvicorn in a subprocess of
  its own, on a fresh SQLite file (or, with `--db postgres`, a private schema on
  the PostgreSQL server, which then shares the two cores too), each chat its own unit and
  linked unit head.
* baseline: a bot built the usual way in another subprocess: PTB `Application` +
  `ConversationHandler` + `PicklePersistence`, default sequential update processing, the same
  number of steps with similar replies and inline buttons, fed through a webhook endpoint that
  puts `Update.de_json(...)` on `application.update_queue`.

Both talk to the same fake Bot API (tests/fakes/telegram_api.py), which answers every call after
a configurable delay. The fake and the simulated chats share this (driver) process; each bot is
alone in its own process, so its CPU is what is measured. Latency is from posting an update to
the fake receiving the (first) reply to it. A reference transcript per bot comes from one
calibration chat; every chat's delivered replies are compared with it afterwards: lost,
duplicated, out of order within the chat.

Our sender runs with its rate limits raised (the fake enforces none): Telegram's real limit of
~30 messages/s per bot would otherwise cap both bots far below the targets.

Prints a table, then, as the last line, one JSON object.

`oursN` runs N such processes on one listening socket and one SQLite file, as
`thidua serve --workers N` does; their transactions take turns (bot.store.db.QueuedConnection).
The driver's own CPU per update (fake API and chats, on the same two cores) is printed too.
The driver freezes its objects (`gc.freeze`) before each measured run, so that its own full
collections, which grow with every run's transcripts, do not stall the chats mid-run: that is
about this process's stability, not the bots', which are both left as they are.
Its code is the same whichever bot runs, so the bot's CPU over the driver's
(`*_bot_per_driver_cpu`) compares versions of our bot with this machine's drift in speed mostly
cancelled: both slow down together.

With `--repeat N` each configuration runs N times, the bots one after another in alternating
order; the JSON then holds each figure's median, and each ratio is the median of the ratios
between runs made side by side (this machine's speed drifts by a third within minutes, so
figures from runs far apart do not compare).

    python bench/channels.py [--chats 50,200] [--delays-ms 0,20] [--budget-s 60] [--repeat 1]
                             [--bots ours,ours2,baseline] [--show-surplus]

`--show-surplus` prints every reply counted as duplicated, marked as a copy of one the chat got
anyway or as a text the calibration chat never got, with that chat's transcript.

With BENCH_PROFILE=PATH our bot writes, when stopped, PATH.main and PATH.pstats (cProfile of
the loop's thread: wall time, so a busy machine's waits for a core land on system calls),
PATH.db (database threads, if any) and PATH: each thread's CPU, samples of where each thread
stood, and the wall time of what may stall the loop (SQLite's BEGIN and COMMIT, other
statements, each generation's collections: total, count, longest, how many over 10 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response  # module level: FastAPI resolves annotations here

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.scripts import REGISTRATION  # noqa: E402
from tests.rig import free_port, linked_unit_heads  # noqa: E402

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 10, 9, 0, tzinfo=HCM)
TOKEN = "7012345678:AAH-bench-SECRET-token"
SECRET = "bench-webhook-secret"
BOT_USERNAME = "ThiDuaTestBot"
CHAT_BASE = 6_000_000_000
BOT_DIR = str(ROOT / "bot") + "/"
STEP_TIMEOUT_S = 15.0

SCRIPT = REGISTRATION  # tests/fakes/scripts.py: a whole registration, 12 steps


# --- ours: the app in its own process --------------------------------------------------------


def seed(db_url: str, chats: list[int]) -> None:
    """A movement and, per chat, a unit with a unit head linked to the chat on Telegram."""
    from bot.store import org
    from bot.store.db import make_engine, migrate, session_factory
    from bot.store.models import Movement, ReportPeriod

    engine = make_engine(db_url)
    migrate(engine)
    sessions = session_factory(engine)
    linked = datetime(2026, 1, 5, tzinfo=UTC)
    with sessions.begin() as session:
        org.seed_titles(session)
        movement = Movement(
            code="PT2026",
            title="Thi đua thực hiện thắng lợi nhiệm vụ năm 2026",
            year=2026,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 12, 31),
            registration_deadline=date(2026, 3, 31),
            pledge_deadline=date(2026, 3, 31),
        )
        movement.periods = [
            ReportPeriod(
                code="Q1",
                name="Quý 1",
                kind="tiến độ",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 3, 31),
                deadline=date(2026, 4, 10),
            )
        ]
        session.add(movement)
        linked_unit_heads(session, chats, linked_at=linked)
    engine.dispose()


async def serve_ours(
    db_url: str, fake_url: str, port: int, files_dir: str, sock: Any = None
) -> None:
    from bot.channels.base import RateLimits
    from bot.channels.refusals import file_too_large_text
    from bot.channels.telegram import TelegramChannel, make_bot
    from bot.core.router import Router
    from bot.delivery.heap import tune_for_server
    from bot.delivery.sender import OutboxSender
    from bot.delivery.services import Services
    from bot.delivery.turns import Turns
    from bot.delivery.worker import InboxWorker
    from bot.messages import Incoming, Reply
    from bot.store.db import make_engine, run_db, session_factory
    from bot.store.files import FileStore
    from bot.web.app import create_app

    class StubQA:
        def ask(self, message: Incoming, *, session: Any = None) -> Reply:
            return Reply("[Hỏi đáp]", found=False)

    origin = time.monotonic()

    def now() -> datetime:  # the movement's calendar, moving at real speed
        return START + timedelta(seconds=time.monotonic() - origin)

    engine = make_engine(db_url, queue_writers=sock is not None)
    sessions = session_factory(engine)
    router = Router(StubQA(), files=FileStore(Path(files_dir)))
    channel = TelegramChannel(
        make_bot(TOKEN, base_url=fake_url), bot_username=BOT_USERNAME, webhook_secret=SECRET
    )
    await channel.start()
    channels = {"telegram": channel}
    unlimited = RateLimits(max_per_second=100_000, per_chat_burst=1000, per_chat_period_s=1.0)
    sender = OutboxSender(sessions, channels, now=now, limits={"telegram": unlimited})
    worker = InboxWorker(  # as bot.wiring.build_services builds it for webhooks
        Turns(sessions, router, now),
        channels,
        file_too_large=file_too_large_text,
        on_replies=sender.wake,
        answer_buttons=False,
    )
    services = Services(
        sessions=sessions,
        channels=channels,
        worker=worker,
        sender=sender,
        now=now,
        background=True,
    )
    profile = os.environ.get("BENCH_PROFILE")  # a path: where every thread spends its time
    samples: Counter[str] = Counter()
    cpu: Counter[str] = Counter()
    main_profile: Any = None
    db_profile: Any = None
    if profile:
        import threading

        turn = router.turn

        def timed_turn(*a: Any, **kw: Any) -> Any:
            t0 = time.thread_time()
            try:
                return turn(*a, **kw)
            finally:
                cpu["router.turn_s"] += time.thread_time() - t0
                cpu["router.turn_n"] += 1

        router.turn = timed_turn  # type: ignore[method-assign]

        def sample() -> None:
            me = threading.get_ident()
            while True:
                for ident, frame in sys._current_frames().items():
                    if ident == me:
                        continue
                    leaf = f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_code.co_name}"
                    if leaf.endswith(("threading.py:wait", "queue.py:get", "thread.py:_worker")):
                        continue
                    ours, f = "", frame
                    while f is not None:
                        name = f.f_code.co_filename
                        if BOT_DIR in name:
                            ours = f"{name.rsplit('/bot/', 1)[-1]}:{f.f_code.co_name}"
                            break
                        f = f.f_back
                    samples[f"{ours} <- {leaf}"] += 1
                time.sleep(0.02)

        threading.Thread(target=sample, daemon=True).start()
        import cProfile

        main_profile = cProfile.Profile()
        main_profile.enable()
        db_profile = cProfile.Profile()
        if await run_db(sessions, threading.get_ident) != threading.get_ident():
            await run_db(sessions, db_profile.enable)  # database work has threads of its own
    app = create_app(services)
    tune_for_server()  # as `thidua serve` does
    if profile:
        _time_stalls(engine, cpu)  # from here: start-up's collections are not the server's
    try:
        await _serve(app, port, sock)
    finally:  # uvicorn re-raises the SIGINT that stopped it
        if profile:
            _write_profiles(profile, samples, cpu, main_profile, db_profile)
    engine.dispose()


def _time_stalls(engine: Any, cpu: Counter[str]) -> None:
    """Wall time of what may stall the loop: SQLite's BEGIN, its COMMIT (a checkpoint may
    sync), other statements, and the collector's passes (each: total s, count, longest ms)."""
    from sqlalchemy import event

    def timed(kind: str, seconds: float) -> None:
        cpu[f"{kind} s"] += seconds
        cpu[f"{kind} n"] += 1
        cpu[f"{kind} max_ms"] = max(cpu[f"{kind} max_ms"], round(seconds * 1000, 2))
        cpu[f"{kind} over_10ms"] += seconds > 0.01

    started: dict[int, float] = {}

    def before(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        started[id(conn)] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        kind = "sql BEGIN" if statement.startswith("BEGIN") else "sql other"
        timed(kind, time.perf_counter() - started.pop(id(conn), time.perf_counter()))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    do_commit = engine.dialect.do_commit

    def commit(connection: Any) -> None:
        t0 = time.perf_counter()
        try:
            do_commit(connection)
        finally:
            timed("sql COMMIT", time.perf_counter() - t0)

    engine.dialect.do_commit = commit
    gc_started: list[float] = [0.0]

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            timed(f"gc gen{info['generation']}", time.perf_counter() - gc_started[0])

    gc.callbacks.append(collected)


def _write_profiles(
    profile: str, samples: Counter[str], cpu: Counter[str], main: Any, db: Any
) -> None:
    import pstats
    import threading

    main.disable()
    main.dump_stats(profile + ".pstats")  # for sorting other ways: python -m pstats
    with open(profile + ".main", "w") as stream:
        pstats.Stats(main, stream=stream).sort_stats("cumulative").print_stats(60)
    with open(profile + ".db", "w") as stream, contextlib.suppress(TypeError):
        # TypeError: nothing recorded, database work ran on the loop's thread (in .main)
        pstats.Stats(db, stream=stream).sort_stats("cumulative").print_stats(70)
    lines = [f"{k} {v}" for k, v in cpu.items()]
    lines.append(f"process cpu {time.process_time():.2f}")
    names = {t.native_id: t.name for t in threading.enumerate()}
    for task in Path("/proc/self/task").iterdir():
        tid = int(task.name)
        lines.append(f"thread {names.get(tid, tid)} cpu {_cpu_seconds_of(task / 'stat'):.2f}")
    lines += [f"{n:6d} {k}" for k, n in samples.most_common(60)]
    Path(profile).write_text("\n".join(lines))


async def _serve(app: Any, port: int, sock: Any = None) -> None:
    import uvicorn

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        backlog=2048,
        timeout_keep_alive=120,  # a chat may wait seconds between updates; keep its connection
    )
    server = uvicorn.Server(config)
    await server.serve(sockets=[sock] if sock is not None else None)


# --- the baseline: PTB Application + ConversationHandler + PicklePersistence -----------------


async def serve_baseline(fake_url: str, port: int, pickle_path: str) -> None:
    import warnings

    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        ConversationHandler,
        MessageHandler,
        PicklePersistence,
        filters,
    )
    from telegram.warnings import PTBUserWarning

    warnings.simplefilter("ignore", PTBUserWarning)
    (
        COLLECTIVE,
        INDIVIDUAL,
        COUNT,
        MORE,
        TARGETS,
        DESCRIPTION,
        UNIT,
        VALUE,
        DUE,
        TARGET_MENU,
        CONFIRM,
    ) = range(11)
    Ctx = ContextTypes.DEFAULT_TYPE

    def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                for row in rows
            ]
        )

    async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text, reply_markup=markup)

    def draft(context: Ctx) -> dict[str, Any]:
        assert context.chat_data is not None
        found: dict[str, Any] = context.chat_data.setdefault("draft", {"targets": []})
        return found

    async def start(update: Update, context: Ctx) -> int:
        context.chat_data.clear() if context.chat_data is not None else None
        draft(context)["movement"] = "PT2026"
        await say(
            update,
            "Đăng ký thi đua — Phong trào: Thi đua thực hiện thắng lợi nhiệm vụ năm 2026.\n"
            "Bước 1/5. Đơn vị đăng ký danh hiệu tập thể nào?",
            keyboard(
                [("Tập thể lao động xuất sắc", "c:TTLDXS")],
                [("Tập thể lao động tiên tiến", "c:TTLDTT")],
                [("Cờ thi đua của UBND tỉnh", "c:CTD")],
                [("Bỏ qua", "c:none"), ("Huỷ", "cancel")],
            ),
        )
        return COLLECTIVE

    async def collective(update: Update, context: Ctx) -> int:
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        draft(context)["collective"] = query.data[2:]
        await say(
            update,
            "Bước 2/5. Danh hiệu cá nhân đăng ký (gõ số):\n1. Lao động tiên tiến\n"
            "2. Chiến sĩ thi đua cơ sở\n3. Chiến sĩ thi đua cấp tỉnh\n4. Không đăng ký",
        )
        return INDIVIDUAL

    async def individual(update: Update, context: Ctx) -> int:
        assert update.message is not None
        draft(context)["individual"] = update.message.text
        await say(update, "Bước 3/5. Số cá nhân đăng ký danh hiệu này? (gõ một số)")
        return COUNT

    async def count(update: Update, context: Ctx) -> int:
        assert update.message is not None and update.message.text is not None
        if not update.message.text.isdigit():
            await say(update, "Xin gõ một số.")
            return COUNT
        draft(context)["count"] = int(update.message.text)
        await say(update, f"Đã ghi {update.message.text} người. Gõ «xong» khi đủ danh hiệu.")
        return MORE

    async def more(update: Update, context: Ctx) -> int:
        await say(update, "Bước 4/5. Chỉ tiêu thi đua: gõ «thêm chỉ tiêu» để thêm.")
        return TARGETS

    async def targets(update: Update, context: Ctx) -> int:
        await say(update, "Mô tả chỉ tiêu? (ví dụ: Thu ngân sách trên địa bàn)")
        return DESCRIPTION

    async def description(update: Update, context: Ctx) -> int:
        assert update.message is not None
        draft(context)["targets"].append({"description": update.message.text})
        await say(update, "Đơn vị tính? (ví dụ: %, triệu đồng, hồ sơ)")
        return UNIT

    async def unit(update: Update, context: Ctx) -> int:
        assert update.message is not None
        draft(context)["targets"][-1]["unit"] = update.message.text
        await say(update, "Giá trị chỉ tiêu? (ví dụ: 1.234,5)")
        return VALUE

    async def value(update: Update, context: Ctx) -> int:
        assert update.message is not None and update.message.text is not None
        number = update.message.text.replace(".", "").replace(",", ".")
        draft(context)["targets"][-1]["value"] = float(number)
        await say(update, "Hạn hoàn thành? (dd/mm)")
        return DUE

    async def due(update: Update, context: Ctx) -> int:
        assert update.message is not None
        draft(context)["targets"][-1]["due"] = update.message.text
        target = draft(context)["targets"][-1]
        await say(
            update,
            f"Đã thêm chỉ tiêu: {target['description']} — {target['value']} {target['unit']},"
            f" hạn {target['due']}.",
            keyboard([("Thêm chỉ tiêu", "t:add"), ("Xong", "t:done")]),
        )
        return TARGET_MENU

    async def target_done(update: Update, context: Ctx) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        d = draft(context)
        await say(
            update,
            "Bước 5/5. Xem lại trước khi nộp:\n"
            f"Danh hiệu tập thể: {d['collective']}\nDanh hiệu cá nhân: {d['individual']}"
            f" ({d['count']} người)\nChỉ tiêu: {len(d['targets'])}",
            keyboard([("Xác nhận và nộp", "s:ok")], [("Sửa", "s:edit"), ("Huỷ", "cancel")]),
        )
        return CONFIRM

    async def submit(update: Update, context: Ctx) -> int:
        query = update.callback_query
        assert query is not None
        await query.answer()
        assert context.chat_data is not None
        context.chat_data["submitted"] = dict(draft(context), version=1)
        await say(update, "Đã nộp bản đăng ký thi đua, phiên bản 1. Cảm ơn đơn vị.")
        return ConversationHandler.END

    text = filters.TEXT & ~filters.COMMAND
    conversation = ConversationHandler(
        entry_points=[MessageHandler(filters.Regex("^Đăng ký thi đua$"), start)],
        states={
            COLLECTIVE: [CallbackQueryHandler(collective, pattern="^c:")],
            INDIVIDUAL: [MessageHandler(text, individual)],
            COUNT: [MessageHandler(text, count)],
            MORE: [MessageHandler(filters.Regex("^xong$"), more)],
            TARGETS: [MessageHandler(filters.Regex("^thêm chỉ tiêu$"), targets)],
            DESCRIPTION: [MessageHandler(text, description)],
            UNIT: [MessageHandler(text, unit)],
            VALUE: [MessageHandler(text, value)],
            DUE: [MessageHandler(text, due)],
            TARGET_MENU: [CallbackQueryHandler(target_done, pattern="^t:done$")],
            CONFIRM: [CallbackQueryHandler(submit, pattern="^s:ok$")],
        },
        fallbacks=[],
        name="dang_ky",
        persistent=True,
    )
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{fake_url}/bot")
        .base_file_url(f"{fake_url}/file/bot")
        .persistence(PicklePersistence(filepath=pickle_path))
        .updater(None)
        .build()
    )
    application.add_handler(conversation)

    web = FastAPI()

    @web.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @web.post("/webhooks/telegram")
    async def webhook(request: Request) -> Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return Response(status_code=403)
        body = await request.json()
        await application.update_queue.put(Update.de_json(body, application.bot))
        return Response(content='{"ok":true}', media_type="application/json")

    async with application:
        await application.start()
        await _serve(web, port)
        await application.stop()


# --- the driver: the fake Bot API and the simulated chats -------------------------------------


def _fake_class() -> Any:
    from tests.fakes.telegram_api import Delivered, FakeTelegram

    class RecordingFake(FakeTelegram):
        """Wakes the waiting chat when a reply is delivered; notes when each send arrived."""

        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.arrivals: dict[str, deque[float]] = {}
            self.inboxes: dict[str, list[tuple[float, Delivered]]] = {}
            self.events: dict[str, asyncio.Event] = {}

        def record(self, method: str, params: dict[str, Any], request: Any) -> Any:
            at = time.monotonic()
            if method.lower() == "sendmessage":
                chat = str(params.get("chat_id"))
                self.arrivals.setdefault(chat, deque()).append(at)
            return super().record(method, params, request)

        def _deliver(self, delivered: Delivered) -> None:
            super()._deliver(delivered)
            chat = delivered.chat_id
            queue = self.arrivals.get(chat)
            at = queue.popleft() if queue else time.monotonic()
            self.inboxes.setdefault(chat, []).append((at, delivered))
            event = self.events.get(chat)
            if event is not None:
                event.set()

    return RecordingFake


def normalise(text: str) -> str:
    return re.sub(r"\d+", "#", text)


@dataclass
class Outcome:
    bot: str
    delay_ms: int
    chats: int
    updates: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    step_latencies_ms: dict[int, list[float]] = field(default_factory=dict)  # by script step
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    timeouts: int = 0
    unfinished_chats: int = 0
    webhook_retries: int = 0  # posts retried after a connection error (as Telegram would)
    bot_cpu_s: float = 0.0
    driver_cpu_s: float = 0.0  # this process: the fake Bot API and the simulated chats
    load1: float = 0.0
    run: int = 0  # which repetition (--repeat)
    surplus: list[str] = field(default_factory=list)  # what `duplicated` counted (--show-surplus)

    @property
    def updates_per_s(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_update(self) -> float:
        """The bot process's CPU time per update: the figure a busy machine distorts least."""
        return 1000 * self.bot_cpu_s / self.updates if self.updates else 0.0

    def pct(self, q: float) -> float:
        return _quantile(self.latencies_ms, q)

    def step_p95s(self) -> list[float]:
        """Each script step's p95: in lockstep (all chats start at once) the first steps'
        waits set the overall p95, as every chat's first update arrives together."""
        found = self.step_latencies_ms
        return [round(_quantile(found.get(i, []), 0.95), 1) for i in range(len(SCRIPT))]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


class Driver:
    def __init__(self, fake: Any, webhook: str, session: Any, metrics: str = "") -> None:
        """`metrics`: our bot's /metrics, whose outbox depth tells the calibration chat when
        a step's last reply has gone out (the baseline has none: a fixed wait instead)."""
        self.fake = fake
        self.webhook = webhook
        self.session = session
        self.metrics = metrics
        self.update_ids = itertools.count(1)
        self.retries = 0

    async def stragglers(self) -> None:
        """Waits for a calibration step's later replies: every queued one sent (ours), or
        0.3 s. A step's second reply can follow its first by more than 0.3 s on a loaded
        machine; counted with the next step, it made a chat stopped by the budget right after
        this step look one reply short of the reference, and its real reply a duplicate."""
        if not self.metrics:
            await asyncio.sleep(0.3)
            return
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while time.monotonic() < deadline:
            async with self.session.get(self.metrics) as response:
                found = re.search(r"^thidua_outbox_depth (\S+)$", await response.text(), re.M)
            if found is not None and float(found.group(1)) == 0:
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("the calibration chat's replies did not all go out")

    async def post(self, payload: dict[str, Any]) -> None:
        """Posts like Telegram: a connection error is retried (the update's key dedupes it)."""
        import aiohttp

        for attempt in range(3):
            try:
                async with self.session.post(
                    self.webhook,
                    data=json.dumps(payload),
                    headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    },
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"webhook answered {response.status}")
                    return
            except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
                self.retries += 1
                if attempt == 2:
                    raise

    def button(self, chat: str, label: str) -> str | None:
        wanted = label.lower()
        for _at, message in reversed(self.fake.inboxes.get(chat, [])):
            for row in (message.reply_markup or {}).get("inline_keyboard", []):
                for button in row:
                    if wanted in button["text"].lower():
                        return str(button["callback_data"])
        return None

    async def wait_for(self, chat: str, count: int, deadline: float) -> bool:
        event = self.fake.events.setdefault(chat, asyncio.Event())
        while len(self.fake.inboxes.get(chat, [])) < count:
            event.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def chat(
        self, chat_id: int, expected: list[int] | None, out: Outcome, stop_at: float
    ) -> list[int]:
        """One person's registration; returns how many replies each step it posted got."""
        from tests.fakes.telegram_updates import callback_update, message_update

        chat = str(chat_id)
        counts: list[int] = []
        for index, (kind, text) in enumerate(SCRIPT):
            if time.monotonic() > stop_at:
                out.unfinished_chats += 1
                break
            if kind == "press":
                data = self.button(chat, text)
                if data is None:
                    out.unfinished_chats += 1
                    break
                payload = callback_update(chat_id, data, update_id=next(self.update_ids))
            else:
                payload = message_update(chat_id, text, update_id=next(self.update_ids))
            before = len(self.fake.inboxes.get(chat, []))
            posted = time.monotonic()
            await self.post(payload)
            out.updates += 1
            want = expected[index] if expected is not None else 1
            if not await self.wait_for(chat, before + want, posted + STEP_TIMEOUT_S):
                out.timeouts += 1
            if expected is None:  # calibration: collect stragglers of this step too
                await self.stragglers()
            inbox = self.fake.inboxes.get(chat, [])
            counts.append(len(inbox) - before)
            if len(inbox) > before:
                out.latencies_ms.append((inbox[before][0] - posted) * 1000)
                out.step_latencies_ms.setdefault(index, []).append(out.latencies_ms[-1])
        return counts


def compare(delivered: list[str], reference: list[str]) -> tuple[int, int, int]:
    """(lost, duplicated, out of order) of one chat's replies against the reference."""
    have, want = Counter(delivered), Counter(reference)
    lost = sum(max(0, n - have[t]) for t, n in want.items())
    duplicated = sum(max(0, n - want[t]) for t, n in have.items())
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(reference):
        positions.setdefault(t, []).append(i)
    seen: Counter[str] = Counter()
    disorder, highest = 0, -1
    for t in delivered:
        slots = positions.get(t, [])
        if seen[t] < len(slots):
            place = slots[seen[t]]
            if place < highest:
                disorder += 1
            highest = max(highest, place)
        seen[t] += 1
    return lost, duplicated, disorder


def surplus_report(chat: int, texts: list[str], wanted: list[str], reference: list[str]) -> str:
    """One chat's replies beyond the reference, each marked as a copy of a reply it got
    anyway (sent twice) or as a text the calibration chat never got, then its transcript."""
    extra = Counter(texts) - Counter(wanted)
    lines = [f"chat {chat}: {sum(extra.values())} beyond {len(wanted)} expected"]
    for text, n in extra.items():
        kind = "sent twice" if text in wanted else "not in the calibration transcript"
        lines.append(f"  {n} x {kind}: {text[:160]!r}")
    lines += [f"  [{n:2d}] {t[:100]!r}" for n, t in enumerate(texts)]
    if len(reference) > len(wanted):
        lines.append(f"  (the chat stopped after {len(wanted)} of {len(reference)} replies)")
    return "\n".join(lines)


def _cpu_seconds(pid: int) -> float:
    """The process's CPU and its worker processes' (they share its parent pid)."""
    total = _cpu_seconds_of(Path(f"/proc/{pid}/stat"))
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if int(text.rsplit(")", 1)[1].split()[1]) == pid:
            total += _cpu_seconds_of(stat)
    return total


def _cpu_seconds_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _start_server(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    import aiohttp

    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server {argv[0]} exited with {proc.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {argv[0]} did not start")


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def run_config(
    bot: str,
    fake: Any,
    delay_ms: int,
    chats: int,
    chat_ids: Any,
    work: Path,
    budget_s: float,
    run: int = 0,
    pg_url: str | None = None,
) -> Outcome:
    import aiohttp

    fake.delay_s = delay_ms / 1000
    calibration = next(chat_ids)
    ids = [next(chat_ids) for _ in range(chats)]
    port = free_port()
    tag = f"{bot}-{delay_ms}ms-{chats}-{run}"
    schemas = contextlib.ExitStack()
    if bot.startswith("ours"):
        db_url = f"sqlite:///{work / (tag + '.db')}"
        if pg_url is not None:  # a private schema, dropped after the run
            from flows import postgres_schema  # bench/flows.py, beside this script

            found = schemas.enter_context(postgres_schema(pg_url))
            if found is None:
                raise RuntimeError("PostgreSQL is not reachable")
            db_url = found
        seed(db_url, [calibration, *ids])
        workers = bot.removeprefix("ours") or "1"
        argv = ["serve-ours", db_url, fake.url, str(port), str(work / "files"), workers]
    else:
        argv = ["serve-baseline", fake.url, str(port), str(work / (tag + ".pickle"))]
    proc = await _start_server(argv, port)
    out = Outcome(bot, delay_ms, chats, run=run)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            base = f"http://127.0.0.1:{port}"
            metrics = f"{base}/metrics" if bot.startswith("ours") else ""
            driver = Driver(fake, f"{base}/webhooks/telegram", session, metrics)
            probe = Outcome(bot, delay_ms, 1)
            expected = await driver.chat(calibration, None, probe, time.monotonic() + 120)
            if probe.unfinished_chats or probe.timeouts:
                raise RuntimeError(f"{tag}: the calibration chat did not finish: {expected}")
            reference = [normalise(d.text) for _at, d in fake.inboxes[str(calibration)]]
            # This process keeps every earlier run's transcripts: a full collection of them
            # (110-200 ms, longer with each run) would stall the fake and the chats mid-run.
            gc.collect()
            gc.freeze()
            cpu0 = _cpu_seconds(proc.pid)
            driver0 = time.process_time()
            started = time.monotonic()
            stop_at = started + budget_s
            got = await asyncio.gather(*(driver.chat(i, expected, out, stop_at) for i in ids))
            out.seconds = time.monotonic() - started
            out.webhook_retries = driver.retries
            out.bot_cpu_s = _cpu_seconds(proc.pid) - cpu0
            out.driver_cpu_s = time.process_time() - driver0
            out.load1 = os.getloadavg()[0]
            await asyncio.sleep(0.5)  # late duplicates would show up here
            for i, steps in zip(ids, got, strict=True):
                texts = [normalise(d.text) for _at, d in fake.inboxes.get(str(i), [])]
                # a chat the budget stopped is compared over the steps it posted
                wanted = reference[: sum(expected[: len(steps)])]
                lost, duplicated, disorder = compare(texts, wanted)
                if duplicated:
                    out.surplus.append(surplus_report(i, texts, wanted, reference))
                out.lost += lost
                out.duplicated += duplicated
                out.out_of_order += disorder
    finally:
        _stop_server(proc)
        schemas.close()
    return out


async def main_async(args: argparse.Namespace) -> None:
    chats_list = [int(x) for x in args.chats.split(",")]
    delays = [int(x) for x in args.delays_ms.split(",")]
    chat_ids = itertools.count(CHAT_BASE)
    loads: list[float] = []

    async def sample_load() -> None:
        while True:
            loads.append(os.getloadavg()[0])
            await asyncio.sleep(5)

    sampler = asyncio.create_task(sample_load())
    results: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="bench-channels-") as tmp:
        fake = _fake_class()(token=TOKEN, bot_username=BOT_USERNAME)
        await fake.start()
        try:
            bots = args.bots.split(",")
            pg_url = args.pg_url if args.db == "postgres" else None
            for delay, chats, run in itertools.product(delays, chats_list, range(args.repeat)):
                for bot in bots if run % 2 == 0 else bots[::-1]:  # neither always goes first
                    result = await run_config(
                        bot, fake, delay, chats, chat_ids, Path(tmp), args.budget_s, run, pg_url
                    )
                    results.append(result)
                    if args.show_surplus:
                        for text in result.surplus:
                            print(text, flush=True)
                    print(
                        f"  {bot:8s} {delay:3d} ms {chats:4d} chats: "
                        f"{result.updates_per_s:7.1f} upd/s  p50 {result.pct(0.5):6.1f} ms"
                        f"  p95 {result.pct(0.95):6.1f} ms"
                        f"  cpu {result.cpu_ms_per_update:5.2f} ms/upd"
                        f"  driver {1000 * result.driver_cpu_s / max(result.updates, 1):5.2f}"
                        f"  load {result.load1:.2f}",
                        flush=True,
                    )
        finally:
            await fake.stop()
            sampler.cancel()
    report(results, loads, args.db)


def _median(values: Any, digits: int = 1) -> float:
    found = list(values)
    return round(statistics.median(found), digits) if found else 0.0


def report(results: list[Outcome], loads: list[float], db: str = "sqlite") -> None:
    print()
    header = (
        f"{'bot':9s}{'delay':>6s}{'chats':>6s}{'updates':>8s}{'upd/s':>8s}{'p50 ms':>8s}"
        f"{'p95 ms':>8s}{'lost':>6s}{'dup':>5s}{'order':>6s}{'tmout':>6s}{'unfin':>6s}"
        f"{'cpu%':>6s}{'cpu ms/upd':>11s}{'load':>6s}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        cpu = 100 * r.bot_cpu_s / r.seconds if r.seconds else 0.0
        print(
            f"{r.bot:9s}{r.delay_ms:>6d}{r.chats:>6d}{r.updates:>8d}{r.updates_per_s:>8.1f}"
            f"{r.pct(0.5):>8.1f}{r.pct(0.95):>8.1f}{r.lost:>6d}{r.duplicated:>5d}"
            f"{r.out_of_order:>6d}{r.timeouts:>6d}{r.unfinished_chats:>6d}{cpu:>6.0f}"
            f"{r.cpu_ms_per_update:>11.2f}{r.load1:>6.2f}"
        )
    summary: dict[str, Any] = {}
    groups: dict[tuple[str, int, int], list[Outcome]] = {}
    for r in results:
        groups.setdefault((r.bot, r.delay_ms, r.chats), []).append(r)
    for (bot, delay, chats), runs in groups.items():  # medians over the repetitions
        key = f"{bot}_{delay}ms_{chats}chats"
        summary[f"{key}_updates_per_s"] = _median(r.updates_per_s for r in runs)
        summary[f"{key}_p50_ms"] = _median(r.pct(0.5) for r in runs)
        summary[f"{key}_p95_ms"] = _median(r.pct(0.95) for r in runs)
        summary[f"{key}_bot_cpu_pct"] = _median(
            100 * r.bot_cpu_s / r.seconds if r.seconds else 0.0 for r in runs
        )
        summary[f"{key}_cpu_ms_per_update"] = _median((r.cpu_ms_per_update for r in runs), 2)
        summary[f"{key}_load1"] = _median((r.load1 for r in runs), 2)
        summary[f"{key}_driver_cpu_ms_per_update"] = _median(
            (1000 * r.driver_cpu_s / r.updates if r.updates else 0.0 for r in runs), 2
        )
        summary[f"{key}_bot_per_driver_cpu"] = _median(  # drift cancels: see the docstring
            (r.bot_cpu_s / r.driver_cpu_s if r.driver_cpu_s else 0.0 for r in runs), 2
        )
        summary[f"{key}_step_p95_ms"] = [
            _median(step) for step in zip(*(r.step_p95s() for r in runs), strict=True)
        ]
        summary[f"{key}_runs"] = len(runs)
    by = {(r.bot, r.delay_ms, r.chats, r.run): r for r in results}
    for bot, delay, chats in groups:
        others = ["baseline"] + (["ours"] if bot != "ours" else [])
        for other in others if bot.startswith("ours") else []:
            ratios = [  # each against the run beside it: the machine's speed drifts
                r.updates_per_s / by[(other, delay, chats, r.run)].updates_per_s
                for r in groups[(bot, delay, chats)]
                if by.get((other, delay, chats, r.run)) is not None
                and by[(other, delay, chats, r.run)].updates_per_s
            ]
            if ratios:
                summary[f"ratio_{delay}ms_{chats}chats_{bot}_vs_{other}"] = _median(ratios, 2)
    for variant in sorted({r.bot for r in results if r.bot.startswith("ours")}):
        zero = [r for r in results if r.bot == variant and r.delay_ms == 0]
        if zero:
            biggest = max(zero, key=lambda r: r.chats)
            summary[f"ratio_0ms_{variant}_vs_baseline"] = summary.get(
                f"ratio_0ms_{biggest.chats}chats_{variant}_vs_baseline", 0.0
            )
    for bot in ("ours", "baseline"):
        mine = [r for r in results if r.bot.startswith(bot)]
        prefix = "" if bot == "ours" else "baseline_"
        summary[f"{prefix}lost"] = sum(r.lost for r in mine)
        summary[f"{prefix}duplicated"] = sum(r.duplicated for r in mine)
        summary[f"{prefix}out_of_order"] = sum(r.out_of_order for r in mine)
        summary[f"{prefix}step_timeouts"] = sum(r.timeouts for r in mine)
        summary[f"{prefix}unfinished_chats"] = sum(r.unfinished_chats for r in mine)
        summary[f"{prefix}webhook_retries"] = sum(r.webhook_retries for r in mine)
    summary["steps_per_chat"] = len(SCRIPT)
    summary["load1_max"] = round(max(loads, default=0.0), 2)
    summary["load1_mean"] = round(statistics.fmean(loads), 2) if loads else 0.0
    summary["cpus"] = os.cpu_count()
    summary["db"] = db
    print()
    print(json.dumps(summary, ensure_ascii=False))


def main() -> None:
    from flows import PG_URL  # bench/flows.py, beside this script

    parser = argparse.ArgumentParser(prog="python bench/channels.py")
    sub = parser.add_subparsers(dest="command")
    ours = sub.add_parser("serve-ours")
    ours.add_argument("db_url")
    ours.add_argument("fake_url")
    ours.add_argument("port", type=int)
    ours.add_argument("files_dir")
    ours.add_argument("workers", type=int)
    base = sub.add_parser("serve-baseline")
    base.add_argument("fake_url")
    base.add_argument("port", type=int)
    base.add_argument("pickle_path")
    parser.add_argument("--chats", default="50,200")
    parser.add_argument("--delays-ms", default="0,20")
    parser.add_argument("--budget-s", type=float, default=60.0, help="per configuration")
    parser.add_argument(
        "--db",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="our bot's database: a SQLite file (the default), or a private schema on --pg-url",
    )
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each configuration, bots interleaved; the JSON holds medians, and each "
        "ratio is the median of ratios between runs side by side",
    )
    parser.add_argument(
        "--show-surplus",
        action="store_true",
        help="print each reply counted as duplicated (a copy, or a text the calibration chat "
        "never got) with its chat's transcript",
    )
    parser.add_argument(
        "--bots",
        default="ours,ours2,baseline",
        help="ours (one process), oursN (N worker processes), baseline",
    )
    args = parser.parse_args()
    if args.command == "serve-ours":
        serve_ours_procs(args)
    elif args.command == "serve-baseline":
        _run(serve_baseline(args.fake_url, args.port, args.pickle_path), quiet_interrupt=True)
    else:
        _run(main_async(args))


def serve_ours_procs(args: argparse.Namespace) -> None:
    """`workers` processes share one listening socket, as `thidua serve --workers N`'s
    uvicorn workers do (forked here, so that each builds the bench's own app)."""
    procs = args.workers
    if procs <= 1:
        _run(
            serve_ours(args.db_url, args.fake_url, args.port, args.files_dir), quiet_interrupt=True
        )
        return
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    children = []
    for _ in range(procs - 1):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _run(
                serve_ours(args.db_url, args.fake_url, args.port, args.files_dir, sock),
                quiet_interrupt=True,
            )
            os._exit(0)
        children.append(pid)
    try:
        _run(
            serve_ours(args.db_url, args.fake_url, args.port, args.files_dir, sock),
            quiet_interrupt=True,
        )
    finally:
        for pid in children:
            os.kill(pid, signal.SIGINT)
        for pid in children:
            os.waitpid(pid, 0)


def _run(coro: Any, *, quiet_interrupt: bool = False) -> None:
    try:
        import uvloop

        uvloop.run(coro)
    except KeyboardInterrupt:  # how the driver stops a server (uvicorn re-raises SIGINT)
        if not quiet_interrupt:
            raise


if __name__ == "__main__":
    main()
