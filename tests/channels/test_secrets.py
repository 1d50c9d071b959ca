"""Tokens and secrets never reach log output or SendResult.detail, on success or failure."""

from __future__ import annotations

import logging

import pytest

from bot.channels.base import ChannelError, SendResult
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import MemoryTokenStore, OATokens, ZaloOAChannel
from bot.messages import Reply
from tests.channels.conftest import TG_TOKEN, TG_USERNAME, ZB_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_bot_api import FakeZaloBot
from tests.fakes.zalo_oa_api import FakeZaloOA


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text


async def test_telegram_token(caplog: pytest.LogCaptureFixture, tg_fake: FakeTelegram) -> None:
    caplog.set_level(logging.DEBUG)
    channel = TelegramChannel(make_bot(TG_TOKEN, base_url=tg_fake.url), bot_username=TG_USERNAME)
    await channel.start()
    results: list[SendResult] = [await channel.send("1", Reply("xin chào"))]
    tg_fake.fail_429()
    tg_fake.block("2")
    results.append(await channel.send("1", Reply("a")))
    results.append(await channel.send("2", Reply("a")))
    tg_fake.fail("sendMessage", 400, f"Bad Request: echoing {TG_TOKEN}")
    results.append(await channel.send("1", Reply("a")))
    await channel.close()
    assert "HTTP Request: POST" in caplog.text  # httpx did log the request URLs ...
    assert "/bot<redacted>/sendMessage" in caplog.text  # ... with the token taken out
    assert_clean(caplog.text, [TG_TOKEN])
    assert_clean(" ".join(r.detail for r in results), [TG_TOKEN])
    assert "<redacted>" in results[-1].detail


async def test_zalo_bot_token(caplog: pytest.LogCaptureFixture, zb_fake: FakeZaloBot) -> None:
    caplog.set_level(logging.DEBUG)
    channel = ZaloBotChannel(ZB_TOKEN, base_url=zb_fake.url)
    results = [await channel.send("u1", Reply("xin chào"))]
    zb_fake.fail("sendMessage", 400, f"bad token {ZB_TOKEN}")
    results.append(await channel.send("u1", Reply("a")))
    with pytest.raises(ChannelError) as caught:
        await channel.set_webhook("https://x.example/zalo", "short")
    await channel.close()
    assert "<redacted>" in caplog.text
    assert_clean(caplog.text + str(caught.value), [ZB_TOKEN])
    assert_clean(" ".join(r.detail for r in results), [ZB_TOKEN])
    assert "<redacted>" in results[-1].detail


async def test_zalo_oa_tokens_and_secrets(
    caplog: pytest.LogCaptureFixture, oa_fake: FakeZaloOA
) -> None:
    caplog.set_level(logging.DEBUG)
    first = oa_fake.initial_tokens()
    store = MemoryTokenStore(OATokens("revoked-access", first.refresh_token, first.expires_at))
    channel = ZaloOAChannel(
        app_id=oa_fake.app_id,
        app_secret=oa_fake.app_secret,
        oa_secret=oa_fake.oa_secret,
        tokens=store,
        api_base=oa_fake.url,
        oauth_base=oa_fake.url,
    )
    results = [await channel.send("u1", Reply("xin chào"))]
    assert store.tokens is not None
    oa_fake.fail_cs(-201)
    oa_fake.inject(200, {"error": -124, "message": f"bad {store.tokens.access_token}"}, method="cs")
    results += [await channel.send("u1", Reply("a")), await channel.send("u1", Reply("b"))]
    await channel.close()
    secrets = [
        oa_fake.app_secret,
        oa_fake.oa_secret,
        first.refresh_token,
        store.tokens.access_token,
        store.tokens.refresh_token,
    ]
    assert "HTTP Request" in caplog.text
    assert_clean(caplog.text, secrets)
    assert_clean(" ".join(r.detail for r in results), secrets)
    assert "<redacted>" in results[-1].detail
