"""A channel is a plug-in: this module declares every ability one may have, with defaults.

Adapters translate platform updates into Incoming and Replies into platform calls; they hold
no conversation state. A send reports its outcome as data, so the outbox sender decides about
retries, rate limits and unreachable people in one place for all platforms. Delivery, the web
app and wiring only ever talk to this interface; adding a platform means a new adapter with a
`from_settings` factory and one line in `bot.channels.registry`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.messages import Incoming, MenuCommand, Reply

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class SendStatus(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # the platform asked us to wait (HTTP 429 or its error code)
    TRANSIENT = "transient"  # 5xx, no connection: surely not delivered; back off, try again
    UNCERTAIN = "uncertain"  # the request reached the platform, no answer came: it may be
    # delivered, so no resend before the row's lease has run out (the sender decides)
    BLOCKED = "blocked"  # the person blocked the bot / left / cannot be messaged now
    FAILED = "failed"  # a permanent error for this message (bad request): do not retry


@dataclass(frozen=True)
class SendResult:
    """The outcome of one `send`, as data the outbox stores.

    A reply may go out as several platform messages (long text, attachments): `parts_sent`
    counts those delivered in this call, so after a failure the sender resumes with
    `send(..., first_part=<parts already delivered>)` and nothing is sent twice.
    """

    status: SendStatus
    retry_after_s: float = 0.0
    platform_message_ids: tuple[str, ...] = ()
    detail: str = ""  # for logs; never contains a token or secret
    parts_sent: int = 0


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


class MalformedUpdate(ValueError):
    """An authenticated body that is not a usable update of its platform: not a JSON object,
    a field of the wrong type, a missing or non-integer id, a date out of range. Sending it
    again would not change it, so it is refused alone and never retried; `update_id` is what
    could be read of the update's id, for the log line."""

    def __init__(self, reason: str, *, update_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.update_id = update_id


@dataclass(frozen=True)
class Update:
    """One platform update turned into our terms, with the key that makes redelivery harmless."""

    dedupe_key: str  # unique per (channel, update): e.g. Telegram update_id, Zalo event+msg id
    incoming: Incoming | None  # None for updates we acknowledge but ignore
    callback_id: str = ""  # a button press to answer (Telegram's callback_query id)


@dataclass(frozen=True)
class RateLimits:
    """How fast the platform lets one bot send. Telegram's published limits by default: 30
    messages in any second, about one a second per chat (short bursts tolerated) and 20 a
    minute per group."""

    max_per_second: float = 30.0
    per_chat_burst: int = 3
    per_chat_period_s: float = 3.0
    per_group_per_minute: float = 20.0


class CallbackStore(Protocol):
    """Button payloads too long for a platform's button data (Telegram: 64 bytes), under
    short keys derived from them (a hash): `put` is idempotent, and rows kept in the database
    survive restarts and are shared by every worker."""

    def put(self, key: str, payload: str) -> None: ...

    def get(self, key: str) -> str | None: ...


class TokenPair(Protocol):
    @property
    def access_token(self) -> str: ...

    @property
    def refresh_token(self) -> str: ...

    @property
    def expires_at(self) -> datetime: ...


class TokenStore(Protocol):
    """Where a platform's access and refresh tokens live. `save` must be durable before it
    returns: a single-use refresh token is already spent when the new pair arrives."""

    def load(self) -> TokenPair | None: ...

    def save(self, access: str, refresh: str, expires_at: datetime) -> None: ...

    def claim_refresh(self, now: datetime, lease: timedelta) -> bool:
        """May this caller refresh now? Workers sharing a store refresh one at a time."""
        ...

    def release_refresh(self) -> None: ...


@dataclass
class ChannelContext:
    """What a channel factory may need besides its settings: the time zone, the database
    stores it may keep state in (made by the composition root) and the channels built
    before it (Zalo ZNS sends through the Zalo OA's tokens)."""

    tz: tzinfo = VN_TZ
    callback_store: Callable[[], CallbackStore] | None = None
    token_store: Callable[[str, str], TokenStore] | None = None  # (name, initial refresh)
    built: Mapping[str, Channel] = field(default_factory=dict)


class Channel(ABC):
    """A platform adapter. Every ability but `send` and `parse` has a default."""

    name: str = ""
    webhook_path: str | None = None  # POST /webhooks/<path>; None: no webhook
    can_poll: bool = False  # long polling, for a deployment without a public address
    rate_limits: RateLimits = RateLimits()
    # The webhook's answer to an authenticated body that is not a usable update (logged, not
    # stored): 400 unless the platform sends any other answer again and again (then 200).
    malformed_status: int = 400

    @abstractmethod
    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        """Sends the reply's parts from `first_part` on; stops at the first failure."""

    @abstractmethod
    def parse(self, payload: Mapping[str, Any]) -> Update:
        """A platform update as ours; raises MalformedUpdate for a body that is not a usable
        update (and for nothing else about its shape)."""

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether a webhook request really comes from the platform (its secret header or
        signature); checked before the body is parsed. Refused unless the adapter knows how."""
        return False

    def last_interaction(self, payload: Mapping[str, Any]) -> tuple[str, datetime] | None:
        """(user id, time) of the person's last interaction, where the platform limits when
        we may write to them (Zalo OA)."""
        return None

    def is_group(self, chat_id: str) -> bool:
        """Whether a chat is a group (stricter rate limits)."""
        return False

    async def resolve_attachments(self, incoming: Incoming) -> Incoming:
        """Downloads the files an update only refers to."""
        return incoming

    async def set_chat_menu(self, chat_id: str, commands: Sequence[MenuCommand]) -> SendResult:
        """Sets one chat's command menu (the commands of the person linked there), where the
        platform has one; sent by the outbox sender in the chat's order. Nothing to do
        elsewhere: the help text lists the commands."""
        return SendResult(SendStatus.SENT)

    async def answer_button(self, callback_id: str, text: str = "") -> None:
        """Acknowledges a button press (stops Telegram's spinner), showing `text` to the
        presser alone where given (a press refused); the reply is a message. Called by the
        inbox worker after the turn, for presses the webhook's answer did not acknowledge."""
        return

    async def show_typing(self, chat_id: str) -> None:
        """Shows the chat that the bot is writing (Telegram: "typing…" for about five
        seconds), while an answer takes long to write; nothing where a platform cannot."""
        return

    def webhook_reply(self, update: Update) -> dict[str, Any] | None:
        """A call the platform runs itself when given as the webhook's answer (Telegram:
        answerCallbackQuery): a button pressed over a webhook stops spinning at once, and no
        request of ours is spent on it. None: the webhook answers a plain 200, and a press
        is acknowledged by the inbox worker after its turn."""
        return None

    async def poll(self, timeout: int) -> list[dict[str, Any]]:
        """One long poll: raw updates to store. The adapter confirms them on its next poll,
        which comes only after they are stored."""
        raise NotImplementedError(f"{self.name} has no long polling")

    async def prepare_polling(self) -> None:
        """What must happen before the first poll (Telegram: remove its webhook)."""
        return

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def secrets(self) -> tuple[str, ...]:
        """Tokens and secrets this adapter holds, kept out of the logs."""
        return ()
