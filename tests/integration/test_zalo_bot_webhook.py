"""The registration flow over the Zalo Bot webhook: buttons become numbered text choices.

Zalo Bot has no buttons: every choice goes out as a numbered line and the person types the
number; the form engine maps it back to the last buttons shown. Updates are POSTed to the
real app with the `X-Bot-Api-Secret-Token` header; replies go through the outbox sender and
our httpx client to the fake Zalo Bot API on 127.0.0.1. The worker and the sender are
stepped by the test, so nothing depends on timing.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.zalo_bot import SECRET_HEADER, TEXT_LIMIT, ZaloBotChannel
from bot.delivery.services import Services
from bot.i18n import vi
from bot.store import registrations
from bot.store.inbox import InboxUpdate, ProcessedUpdate
from bot.store.models import ChannelIdentity, Registration
from bot.store.outbox import OutboxMessage
from bot.web.app import create_app
from tests.fakes.zalo_bot_api import FakeZaloBot, text_event
from tests.forms.conftest import World, build_world
from tests.integration.services import FAST, services, settle

TOKEN = "1459232241454765289:zalo-TEST-token"
SECRET = "zalo-webhook-secret-42"
HEAD = "zb-7f3a9c21e0d4"


@dataclass
class Rig:
    world: World
    fake: FakeZaloBot
    client: httpx.AsyncClient
    services: Services

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        response = await self.client.post(
            "/webhooks/zalo-bot",
            content=json.dumps({"ok": True, "result": update}),
            headers=headers,
        )
        return response.status_code

    async def settle(self) -> None:
        """Run the inbox and the outbox until both are empty."""
        await settle(self.services)

    async def say(self, text: str) -> dict[str, Any]:
        update = text_event(HEAD, text)
        assert await self.post(update) == 200
        await self.settle()
        return update

    async def choose(self, label: str) -> None:
        """Type the number of the choice whose label contains `label` in the last message."""
        await self.say(self.number_of(label))

    def number_of(self, label: str) -> str:
        for line in self.last.splitlines():
            match = re.match(r"^(\d+)\. (.*)$", line)
            if match and label.lower() in match.group(2).lower():
                return match.group(1)
        raise AssertionError(f"no choice {label!r} in {self.last!r}")

    @property
    def texts(self) -> list[str]:
        return self.fake.texts(HEAD)

    @property
    def last(self) -> str:
        return self.texts[-1]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    with world.sessions.begin() as session:
        session.add(
            ChannelIdentity(
                channel="zalo_bot",
                external_id=HEAD,
                person_id=world.people["head"],
                linked_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )
    async with FakeZaloBot(token=TOKEN) as fake:
        channel = ZaloBotChannel(TOKEN, base_url=fake.url, webhook_secret=SECRET)
        running = services(
            world, {"zalo_bot": channel}, limits={"zalo_bot": FAST}, background=False
        )
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Rig(world, fake, client, running)
        await channel.close()
    world.engine.dispose()


async def test_a_whole_registration_with_numbered_choices(rig: Rig) -> None:
    await rig.say("Đăng ký thi đua")
    assert vi.REG_ASK_COLLECTIVE in rig.last
    assert "1. " in rig.last  # the buttons arrived as numbered lines
    await rig.choose("Tập thể lao động xuất sắc")
    await rig.say("1")  # numbered choice: Lao động tiên tiến
    await rig.say("12")
    await rig.say("xong")
    await rig.say("thêm chỉ tiêu")
    await rig.say("Thu ngân sách trên địa bàn")
    await rig.say("triệu đồng")
    await rig.say("1.234,5")
    await rig.say("30/11")
    await rig.choose("Xong")
    assert "Danh hiệu tập thể: Tập thể lao động xuất sắc" in rig.last
    await rig.choose("Xác nhận và nộp")
    assert "phiên bản 1" in rig.last

    with rig.world.sessions() as session:
        reg = session.scalars(select(Registration)).one()
        assert (reg.status, reg.collective_title) == (registrations.SUBMITTED, "TTLDXS")
        outbox = session.scalars(select(OutboxMessage)).all()
    assert outbox and all(row.status == "sent" for row in outbox)
    assert len(rig.texts) == len(outbox)  # every reply reached the chat once, in order
    assert all(len(text) <= TEXT_LIMIT for text in rig.texts)


async def test_a_wrong_or_missing_secret_is_refused(rig: Rig) -> None:
    update = text_event(HEAD, "/help")
    assert await rig.post(update, secret="wrong-secret") == 403
    assert await rig.post(update, secret=None) == 403
    await rig.settle()
    assert rig.texts == []
    with rig.world.sessions() as session:
        assert session.scalars(select(InboxUpdate)).all() == []


async def test_a_redelivered_event_is_processed_once(rig: Rig) -> None:
    update = await rig.say("Đăng ký thi đua")
    sent = len(rig.texts)
    assert sent >= 1
    assert await rig.post(copy.deepcopy(update)) == 200  # same event name and message_id
    await rig.settle()
    assert len(rig.texts) == sent
    with rig.world.sessions() as session:
        keys = session.scalars(select(ProcessedUpdate.update_key)).all()
    assert keys == [f"zb:message.text.received:{update['message']['message_id']}"]
    # The same body under a new message id is a new update, and it is answered.
    other = copy.deepcopy(update)
    other["message"]["message_id"] = update["message"]["message_id"] + "-b"
    assert await rig.post(other) == 200
    await rig.settle()
    assert len(rig.texts) > sent


async def test_a_long_answer_is_split_under_2000_characters(rig: Rig) -> None:
    question = " ".join(["Tiêu chuẩn danh hiệu chiến sĩ thi đua cơ sở là gì?"] * 90)
    assert len(question) > 2 * TEXT_LIMIT
    await rig.say(question)
    texts = rig.texts
    assert len(texts) >= 2
    assert all(1 <= len(text) <= TEXT_LIMIT for text in texts)
    joined = " ".join(part.strip() for part in texts)
    assert joined.split() == f"[Hỏi đáp] {question}".split()  # nothing lost or repeated
    with rig.world.sessions() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert (row.status, row.parts_sent) == ("sent", 0)


async def test_the_token_and_the_secret_never_reach_the_logs(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Every Zalo Bot API URL holds the token (httpx logs each request's URL)."""
    caplog.set_level(logging.DEBUG)
    await rig.say("/help")
    assert await rig.post(text_event(HEAD, "/help"), secret="wrong-secret") == 403
    assert rig.texts  # the request was made, and logged
    assert any("sendMessage" in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text
    assert SECRET not in caplog.text
