"""Fakes started in the test's event loop, and adapters pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import MemoryTokenStore, ZaloOAChannel
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA

TG_TOKEN = "7012345678:AAH-test-SECRET-token"
TG_USERNAME = "ThiDuaTestBot"
ZB_TOKEN = "1459232241454765289:zbSECRETtoken"


@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TG_TOKEN, bot_username=TG_USERNAME) as fake:
        yield fake


@pytest.fixture
async def tg(tg_fake: FakeTelegram) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(make_bot(TG_TOKEN, base_url=tg_fake.url), bot_username=TG_USERNAME)
    await channel.start()
    yield channel
    await channel.close()


@pytest.fixture
async def zb_fake() -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot(token=ZB_TOKEN) as fake:
        yield fake


@pytest.fixture
async def zb(zb_fake: FakeZaloBot) -> AsyncIterator[ZaloBotChannel]:
    channel = ZaloBotChannel(ZB_TOKEN, base_url=zb_fake.url)
    yield channel
    await channel.close()


@pytest.fixture
async def oa_fake() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake


@pytest.fixture
def oa_store(oa_fake: FakeZaloOA) -> MemoryTokenStore:
    return MemoryTokenStore(oa_fake.initial_tokens())


@pytest.fixture
async def oa(oa_fake: FakeZaloOA, oa_store: MemoryTokenStore) -> AsyncIterator[ZaloOAChannel]:
    channel = ZaloOAChannel(
        app_id=oa_fake.app_id,
        app_secret=oa_fake.app_secret,
        oa_secret=oa_fake.oa_secret,
        tokens=oa_store,
        api_base=oa_fake.url,
        oauth_base=oa_fake.url,
    )
    yield channel
    await channel.close()
