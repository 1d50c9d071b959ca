"""The real app served by uvicorn on 127.0.0.1 with every webhook channel, each adapter talking
to its fake platform, over a test world: the rig of the tests that attack the webhooks.

The inbox worker and the outbox sender are stepped by the test (`settle`), so nothing depends
on timing; requests go over real HTTP, so what uvicorn reads and answers is what is measured.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from bot.channels.telegram import SECRET_HEADER as TG_SECRET_HEADER
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo_bot import SECRET_HEADER as ZB_SECRET_HEADER
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import (
    SIGNATURE_HEADER,
    MemoryTokenStore,
    OATokens,
    ZaloOAChannel,
    sign,
)
from bot.delivery.services import Services
from bot.store.inbox import InboxUpdate
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA
from tests.forms.conftest import World
from tests.integration.services import FAST, services, settle

TG_TOKEN = "7012345678:AAH-test-SECRET-token"
TG_SECRET = "webhook-secret-42"
ZB_TOKEN = "1459232241454765289:zalo-TEST-token"
ZB_SECRET = "zalo-bot-secret-42"
DAY = timedelta(days=1)
PATHS = {"telegram": "telegram", "zalo_bot": "zalo-bot", "zalo_oa": "zalo-oa"}


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app under uvicorn on a free port of 127.0.0.1, its lifespan included; the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # start-up failed: raise its error here
        await asyncio.sleep(0.005)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Live:
    world: World
    telegram: FakeTelegram
    zalo_bot: FakeZaloBot
    zalo_oa: FakeZaloOA
    services: Services
    client: httpx.AsyncClient
    url: str

    async def post(self, channel: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        """POSTs a raw body to a channel's webhook with its secret (Zalo OA: as given)."""
        sent = dict(headers or {})
        if channel == "telegram":
            sent.setdefault(TG_SECRET_HEADER, TG_SECRET)
        elif channel == "zalo_bot":
            sent.setdefault(ZB_SECRET_HEADER, ZB_SECRET)
        response = await self.client.post(f"/webhooks/{PATHS[channel]}", content=body, headers=sent)
        return response.status_code

    async def send(self, channel: str, update: Any) -> int:
        """An update as its platform sends it: JSON with the secret, or signed (Zalo OA)."""
        if channel == "zalo_oa":
            body, headers = self.signed(update)
            return await self.post(channel, body, headers)
        return await self.post(channel, json.dumps(update).encode())

    def signed(self, event: Any) -> tuple[bytes, dict[str, str]]:
        """A Zalo OA event signed as Zalo signs it; an event that is not an object is signed
        with an empty timestamp."""
        if isinstance(event, dict):
            return self.zalo_oa.signed(event)
        return self.signed_raw(json.dumps(event, ensure_ascii=False).encode())

    def signed_raw(self, body: bytes, timestamp: str = "") -> tuple[bytes, dict[str, str]]:
        """Any bytes signed for Zalo OA as covering `timestamp`."""
        mac = sign(self.zalo_oa.app_id, body, timestamp, self.zalo_oa.oa_secret)
        return body, {SIGNATURE_HEADER: mac, "Content-Type": "application/json"}

    def stored(self) -> list[tuple[str, str]]:
        """(channel, update key) of every update in the inbox."""
        with self.world.sessions() as session:
            rows = session.execute(select(InboxUpdate.channel, InboxUpdate.update_key))
            return sorted((channel, key) for channel, key in rows)

    async def settle(self) -> None:
        await settle(self.services)

    def answered(self, channel: str, chat: str) -> list[str]:
        """Texts that reached a chat on the channel's fake platform."""
        if channel == "telegram":
            return self.telegram.texts(chat)
        if channel == "zalo_bot":
            return self.zalo_bot.texts(chat)
        return self.zalo_oa.texts(chat)


@asynccontextmanager
async def live_app(world: World) -> AsyncIterator[Live]:
    """The three webhook channels against their fakes, behind the real app under uvicorn."""
    async with (
        FakeTelegram(token=TG_TOKEN, bot_username="ThiDuaTestBot") as tg_fake,
        FakeZaloBot(token=ZB_TOKEN) as zb_fake,
        FakeZaloOA() as oa_fake,
    ):
        telegram = TelegramChannel(
            make_bot(TG_TOKEN, base_url=tg_fake.url),
            bot_username="ThiDuaTestBot",
            webhook_secret=TG_SECRET,
        )
        zalo_bot = ZaloBotChannel(ZB_TOKEN, webhook_secret=ZB_SECRET, base_url=zb_fake.url)
        zalo_oa = ZaloOAChannel(
            app_id=oa_fake.app_id,
            app_secret=oa_fake.app_secret,
            oa_secret=oa_fake.oa_secret,
            tokens=MemoryTokenStore(
                OATokens(oa_fake.access_token, oa_fake.refresh_token, world.clock() + DAY)
            ),
            api_base=oa_fake.url,
            oauth_base=oa_fake.url,
            now=world.clock,
        )
        channels = {"telegram": telegram, "zalo_bot": zalo_bot, "zalo_oa": zalo_oa}
        running = services(
            world,
            channels,
            limits=dict.fromkeys(channels, FAST),
            background=False,
            answer_buttons=False,
        )
        await telegram.start()
        async with (
            serving(create_app(running)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield Live(world, tg_fake, zb_fake, oa_fake, running, client, url)
