"""The channels this assistant knows, in the order they are built (Zalo ZNS sends through the
Zalo OA's tokens, so it comes after it). Each entry names a module whose `from_settings(
settings, context)` returns its adapter, or None when its settings are not filled in; modules
load only when asked for, so a deployment without Zalo never imports its code."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from bot.channels.base import Channel, ChannelContext

CHANNELS: tuple[tuple[str, str], ...] = (
    ("telegram", "bot.channels.telegram"),
    ("zalo_bot", "bot.channels.zalo_bot"),
    ("zalo_oa", "bot.channels.zalo_oa"),
    ("zalo_zns", "bot.channels.zalo_zns"),
)


def build_channels(settings: Any, context: ChannelContext) -> dict[str, Channel]:
    """Every channel whose settings are filled in, by name. `settings` is the application's
    Settings; each factory reads only its own fields."""
    built: dict[str, Channel] = {}
    for name, module in CHANNELS:
        factory = importlib.import_module(module).from_settings
        channel = factory(
            settings, ChannelContext(context.tz, context.callback_store, context.token_store, built)
        )
        if channel is not None:
            built[name] = channel
    return built


def names() -> Iterator[str]:
    return (name for name, _module in CHANNELS)
