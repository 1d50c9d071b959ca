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
    """The outcome of one `send`, as data the outbox stores.

    A reply may go out as several platform messages (long text, attachments): `parts_sent`
    counts those delivered in this call, so after a failure the sender resumes with
    `send(..., first_part=<parts already delivered>)` and nothing is sent twice. `choices` are
    the payloads of numbered text choices shown (channels without buttons): the caller stores
    them with the chat so a bare "2" can be mapped back to its payload later.
    """

    status: SendStatus
    retry_after_s: float = 0.0
    platform_message_ids: tuple[str, ...] = ()
    detail: str = ""  # for logs; never contains a token or secret
    parts_sent: int = 0
    choices: tuple[str, ...] = ()


class ChannelError(Exception):
    """A platform call that is not a send failed (polling, webhook setup, file download).

    Carries the same classification as SendResult so loops can back off the same way;
    the message is redacted and never contains a token.
    """

    def __init__(self, status: SendStatus, detail: str, *, retry_after_s: float = 0.0) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after_s = retry_after_s


class FileTooLarge(ChannelError):
    """An incoming file is over the configured download limit; tell the person, do not retry."""

    def __init__(self, filename: str, size: int, limit: int) -> None:
        super().__init__(SendStatus.FAILED, f"file too large: {size} > {limit} bytes")
        self.filename = filename
        self.size = size
        self.limit = limit


@dataclass(frozen=True)
class Update:
    """One platform update turned into our terms, with the key that makes redelivery harmless."""

    dedupe_key: str  # unique per (channel, update): e.g. Telegram update_id, Zalo event+msg id
    incoming: Incoming | None  # None for updates we acknowledge but ignore
    callback_id: str = ""  # Telegram callback_query id to answer


class Channel(Protocol):
    """A platform adapter. `send` may split a long reply into several platform messages."""

    name: str

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult: ...

    def parse(self, payload: dict[str, object]) -> Update: ...
