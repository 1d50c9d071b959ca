"""Helpers every platform adapter needs: splitting, numbered choices, redaction, times.

Standard library only. The adapters may import this module and bot.channels.base, never
each other, so what two platforms share lives here.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterable

from bot.channels.base import VN_TZ as VN_TZ
from bot.channels.base import ChannelError, SendStatus
from bot.i18n import channels_vi
from bot.messages import Reply

# h11 writes headers and body separately; without TCP_NODELAY, Nagle plus the peer's delayed
# ACK can hold a request for ~40 ms. For httpx transports' socket_options.
NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
REDACTED = "<redacted>"

# Cut points, best first: paragraph, line, sentence end, word.
_SEPARATORS = ("\n\n", "\n", ". ", " ")


def download_failure(status_code: int) -> ChannelError:
    """A file download the platform answered with an HTTP error: 429, 408 and 5xx may heal
    (tried again later); any other 4xx will not (the inbox worker gives up after its tries)."""
    heals = status_code >= 500 or status_code in (408, 429)
    status = SendStatus.TRANSIENT if heals else SendStatus.FAILED
    return ChannelError(status, f"download HTTP {status_code}")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Cuts `text` into pieces of at most `limit` (by `measure`), at the best boundary.

    Prefers a paragraph break, then a line break, then a sentence end, then a space, as long
    as the cut keeps at least half a piece; falls back to a hard cut. The pieces, joined with
    their separators, give back the text (modulo the whitespace at the cuts).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        window = _longest_prefix(rest, limit, measure)
        cut, skip = _best_cut(window)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut + skip :].lstrip("\n")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> str:
    """The longest prefix of `text` whose measure fits the limit (binary search)."""
    low, high = 1, min(len(text), limit)
    while low < high:
        mid = (low + high + 1) // 2
        if measure(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return text[:low]


def _best_cut(window: str) -> tuple[int, int]:
    """(cut index, separator length to skip) inside a window that must be cut."""
    for separator in _SEPARATORS:
        index = window.rfind(separator)
        if index >= len(window) // 2:
            keep = 1 if separator == ". " else 0  # keep the full stop with its sentence
            return index + keep, len(separator) - keep
    return len(window), 0


def numbered(reply: Reply) -> tuple[str, tuple[str, ...]]:
    """Reply text with its buttons as numbered lines, and the payloads in the same order."""
    buttons = [button for row in reply.buttons for button in row]
    if not buttons:
        return reply.text, ()
    lines = [f"{number}. {button.label}" for number, button in enumerate(buttons, start=1)]
    text = "\n\n".join(part for part in (reply.text, "\n".join(lines)) if part)
    return f"{text}\n{channels_vi.CHOICE_HINT}", tuple(button.payload for button in buttons)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every non-empty secret replaced, for logs and SendResult.detail.

    Case-insensitive: PTB capitalises error descriptions, which lowercases an echoed token.
    """
    for secret in secrets:
        if secret and secret.lower() in text.lower():
            text = re.sub(re.escape(secret), REDACTED, text, flags=re.IGNORECASE)
    return text


class SecretFilter(logging.Filter):
    """Rewrites log records that would show a secret (httpx logs URLs with the bot token)."""

    def __init__(self) -> None:
        super().__init__("secrets")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = SecretFilter()

# Loggers of the HTTP stack that put request URLs or parameters in their messages.
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.Bot",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
)


def known_secrets() -> frozenset[str]:
    """Every secret `protect_logs` was given so far: the log handlers' last line of defence
    (bot.cli.logs) takes them out of whole formatted lines, extras and tracebacks included."""
    return frozenset(_FILTER.secrets)


def protect_logs(*secrets: str) -> None:
    """Makes sure `secrets` never reach a log handler through the HTTP stack's loggers.

    A filter on a logger only sees records created on that logger, so it is attached to each
    logger that formats URLs. Idempotent; secrets are only ever added.
    """
    _FILTER.secrets.update(secret for secret in secrets if secret)
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
