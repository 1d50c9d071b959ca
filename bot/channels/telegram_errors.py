"""python-telegram-bot's exceptions as the sender's outcomes: retry after, blocked, failed, a
transient error, or uncertain (the request went out and no answer came back)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from telegram import error as tg_error
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import SendResult, SendStatus
from bot.channels.common import redact
from bot.channels.transport import may_have_arrived


def send_failure(exc: tg_error.TelegramError, secrets: Sequence[str]) -> SendResult:
    """A failed send: as `failure`, but a request that went out and got no answer (PTB
    keeps httpx's error as the cause) may have delivered the message: UNCERTAIN."""
    result = failure(exc, secrets)
    if result.status is SendStatus.TRANSIENT and may_have_arrived(exc.__cause__):
        return replace(result, status=SendStatus.UNCERTAIN)
    return result


def failure(exc: tg_error.TelegramError, secrets: Sequence[str]) -> SendResult:
    """PTB's exception classes to our statuses; the detail is redacted."""
    detail = redact(f"{type(exc).__name__}: {exc.message}", secrets)[:300]
    if isinstance(exc, tg_error.RetryAfter):
        return SendResult(SendStatus.RETRY_AFTER, _seconds(exc), detail=detail)
    if isinstance(exc, tg_error.Forbidden):
        return SendResult(SendStatus.BLOCKED, detail=detail)
    if isinstance(exc, tg_error.InvalidToken):
        # A deployment error: keep the messages and let the sender back off.
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    if isinstance(exc, tg_error.BadRequest):
        unreachable = "chat not found" in exc.message.lower()
        status = SendStatus.BLOCKED if unreachable else SendStatus.FAILED
        return SendResult(status, detail=detail)
    if isinstance(exc, tg_error.ChatMigrated):
        return SendResult(SendStatus.FAILED, detail=f"chat_migrated:{exc.new_chat_id}")
    if isinstance(exc, tg_error.NetworkError):  # TimedOut, 5xx, connection errors
        return SendResult(SendStatus.TRANSIENT, detail=detail)
    return SendResult(SendStatus.FAILED, detail=detail)


def _seconds(exc: tg_error.RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta in PTB 22 (migration in progress)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
