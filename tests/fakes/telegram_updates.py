"""Telegram Update dicts as the Bot API sends them, for getUpdates queues and webhook tests."""

from __future__ import annotations

import itertools
import time
from typing import Any, Protocol


class FileHost(Protocol):
    def add_file(self, data: bytes, *, suffix: str = "jpg") -> str: ...


# --- update builders (webhook bodies and getUpdates results) --------------------------------

_ids = itertools.count(1000)


def user(user_id: int, name: str = "Nguyễn Văn An", username: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": name}
    if username:
        found["username"] = username
    return found


def message_update(
    chat_id: int,
    text: str = "",
    *,
    user_id: int | None = None,
    chat_type: str = "private",
    update_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An Update with a message, as Telegram sends it; extra fields go into the message."""
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "from": user(user_id or abs(chat_id)),
        "chat": {"id": chat_id, "type": chat_type},
        "date": int(time.time()),
        **extra,
    }
    if text:
        message["text"] = text
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    update: dict[str, Any] = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def callback_update(
    chat_id: int, data: str, *, user_id: int | None = None, update_id: int | None = None
) -> dict[str, Any]:
    """An Update for a pressed inline button whose callback_data is `data`."""
    update: dict[str, Any] = {
        "callback_query": {
            "id": str(next(_ids)),
            "from": user(user_id or abs(chat_id)),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": next(_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": "…",
            },
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


def photo_update(
    fake: FileHost, chat_id: int, data: bytes, caption: str = "", *, update_id: int | None = None
) -> dict[str, Any]:
    """A photo message whose file the fake serves through getFile."""
    file_id = fake.add_file(data)
    sizes = [
        {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": 1280,
            "height": 960,
            "file_size": len(data),
        }
    ]
    extra: dict[str, Any] = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return message_update(chat_id, update_id=update_id, **extra)
