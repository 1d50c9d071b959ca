"""A reminder held up past its day is dropped by the sender, not delivered at night."""

from __future__ import annotations

from datetime import date, time

from bot.channels.base import RateLimits, SendResult, SendStatus
from bot.delivery.sender import OutboxSender
from bot.messages import Reply
from tests.forms.conftest import World
from tests.reminders.conftest import at, outbox, scheduler


class Recorder:
    """Stands in for a chat platform: records what it is asked to send."""

    name = "console"
    rate_limits = RateLimits()

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def is_group(self, chat_id: str) -> bool:
        return False

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        self.sent.append((chat_id, reply.text))
        return SendResult(SendStatus.SENT, parts_sent=1)


async def test_a_reminder_past_its_window_expires_and_one_in_time_goes(sqlite_world: World) -> None:
    world = sqlite_world
    world.clock.current = at(date(2026, 3, 31))
    scheduler(world).tick()
    queued = len(outbox(world, "head"))
    assert queued == 1  # the registration (the khối has not opened its pledge yet)
    platform = Recorder()
    world.clock.current = at(date(2026, 3, 31), time(21, 0))
    sender = OutboxSender(world.sessions, {"console": platform}, now=world.clock)
    while await sender.run_once():
        pass
    assert platform.sent == []
    assert {m.status for m in outbox(world, "head")} == {"expired"}
    world.clock.current = at(date(2026, 4, 1))
    scheduler(world).tick()  # the +1 reminder, sent in its window
    world.clock.current = at(date(2026, 4, 1), time(8, 1))
    assert await sender.run_once() >= 1
    assert any(chat == "head" for chat, _text in platform.sent)
