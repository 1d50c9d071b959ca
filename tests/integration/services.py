"""The running parts over a test world: its router and clock, the real inbox worker and
sender, for the tests that run the web app or the polling loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.channels.base import Channel, RateLimits
from bot.channels.refusals import file_too_large_text, unreadable_text
from bot.delivery.sender import OutboxSender
from bot.delivery.services import Loop, Services
from bot.delivery.turns import Turns
from bot.delivery.worker import InboxWorker
from tests.forms.conftest import World

# Replies of one test chat go out without waiting for the per-chat limit (a second apart).
FAST = RateLimits(per_chat_burst=100, per_chat_period_s=1.0)


def services(
    world: World,
    channels: Mapping[str, Channel],
    *,
    limits: Mapping[str, RateLimits] | None = None,
    reminders: Loop | None = None,
    background: bool = True,
    turns: Turns | None = None,
    **worker_options: Any,
) -> Services:
    """What `bot.wiring.build_services` builds, over the world's database and clock.

    `limits`: the sender's per-channel limits (default: each channel's own); `background`:
    False when the test steps the worker and the sender itself; `turns`: another unit of work
    than the world's (a router with the real Q&A); `worker_options`: the InboxWorker's own
    (lease, purge_every, ...)."""
    sender = OutboxSender(world.sessions, channels, now=world.clock, limits=limits)
    worker = InboxWorker(
        turns or world.turns(),
        channels,
        file_too_large=file_too_large_text,
        unreadable=unreadable_text,
        on_replies=sender.wake,
        **worker_options,
    )
    return Services(
        sessions=world.sessions,
        channels=channels,
        worker=worker,
        sender=sender,
        now=world.clock,
        reminders=reminders,
        background=background,
    )


async def settle(services: Services) -> None:
    """Runs the inbox and the outbox until both are empty (the test steps them)."""
    while await services.worker.run_once() or await services.sender.run_once():
        pass
