"""A reminder end to end over Telegram long polling: the reminder loop inside `run_polling`
queues it, the sender delivers it through the real PTB client to the fake Bot API, and the
unit head presses «Nhắc lại sau» and «Đã nộp bằng văn bản» under it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import update

from bot.channels.telegram import TelegramChannel, make_bot
from bot.delivery.polling import run_polling
from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.loop import ReminderScheduler
from bot.reminders.reach import RoutingPolicy, route_by
from bot.store.models import ChannelIdentity, Movement
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update
from tests.forms.conftest import build_world
from tests.integration.services import services
from tests.integration.test_telegram_polling import until
from tests.reminders.conftest import at

TOKEN = "7012345678:AAH-test-SECRET-token"
CHAT = 5012345678


async def test_a_reminder_reaches_telegram_and_its_buttons_work(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    with world.sessions.begin() as session:
        session.execute(update(Movement).values(pledge_deadline=None))
        session.add(
            ChannelIdentity(
                channel="telegram",
                external_id=str(CHAT),
                person_id=world.people["head"],
                linked_at=datetime(2026, 1, 5, tzinfo=UTC),
                last_interaction_at=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
    world.clock.current = at(date(2026, 3, 31))
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        channels = {"telegram": channel}
        parts = services(world, channels)
        chaser = Chaser(WorkCalendar(), route_by(RoutingPolicy(), channels))
        parts.reminders = ReminderScheduler(
            world.sessions, chaser, now=world.clock, on_queued=parts.sender.wake
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_polling(parts, stop))

        def texts() -> list[str]:
            return fake.texts(CHAT)

        try:
            await until(lambda: any("hạn cuối đăng ký thi đua" in t for t in texts()), "reminder")
            [reminder] = texts()
            assert reminder.startswith("⏰ Nhắc việc: hôm nay (31/03/2026) là hạn cuối")
            fake.push_update(callback_update(CHAT, fake.callback_data(CHAT, "Nhắc lại sau")))
            await until(lambda: any(t.startswith("Đã hẹn") for t in texts()), "snooze reply")
            fake.push_update(callback_update(CHAT, fake.callback_data(CHAT, "Đã nộp bằng văn bản")))
            await until(lambda: any(t.startswith("Đã ghi nhận") for t in texts()), "paper reply")
        finally:
            stop.set()
            await running
    assert len([t for t in texts() if t.startswith("⏰")]) == 1  # once, however many passes ran
    world.engine.dispose()
