"""A progress report with a photo over Telegram long polling: getUpdates, getFile, the inbox,
the flows and the outbox, with the real python-telegram-bot client against the fake API; and a
poll the database could not store, kept until it could."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.channels.telegram import TelegramChannel, make_bot
from bot.delivery import polling
from bot.delivery.polling import run_polling
from bot.store.models import ChannelIdentity, ProgressReport
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import callback_update, message_update, photo_update
from tests.forms.conftest import build_world
from tests.forms.test_report import NARRATIVE, register
from tests.integration.services import FAST, services

TOKEN = "7012345678:AAH-test-SECRET-token"
CHAT = 5012345678
PHOTO = b"\xff\xd8\xff\xe0 anh hoi nghi so ket quy 1"


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the bot to catch up; bounded so a broken pipeline fails instead of hanging."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


async def test_report_with_a_photo_over_polling(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    register(world)  # the head registered on the console earlier
    with world.sessions.begin() as session:
        session.add(
            ChannelIdentity(
                channel="telegram",
                external_id=str(CHAT),
                person_id=world.people["head"],
                linked_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        running_parts = services(world, {"telegram": channel}, limits={"telegram": FAST})
        stop = asyncio.Event()
        running = asyncio.create_task(run_polling(running_parts, stop))

        def texts() -> list[str]:
            return fake.texts(CHAT)

        async def send(update: dict[str, object], expect: str) -> None:
            before = len(texts())
            fake.push_update(update)
            await until(
                lambda: len(texts()) > before and expect in "\n".join(texts()[before:]), expect
            )

        try:
            await send(message_update(CHAT, "báo cáo tiến độ"), "Chỉ tiêu 1/2")
            await send(message_update(CHAT, "85%"), "Chỉ tiêu 2/2")
            await send(message_update(CHAT, "1.234,5"), "")
            await send(message_update(CHAT, NARRATIVE), "tối đa 10 tệp")
            await send(photo_update(fake, CHAT, PHOTO), "Đã nhận tệp")
            await send(callback_update(CHAT, fake.callback_data(CHAT, "Xong")), "BÁO CÁO TIẾN ĐỘ")
            await send(
                callback_update(CHAT, fake.callback_data(CHAT, "Xác nhận và nộp")),
                "Đã nộp báo cáo Quý 1",
            )
        finally:
            stop.set()
            await running

    with world.sessions() as session:
        [report] = session.scalars(select(ProgressReport)).all()
        assert report.status == "submitted"
        [attachment] = report.attachments
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert attachment.content_hash == sha
    assert (world.files.root / sha[:2] / sha).read_bytes() == PHOTO
    assert fake.webhook == {} or not fake.webhook.get("url")  # polling removed any webhook
    world.engine.dispose()


async def test_a_poll_the_database_could_not_store_is_stored_later_and_polling_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite was locked when a poll's updates were to be stored: they are kept (the next poll
    would confirm them to Telegram) and stored once the database answers; the polls go on."""
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    real = polling.store_updates
    refused: list[int] = []

    def locked_once(*args: Any) -> Any:
        if not refused:
            refused.append(len(args[2]))
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
        return real(*args)

    monkeypatch.setattr(polling, "store_updates", locked_once)
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        running_parts = services(world, {"telegram": channel}, limits={"telegram": FAST})
        stop = asyncio.Event()
        running = asyncio.create_task(run_polling(running_parts, stop))
        try:
            fake.push_update(message_update(CHAT, "câu thứ nhất"))
            await until(lambda: len(fake.texts(CHAT)) >= 1, "the refused update's reply")
            assert refused == [1]
            fake.push_update(message_update(CHAT, "câu thứ hai"))
            await until(lambda: len(fake.texts(CHAT)) >= 2, "the next poll's reply")
        finally:
            stop.set()
            await running
    assert fake.texts(CHAT) == ["[Hỏi đáp] câu thứ nhất", "[Hỏi đáp] câu thứ hai"]
    world.engine.dispose()


async def test_polling_survives_updates_it_cannot_read_and_goes_on(tmp_path: Path) -> None:
    """PTB cannot read a callback without `chat_instance` (a non-conforming server sent it),
    which failed the whole poll; our parser reads it, and skips alone an update whose chat is
    a string. The offset goes past both and the polls go on."""
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        running_parts = services(world, {"telegram": channel}, limits={"telegram": FAST})
        stop = asyncio.Event()
        running = asyncio.create_task(run_polling(running_parts, stop))
        try:
            no_instance = callback_update(CHAT, "không-có-nút-này")
            del no_instance["callback_query"]["chat_instance"]
            fake.push_update(no_instance)
            fake.push_update({"message": {"message_id": 1, "date": 0, "chat": "một chuỗi"}})
            fake.push_update(message_update(CHAT, "câu thứ nhất"))
            await until(lambda: "[Hỏi đáp] câu thứ nhất" in fake.texts(CHAT), "the next reply")
            fake.push_update(message_update(CHAT, "câu thứ hai"))
            await until(lambda: "[Hỏi đáp] câu thứ hai" in fake.texts(CHAT), "a later poll's")
            assert not running.done()
            health = running_parts.supervisor.health()["polling:telegram"]
            assert (health.state, health.restarts) == ("running", 0)  # skipped, not restarted
        finally:
            stop.set()
            await running
    texts = fake.texts(CHAT)
    assert texts.index("[Hỏi đáp] câu thứ nhất") < texts.index("[Hỏi đáp] câu thứ hai")
    assert len(fake.calls_to("answerCallbackQuery")) == 1  # the button press was handled
    world.engine.dispose()
