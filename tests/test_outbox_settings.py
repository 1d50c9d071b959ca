"""The outbox's time settings as the server builds them: sends wait longer than the platform,
a send without an answer is not repeated at once, and retries last a day by default."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot import wiring
from bot.channels import registry
from bot.channels.base import ChannelContext
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_parse import MemoryCallbackStore
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_oa import MemoryTokenStore
from bot.config import Settings
from bot.delivery.sender import RetryPolicy

TELEGRAM_OWN_WAIT_S = 60  # what Telegram itself waits for a webhook's answer


def test_defaults_wait_past_the_platform_and_retry_for_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir("/")  # no .env of a developer's
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.send_timeout > TELEGRAM_OWN_WAIT_S
    policy = wiring.retry_policy(settings)
    assert policy.give_up_after >= timedelta(hours=24)
    assert policy.max_delay == timedelta(minutes=5)
    # An uncertain send waits twice the send timeout, more than a lease, before it goes again.
    assert policy.uncertain_delay == 2 * timedelta(seconds=settings.send_timeout)
    assert policy.uncertain_delay > timedelta(seconds=settings.lease_s)


def test_back_off_doubles_up_to_its_cap() -> None:
    policy = RetryPolicy(max_delay=timedelta(seconds=300))
    delays = [policy.delay(n).total_seconds() for n in range(1, 13)]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert policy.delay(10_000) == timedelta(seconds=300)


async def test_the_channels_send_with_the_configured_timeout() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token="7012345678:AAH-test-token",
        zalo_bot_token="1:zalo-token",
        send_timeout=120,
    )
    context = ChannelContext(
        callback_store=MemoryCallbackStore, token_store=lambda _n, _i: MemoryTokenStore()
    )
    channels = registry.build_channels(settings, context)
    try:
        telegram, zalo = channels["telegram"], channels["zalo_bot"]
        assert isinstance(telegram, TelegramChannel) and isinstance(zalo, ZaloBotChannel)
        assert telegram.bot.request.read_timeout == 120
        assert zalo.client.timeout == httpx.Timeout(120, connect=10, pool=10)
    finally:
        for channel in channels.values():
            await channel.close()
