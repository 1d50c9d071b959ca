"""Telegram Update dicts (webhook bodies, getUpdates results) turned into our Update/Incoming.

Works on the plain JSON dicts, not PTB objects: a webhook body is JSON already, parsing it
directly is cheap, and keeps this part free of the SDK. The send side is in telegram.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from bot.channels import shape
from bot.channels.base import CallbackStore, MalformedUpdate, Update
from bot.channels.common import VN_TZ
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
    """One Bot API Update dict into our terms; updates we do not handle get incoming=None.

    Raises MalformedUpdate for a body without an integer update_id (the dedupe key: two
    updates without one would be one) or whose message or button press has a part of the
    wrong shape. Kinds we ignore (edited messages, channel posts...) are not looked into.
    """
    update_id = payload.get("update_id")
    with shape.reading(update_id):
        if shape.integer(update_id, "update_id") < 0:
            raise MalformedUpdate("update_id is negative")
        key = f"tg:{update_id}"
        if "callback_query" in payload:
            query = shape.obj(payload["callback_query"], "callback_query")
            return _callback(key, query, callbacks, tz)
        if "message" not in payload:  # edited_message, channel_post, my_chat_member, ...
            return Update(dedupe_key=key, incoming=None)
        message = shape.obj(payload["message"], "message")
        return Update(dedupe_key=key, incoming=_message(message, bot_username, tz))


def _callback(key: str, query: Mapping[str, Any], callbacks: CallbackStore, tz: tzinfo) -> Update:
    sender = shape.obj(query.get("from"), "callback_query.from")
    user_id = _id(sender.get("id"), "callback_query.from.id")
    message = shape.opt_obj(query, "message", "callback_query.message")  # absent: an inline message
    chat = shape.opt_obj(message, "chat", "callback_query.message.chat")
    chat_id = _id(chat["id"], "callback_query.message.chat.id") if "id" in chat else user_id
    data = shape.text(query.get("data"), "callback_query.data")
    if data.startswith(CALLBACK_PREFIX):
        # An unknown key (store expired) stays opaque: the flow treats it as a stale button.
        data = callbacks.get(data) or data
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=user_id,
        payload=data,
        message_id=_message_id(message, "callback_query.message.message_id"),
        received_at=_date(message, "callback_query.message.date", tz),
    )
    callback_id = shape.ident(query.get("id"), "callback_query.id")
    return Update(dedupe_key=key, incoming=incoming, callback_id=callback_id)


def _message(message: Mapping[str, Any], bot_username: str, tz: tzinfo) -> Incoming | None:
    chat = shape.obj(message.get("chat"), "message.chat")
    chat_type = shape.text(chat.get("type"), "message.chat.type")
    if chat_type == "channel":
        return None
    chat_id = _id(chat.get("id"), "message.chat.id")
    # Absent only in channels: elsewhere Telegram puts a stand-in sender for a chat's posts.
    user_id = _id(shape.obj(message.get("from"), "message.from").get("id"), "message.from.id")
    said = shape.text(message.get("text"), "message.text") or shape.text(
        message.get("caption"), "message.caption"
    )
    if chat_type in GROUP_TYPES:
        if not _addressed(message, said, bot_username):
            return None
        said = _strip_mention(said, bot_username)
    attachments = _attachments(message)
    if not said and not attachments:
        return None  # stickers, locations, service messages
    return Incoming(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=user_id,
        text=_normalise_command(said, bot_username),
        attachments=attachments,
        message_id=_message_id(message, "message.message_id"),
        received_at=_date(message, "message.date", tz),
    )


def _id(value: object, field: str) -> str:
    """Telegram's chat and user ids are integers (a group's negative)."""
    return str(shape.integer(value, field))


def _message_id(message: Mapping[str, Any], field: str) -> str:
    value = message.get("message_id")
    return "" if value is None else _id(value, field)


def _date(message: Mapping[str, Any], field: str, tz: tzinfo) -> datetime | None:
    """The message's date; 0 is a message no longer accessible (a button under an old one)."""
    value = message.get("date")
    return None if value is None or value == 0 else shape.unix_time(value, field, tz)


def _addressed(message: Mapping[str, Any], text: str, bot_username: str) -> bool:
    """In a group: the bot is @mentioned (also /cmd@bot) or the message replies to the bot."""
    replied = shape.opt_obj(message, "reply_to_message", "message.reply_to_message")
    author = shape.opt_obj(replied, "from", "message.reply_to_message.from")
    if shape.text(author.get("username"), "message.reply_to_message.from.username").lower() == (
        bot_username.lower()
    ):
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
    photos = shape.objects(message.get("photo"), "message.photo")
    if photos:
        best = max(photos, key=lambda size: _size(size, "message.photo.file_size"))
        name = shape.text(best.get("file_unique_id"), "message.photo.file_unique_id") or "photo"
        found.append(
            Attachment(
                kind="photo",
                filename=f"{name}.jpg"[: shape.NAME_MAX],
                content_type="image/jpeg",
                ref=f"{FILE_REF}{shape.ident(best.get('file_id'), 'message.photo.file_id')}",
            )
        )
    document = shape.opt_obj(message, "document", "message.document")
    if document:
        name = shape.text(document.get("file_name"), "message.document.file_name") or shape.text(
            document.get("file_unique_id"), "message.document.file_unique_id"
        )
        kind = shape.text(document.get("mime_type"), "message.document.mime_type")
        found.append(
            Attachment(
                kind="document",
                filename=(name or "file")[: shape.NAME_MAX],
                content_type=(kind or "application/octet-stream")[: shape.TYPE_MAX],
                ref=f"{FILE_REF}{shape.ident(document.get('file_id'), 'message.document.file_id')}",
            )
        )
    return tuple(found)


def _size(photo: Mapping[str, Any], field: str) -> int:
    value = photo.get("file_size")
    return 0 if value is None else shape.integer(value, field)
