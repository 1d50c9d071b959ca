"""Telegram Update dicts (webhook bodies, getUpdates results) turned into our Update/Incoming.

Works on the plain JSON dicts, not PTB objects: a webhook body is JSON already, parsing it
directly is cheap, and keeps this part free of the SDK. The send side is in telegram.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from bot.channels.base import CallbackStore, Update
from bot.channels.common import VN_TZ, from_unix
from bot.messages import Attachment, Incoming

CHANNEL = "telegram"
FILE_REF = "telegram:"  # Attachment.ref scheme of a file still on Telegram's servers
CALLBACK_PREFIX = "~"  # callback_data starting with it is a short key into a CallbackStore
GROUP_TYPES = {"group", "supergroup"}


class MemoryCallbackStore:
    """In-process CallbackStore for tests and the single-process default."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def put(self, key: str, payload: str) -> None:
        self.items[key] = payload

    def get(self, key: str) -> str | None:
        return self.items.get(key)


def parse_update(
    payload: Mapping[str, Any],
    *,
    bot_username: str,
    callbacks: CallbackStore,
    tz: tzinfo = VN_TZ,
) -> Update:
    """One Bot API Update dict into our terms; updates we do not handle get incoming=None."""
    key = f"tg:{payload.get('update_id')}"
    if "callback_query" in payload:
        return _callback(key, payload["callback_query"], callbacks, tz)
    message = payload.get("message")
    if not isinstance(message, Mapping):  # edited_message, channel_post, my_chat_member, ...
        return Update(dedupe_key=key, incoming=None)
    return Update(dedupe_key=key, incoming=_message(message, bot_username, tz))


def _callback(key: str, query: Mapping[str, Any], callbacks: CallbackStore, tz: tzinfo) -> Update:
    sender = query.get("from") or {}
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    data = str(query.get("data") or "")
    if data.startswith(CALLBACK_PREFIX):
        # An unknown key (store expired) stays opaque: the flow treats it as a stale button.
        data = callbacks.get(data) or data
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=str(chat.get("id", sender.get("id", ""))),
        user_id=str(sender.get("id", "")),
        payload=data,
        message_id=str(message.get("message_id", "")),
        received_at=from_unix(message["date"], tz) if "date" in message else None,
    )
    return Update(dedupe_key=key, incoming=incoming, callback_id=str(query.get("id", "")))


def _message(message: Mapping[str, Any], bot_username: str, tz: tzinfo) -> Incoming | None:
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    text = str(message.get("text") or message.get("caption") or "")
    if chat.get("type") in GROUP_TYPES:
        if not _addressed(message, text, bot_username):
            return None
        text = _strip_mention(text, bot_username)
    elif chat.get("type") == "channel":
        return None
    attachments = _attachments(message)
    if not text and not attachments:
        return None  # stickers, locations, service messages
    return Incoming(
        channel=CHANNEL,
        chat_id=str(chat.get("id", "")),
        user_id=str(sender.get("id", "")),
        text=_normalise_command(text, bot_username),
        attachments=attachments,
        message_id=str(message.get("message_id", "")),
        received_at=from_unix(message["date"], tz) if "date" in message else None,
    )


def _addressed(message: Mapping[str, Any], text: str, bot_username: str) -> bool:
    """In a group: the bot is @mentioned (also /cmd@bot) or the message replies to the bot."""
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    if str(replied.get("username", "")).lower() == bot_username.lower():
        return True
    return f"@{bot_username.lower()}" in text.lower()


def _strip_mention(text: str, bot_username: str) -> str:
    """'@ThiDuaBot hạn nộp?' -> 'hạn nộp?'; '/baocao@ThiDuaBot' is left to _normalise_command."""
    pattern = re.compile(rf"(?<![/\w])@{re.escape(bot_username)}\b[,:]?\s*", re.IGNORECASE)
    return pattern.sub("", text).strip()


def _normalise_command(text: str, bot_username: str) -> str:
    """'/start@ThiDuaBot ABC' -> '/start ABC' (deep links arrive as '/start CODE')."""
    if not text.startswith("/"):
        return text
    head, sep, rest = text.partition(" ")
    command, _, target = head.partition("@")
    if target and target.lower() != bot_username.lower():
        return text
    return f"{command}{sep}{rest}"


def _attachments(message: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """Photos (the largest size) and documents, as refs to download with the file_id."""
    found: list[Attachment] = []
    photos = message.get("photo") or []
    if photos:
        best = max(photos, key=lambda size: int(size.get("file_size") or 0))
        found.append(
            Attachment(
                kind="photo",
                filename=f"{best.get('file_unique_id', 'photo')}.jpg",
                content_type="image/jpeg",
                ref=f"{FILE_REF}{best['file_id']}",
            )
        )
    document = message.get("document")
    if isinstance(document, Mapping):
        found.append(
            Attachment(
                kind="document",
                filename=str(document.get("file_name") or document.get("file_unique_id", "file")),
                content_type=str(document.get("mime_type") or "application/octet-stream"),
                ref=f"{FILE_REF}{document['file_id']}",
            )
        )
    return tuple(found)
