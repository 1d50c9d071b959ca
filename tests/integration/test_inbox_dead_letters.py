"""An update that cannot be handled does not block its chat: a photo whose file Telegram will
not serve (getFile answers 400) ends as a dead letter after its tries, the person is told and
their next message is answered; a photo whose getFile keeps failing with 5xx is tried again
and again, but holds the chat's next message back only for the hold.

The real app over its webhook, the inbox worker and the sender stepped by the test, the fake
Bot API on 127.0.0.1 and the world's clock: nothing depends on timing. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.delivery.services import Services
from bot.delivery.worker import Retries
from bot.i18n import channels_vi
from bot.store.inbox import InboxUpdate
from bot.store.models import ChannelIdentity
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update, photo_update
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHAT = 5012345678
PHOTO = b"\xff\xd8\xff\xe0 anh hoi nghi"
UNREADABLE = channels_vi.ATTACHMENT_UNREADABLE.split("«", 1)[0]  # "Không đọc được tệp đính kèm "


@dataclass
class Rig:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services

    async def post(self, update: dict[str, Any]) -> None:
        response = await self.client.post(
            "/webhooks/telegram", content=json.dumps(update), headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200

    async def step(self, seconds: float) -> None:
        """The clock moves on; the worker and the sender do what is due."""
        self.world.clock.advance(seconds=seconds)
        await settle(self.services)

    def texts(self) -> list[str]:
        return self.fake.texts(CHAT)

    def photo_row(self) -> InboxUpdate:
        with self.world.sessions() as session:
            [first, *_] = session.scalars(select(InboxUpdate).order_by(InboxUpdate.id)).all()
            return first


def gone_photo(update_id: int) -> dict[str, Any]:
    """A photo whose file_id the Bot API does not know: getFile answers 400."""
    size = {"file_id": "AgACGONE", "file_unique_id": "uGONE", "width": 640, "height": 480}
    return message_update(CHAT, update_id=update_id, photo=[size])


def rig_fixture(retries: Retries) -> Any:
    @pytest.fixture
    async def rig(world: World) -> AsyncIterator[Rig]:
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
            channel = TelegramChannel(
                make_bot(TOKEN, base_url=fake.url),
                bot_username="ThiDuaTestBot",
                webhook_secret=SECRET,
            )
            await channel.start()
            running = services(
                world,
                {"telegram": channel},
                limits={"telegram": FAST},
                background=False,
                answer_buttons=False,
                retries=retries,
            )
            transport = httpx.ASGITransport(app=create_app(running))
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
                yield Rig(world, fake, client, running)
            await channel.close()

    return rig


rig = rig_fixture(Retries())  # the defaults: 3 tries, a 60 s hold, a day of retries


async def test_a_file_the_platform_refuses_is_a_dead_letter_and_the_next_message_is_answered(
    rig: Rig,
) -> None:
    await rig.post(gone_photo(800_001))
    await rig.post(message_update(CHAT, "xin chào", update_id=800_002))
    await settle(rig.services)
    assert rig.texts() == []  # the photo failed once; the question waits behind it
    for _ in range(10):  # five minutes at a time, until the chat is answered
        if rig.texts():
            break
        await rig.step(300)
    texts = rig.texts()
    assert len(texts) == 2
    assert texts[0].startswith(UNREADABLE)
    assert texts[1] == "[Hỏi đáp] xin chào"
    assert len(rig.fake.calls_to("getFile")) == 3  # the default number of tries, no more
    dead = rig.photo_row()
    assert dead.dead_at is not None and dead.processed_at is not None
    assert dead.last_error == "BadRequest: Invalid file_id"
    assert dead.attempts == 3
    # Telegram delivers the photo again: its key was recorded with the dead letter.
    response = await rig.client.post(
        "/webhooks/telegram",
        content=json.dumps(gone_photo(800_001)),
        headers={SECRET_HEADER: SECRET},
    )
    assert response.status_code == 200
    await rig.step(300)
    assert len(rig.texts()) == 2 and len(rig.fake.calls_to("getFile")) == 3


async def test_a_platform_that_keeps_failing_holds_the_chat_only_for_the_hold(rig: Rig) -> None:
    rig.fake.fail_5xx("getFile", status=502, times=1000)
    await rig.post({**photo_update(rig.fake, CHAT, PHOTO, caption="ảnh"), "update_id": 800_101})
    await rig.post(message_update(CHAT, "xin chào", update_id=800_102))
    await settle(rig.services)
    first = rig.world.clock()
    while not rig.texts():  # a second at a time: when does the question get through?
        assert rig.world.clock() - first <= timedelta(seconds=62), "held past the hold"
        await rig.step(1)
    waited = rig.world.clock() - first
    assert timedelta(seconds=60) < waited
    assert rig.texts() == ["[Hỏi đáp] xin chào"]
    tries = len(rig.fake.calls_to("getFile"))
    photo = rig.photo_row()
    assert photo.processed_at is None and photo.dead_at is None  # still being tried
    assert photo.failing_since == first
    assert photo.last_error == "NetworkError: Internal Server Error"
    rig.fake.clear_faults()  # Telegram is well again
    for _ in range(10):
        if len(rig.texts()) > 1:
            break
        await rig.step(300)
    assert len(rig.fake.calls_to("getFile")) > tries
    assert rig.texts()[0] == "[Hỏi đáp] xin chào"  # the photo's answer came after
    assert len(rig.texts()) == 2 and not rig.texts()[1].startswith(UNREADABLE)
    assert rig.photo_row().processed_at is not None and rig.photo_row().dead_at is None


short_retries = rig_fixture(Retries(give_up=timedelta(hours=1)))


async def test_a_platform_failing_for_longer_than_the_retries_last_ends_in_a_dead_letter(
    short_retries: Rig,
) -> None:
    rig = short_retries
    rig.fake.fail_5xx("getFile", status=500, times=1000)
    await rig.post({**photo_update(rig.fake, CHAT, PHOTO), "update_id": 800_201})
    await settle(rig.services)
    for _ in range(30):  # five minutes at a time: an hour of 500s
        if rig.texts():
            break
        await rig.step(300)
    [notice] = rig.texts()
    assert notice.startswith(UNREADABLE)
    dead = rig.photo_row()
    assert dead.dead_at is not None and dead.failing_since is not None
    assert dead.dead_at - dead.failing_since >= timedelta(hours=1)
