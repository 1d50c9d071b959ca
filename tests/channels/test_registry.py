"""Channels as plug-ins: the registry builds the configured ones from Settings, and a new
platform needs nothing but a `Channel` subclass (every ability has a default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.channels import registry
from bot.channels.base import Channel, ChannelContext, RateLimits, SendResult, SendStatus, Update
from bot.channels.telegram_parse import MemoryCallbackStore
from bot.channels.zalo_oa import MemoryTokenStore
from bot.config import Settings
from bot.messages import Incoming, Reply


def _context() -> ChannelContext:
    return ChannelContext(
        callback_store=MemoryCallbackStore,
        token_store=lambda _name, _initial: MemoryTokenStore(),
    )


async def _built(**values: Any) -> set[str]:
    channels = registry.build_channels(Settings(**values), _context())
    try:
        return set(channels)
    finally:
        for channel in channels.values():
            await channel.close()


async def test_nothing_configured_builds_no_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")  # no .env of a developer's
    assert await _built() == set()


async def test_each_channel_is_built_from_its_own_settings() -> None:
    assert await _built(telegram_token="1:tg-test-token-registry") == {"telegram"}
    assert await _built(zalo_bot_token="zb-test-token-registry") == {"zalo_bot"}
    oa = {
        "zalo_oa_app_id": "app-1",
        "zalo_oa_app_secret": "app-secret-registry",
        "zalo_oa_secret_key": "oa-secret-registry",
    }
    assert await _built(**oa) == {"zalo_oa"}
    zns = {"zalo_zns_template_id": "tpl-1"}
    assert await _built(**oa, **zns) == {"zalo_oa", "zalo_zns"}
    assert await _built(**zns) == set()  # ZNS sends through the OA's tokens: no OA, no ZNS


async def test_webhook_paths_are_distinct_and_known() -> None:
    settings = Settings(
        telegram_token="1:tg-test-token-paths",
        zalo_bot_token="zb-test-token-paths",
        zalo_oa_app_id="app-2",
        zalo_oa_app_secret="app-secret-paths",
        zalo_oa_secret_key="oa-secret-paths",
    )
    channels = registry.build_channels(settings, _context())
    paths = {name: channel.webhook_path for name, channel in channels.items()}
    assert paths == {"telegram": "telegram", "zalo_bot": "zalo-bot", "zalo_oa": "zalo-oa"}
    for channel in channels.values():
        await channel.close()


class Viber(Channel):
    """A platform the assistant does not know yet: only what it must say."""

    name = "viber"

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        return SendResult(SendStatus.SENT, parts_sent=1)

    def parse(self, payload: Mapping[str, Any]) -> Update:
        return Update(str(payload["id"]), Incoming(self.name, "c", "u", text="hi"))


async def test_a_new_channel_gets_safe_defaults() -> None:
    viber = Viber()
    assert viber.webhook_path is None and not viber.can_poll
    assert not viber.verify_webhook({"X-Any": "secret"}, b"{}")  # refused unless it knows how
    assert viber.rate_limits == RateLimits()
    assert not viber.is_group("-100")
    assert viber.last_interaction({"id": 1}) is None
    incoming = Incoming("viber", "c", "u", text="x")
    assert await viber.resolve_attachments(incoming) is incoming
    assert await viber.answer_button("cb") is None
    with pytest.raises(NotImplementedError):
        await viber.poll(1)
