"""The channels this assistant knows, in the order they are built (Zalo ZNS sends through the
Zalo OA's tokens, so it comes after it). Each entry names a module whose `from_settings(
settings, context)` returns its adapter, or None when its settings are not filled in; modules
load only when asked for, so a deployment without Zalo never imports its code."""

from __future__ import annotations

import importlib
from dataclasses import replace
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
    with_built = replace(context, built=built)  # later factories see the channels before them
    for name, module in CHANNELS:
        channel = importlib.import_module(module).from_settings(settings, with_built)
        if channel is not None:
            built[name] = channel
    return built
