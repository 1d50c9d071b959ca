"""What every channel adapter offers the outbox sender and the webhook/polling loops.

Adapters translate platform updates into Incoming and Replies into platform calls; they
hold no conversation state. A send reports its outcome as data so the sender (bot.outbox)
decides about retries, rate limits and unreachable people in one place for all platforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.messages import Incoming, Reply


class SendStatus(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked us to wait (HTTP 429 or its error code)
    TRANSIENT = "transient"  # 5xx, timeouts, network: back off and try again
    BLOCKED = "blocked"  # the person blocked the bot / left / cannot be messaged now
    FAILED = "failed"  # a permanent error for this message (bad request): do not retry


@dataclass(frozen=True)
class SendResult:
    status: SendStatus
    retry_after_s: float = 0.0
    platform_message_ids: tuple[str, ...] = ()
    detail: str = ""  # for logs; never contains a token or secret


@dataclass(frozen=True)
class Update:
    """One platform update turned into our terms, with the key that makes redelivery harmless."""

    dedupe_key: str  # unique per (channel, update): e.g. Telegram update_id, Zalo event+msg id
    incoming: Incoming | None  # None for updates we acknowledge but ignore
    callback_id: str = ""  # Telegram callback_query id to answer


class Channel(Protocol):
    """A platform adapter. `send` may split a long reply into several platform messages."""

    name: str

    async def send(self, chat_id: str, reply: Reply) -> SendResult: ...

    def parse(self, payload: dict[str, object]) -> Update: ...
