"""Tests that read like a conversation: `chat.say("đăng ký thi đua")`, `chat.press("Xác nhận")`.

After aiogram-dialog's test client and Errbot's testbot: each call sends one Incoming through the
real router and unit of work (and its database) and keeps the replies, so assertions read like
the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.text import fold
from bot.delivery.turns import Turns
from bot.messages import Attachment, Button, Incoming, Reply

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Clock:
    """The injected `now`: tests move it; nothing reads the wall clock."""

    current: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 9, 0, tzinfo=HCM))

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeQA:
    """Answers every question with a recognisable reply; the real Q&A has its own tests."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def ask(self, message: Incoming, *, session: Any = None) -> Reply:
        self.asked.append(message.text)
        return Reply(f"[Hỏi đáp] {message.text}", found=True)


class Chat:
    """One person in one chat, talking to the assistant (router and unit of work)."""

    def __init__(
        self, turns: Turns, user: str, channel: str = "console", chat_id: str | None = None
    ) -> None:
        self.turns = turns
        self.user = user
        self.channel = channel
        self.chat_id = chat_id or user  # a second chat of the same person: another chat_id
        self.last: list[Reply] = []

    def say(self, text: str) -> list[Reply]:
        return self._send(Incoming(self.channel, self.chat_id, self.user, text=text))

    def press(self, label: str, *, on: Chat | None = None) -> list[Reply]:
        """Press the button whose label contains `label` (diacritics and case ignored); `on`:
        a button under another person's message in the same group chat."""
        button = (on or self).button(label)
        return self._send(
            Incoming(
                self.channel, self.chat_id, self.user, text=button.label, payload=button.payload
            )
        )

    def send_payload(self, payload: str, text: str = "") -> list[Reply]:
        return self._send(
            Incoming(self.channel, self.chat_id, self.user, text=text, payload=payload)
        )

    def attach(self, *files: Attachment, text: str = "") -> list[Reply]:
        """Send photos or documents (with an optional caption), as a channel would."""
        return self._send(
            Incoming(self.channel, self.chat_id, self.user, text=text, attachments=files)
        )

    def button(self, label: str) -> Button:
        wanted = fold(label)
        found = [b for b in self.buttons() if wanted in fold(b.label)]
        assert found, f"no button {label!r} in {[b.label for b in self.buttons()]}"
        return found[0]

    def buttons(self) -> list[Button]:
        return [b for reply in self.last for row in reply.buttons for b in row]

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.last)

    def _send(self, message: Incoming) -> list[Reply]:
        self.last = self.turns.run(message)
        assert self.last, "every message gets a reply"
        assert not any(r.meta.get("error") for r in self.last), self.text
        for button in self.buttons():
            assert len(button.payload.encode()) <= 64, button
        return self.last
