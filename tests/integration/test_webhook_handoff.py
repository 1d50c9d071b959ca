"""Webhook updates go from the receiver straight to the inbox worker, without a claim.

With the app's own loops running (as under `thidua serve`), an update whose chat has nothing
earlier open is stored leased to this process and processed at once; a second update of the
same chat that arrives while the first is open is stored open and taken by a claim once the
first is done. Order within the chat holds either way.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.store import delivery
from bot.store.delivery import InboxUpdate
from bot.web.app import TELEGRAM_SECRET_HEADER, create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import build_world
from tests.integration.services import web_services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHAT = 7_300_000


async def _until(condition: Any, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def test_updates_are_handed_to_the_worker_and_a_busy_chats_next_one_waits_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    claimed: list[int] = []
    real_claim = delivery.claim_inbox

    def spying(session: Any, **kw: Any) -> list[delivery.ClaimedUpdate]:
        rows = real_claim(session, **kw)
        claimed.extend(row.id for row in rows)
        return rows

    monkeypatch.setattr(delivery, "claim_inbox", spying)
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        channel = TelegramChannel(make_bot(TOKEN, base_url=fake.url), bot_username="ThiDuaTestBot")
        await channel.start()
        services = web_services(
            world, {"telegram": channel}, secrets={"telegram": SECRET}, background=True
        )
        app = create_app(services)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://app") as client,
        ):

            async def post(text: str, update_id: int) -> int:
                body = json.dumps(message_update(CHAT, text, update_id=update_id))
                response = await client.post(
                    "/webhooks/telegram", content=body, headers={TELEGRAM_SECRET_HEADER: SECRET}
                )
                return response.status_code

            # Together: one batch, one commit; the first is leased, the second waits for it.
            assert await asyncio.gather(post("câu một", 1), post("câu hai", 2)) == [200, 200]
            await _until(lambda: len(fake.texts(CHAT)) >= 2, "both answers")
            assert await post("câu ba", 3) == 200  # the chat is free again: leased at once
            await _until(lambda: len(fake.texts(CHAT)) >= 3, "the third answer")
        await channel.close()
    with world.sessions() as session:
        rows = session.execute(
            select(InboxUpdate.id, InboxUpdate.update_key, InboxUpdate.processed_at).order_by(
                InboxUpdate.id
            )
        ).all()
    world.engine.dispose()
    assert [t.split("] ", 1)[-1] for t in fake.texts(CHAT)] == ["câu một", "câu hai", "câu ba"]
    assert all(row.processed_at is not None for row in rows)
    by_key = {row.update_key: row.id for row in rows}
    assert by_key["tg:2"] in claimed  # it waited for the first, then a claim took it
    assert by_key["tg:1"] not in claimed and by_key["tg:3"] not in claimed  # handed over
