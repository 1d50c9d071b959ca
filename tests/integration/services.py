"""The web app's parts over a test world: its router and clock, the real inbox worker and
sender, for the tests that run the app or the polling loop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.gateway import InboxWorker
from bot.outbox import OutboxSender
from bot.web.app import WebServices
from bot.wiring import file_too_large_text
from tests.forms.conftest import World


def web_services(
    world: World,
    channels: Mapping[str, Any],
    *,
    sender: OutboxSender | None = None,
    **options: Any,
) -> WebServices:
    """`options`: the other WebServices fields (secrets, background, reminders)."""
    return WebServices(
        sessions=world.sessions,
        channels=channels,
        worker=InboxWorker(
            world.sessions,
            world.router(),
            channels,
            now=world.clock,
            file_too_large=file_too_large_text,
        ),
        sender=sender or OutboxSender(world.sessions, channels, now=world.clock),
        now=world.clock,
        **options,
    )
