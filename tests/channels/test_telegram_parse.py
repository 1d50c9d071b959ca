"""Recorded Telegram update payloads (tests/payloads/telegram) into Update/Incoming."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import MalformedUpdate
from bot.channels.common import VN_TZ
from bot.channels.telegram_parse import MemoryCallbackStore, parse_update
from bot.messages import Attachment

PAYLOADS = Path(__file__).parent.parent / "payloads" / "telegram"
BOT = "ThiDuaTestBot"


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def parse(name: str, store: MemoryCallbackStore | None = None):  # type: ignore[no-untyped-def]
    return parse_update(load(name), bot_username=BOT, callbacks=store or MemoryCallbackStore())


def test_private_message() -> None:
    update = parse("message")
    assert update.dedupe_key == "tg:845213001"
    assert update.callback_id == ""
    message = update.incoming
    assert message is not None
    assert message.channel == "telegram"
    assert (message.chat_id, message.user_id, message.message_id) == (
        "5012345678",
        "5012345678",
        "311",
    )
    assert message.text == "Tiêu chuẩn danh hiệu Lao động tiên tiến là gì?"
    assert message.payload is None
    assert message.received_at == datetime(2025, 12, 31, 12, 0, tzinfo=VN_TZ)
    assert message.received_at is not None and message.received_at.utcoffset() is not None


def test_callback_query_carries_payload_and_callback_id() -> None:
    update = parse("callback_query")
    assert update.dedupe_key == "tg:845213002"
    assert update.callback_id == "4382917461529384756"
    assert update.incoming is not None
    assert update.incoming.payload == "nav:confirm"
    assert update.incoming.chat_id == "5012345678"
    assert update.incoming.message_id == "312"


def test_photo_takes_the_largest_size_and_the_caption() -> None:
    message = parse("photo").incoming
    assert message is not None
    assert message.text == "Ảnh hội nghị sơ kết quý I"
    assert message.attachments == (
        Attachment(
            kind="photo",
            filename="AQADlarge.jpg",
            content_type="image/jpeg",
            ref="telegram:AgACAgUAAxkBAAIBPWbLarge",
        ),
    )


def test_document_keeps_its_vietnamese_name_and_type() -> None:
    message = parse("document").incoming
    assert message is not None
    (document,) = message.attachments
    assert document.kind == "document"
    assert document.filename == "Báo cáo sơ kết 6 tháng.docx"
    assert document.content_type.endswith("wordprocessingml.document")
    assert document.ref == "telegram:BQACAgUAAxkBAAIBQGbDocument"


def test_group_message_mentioning_the_bot_is_answered_without_the_mention() -> None:
    message = parse("group_mention").incoming
    assert message is not None
    assert message.chat_id == "-1002233445566"
    assert message.user_id == "5098765432"
    assert message.text == "hạn nộp báo cáo quý 1 là ngày nào?"


def test_group_message_without_mention_is_acknowledged_but_ignored() -> None:
    update = parse("group_no_mention")
    assert update.dedupe_key == "tg:845213006"
    assert update.incoming is None


def test_group_reply_to_the_bot_is_answered() -> None:
    message = parse("group_reply").incoming
    assert message is not None
    assert message.text == "còn báo cáo 6 tháng thì sao?"


def test_group_command_addressed_to_the_bot_loses_the_suffix() -> None:
    message = parse("group_command").incoming
    assert message is not None
    assert message.text == "/giaouoc"


def test_group_command_for_another_bot_is_ignored() -> None:
    payload = load("group_command")
    payload["message"]["text"] = "/giaouoc@OtherBot"
    update = parse_update(payload, bot_username=BOT, callbacks=MemoryCallbackStore())
    assert update.incoming is None


def test_start_deep_link_keeps_the_invite_code() -> None:
    message = parse("start_code").incoming
    assert message is not None
    assert message.text == "/start HT7K2M9Q"


@pytest.mark.parametrize("name", ["edited_message"])
def test_edited_messages_are_ignored(name: str) -> None:
    update = parse(name)
    assert update.dedupe_key == "tg:845213010"
    assert update.incoming is None


def test_long_callback_key_is_resolved_through_the_store() -> None:
    store = MemoryCallbackStore()
    store.put("~abc", "chon:Tập thể lao động xuất sắc")
    payload = load("callback_query")
    payload["callback_query"]["data"] = "~abc"
    message = parse_update(payload, bot_username=BOT, callbacks=store).incoming
    assert message is not None
    assert message.payload == "chon:Tập thể lao động xuất sắc"


def test_unknown_callback_key_stays_opaque() -> None:
    payload = load("callback_query")
    payload["callback_query"]["data"] = "~expired"
    message = parse_update(payload, bot_username=BOT, callbacks=MemoryCallbackStore()).incoming
    assert message is not None
    assert message.payload == "~expired"


@pytest.mark.parametrize("update_id", [None, "845213001", 12.5, True, -1, [1]])
def test_an_update_without_an_integer_id_is_malformed(update_id: object) -> None:
    """The id is the dedupe key: without one, two updates would be one."""
    payload = load("message")
    payload["update_id"] = update_id
    with pytest.raises(MalformedUpdate, match="update_id"):
        parse_update(payload, bot_username=BOT, callbacks=MemoryCallbackStore())


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("message", ("message", "chat"), "5012345678"),
        ("message", ("message", "chat", "id"), "5012345678"),
        ("message", ("message", "from"), ["x"]),
        ("message", ("message", "text"), {"x": 1}),
        ("message", ("message", "date"), 1e20),
        ("message", ("message", "date"), 946684799),  # 1999-12-31
        ("photo", ("message", "photo"), "AgACAgUAAxkBAAIBPWbLarge"),
        ("photo", ("message", "photo", 0, "file_size"), "big"),
        ("document", ("message", "document", "file_id"), None),
        ("callback_query", ("callback_query",), "nav:confirm"),
        ("callback_query", ("callback_query", "message"), [1]),
        ("callback_query", ("callback_query", "id"), None),
    ],
)
def test_a_part_of_the_wrong_shape_is_malformed_and_names_the_update(
    name: str, path: tuple[str | int, ...], value: object
) -> None:
    payload = load(name)
    parent: Any = payload
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    with pytest.raises(MalformedUpdate) as caught:
        parse_update(payload, bot_username=BOT, callbacks=MemoryCallbackStore())
    assert caught.value.update_id == str(payload["update_id"])


def test_a_button_under_a_message_no_longer_accessible_has_no_date() -> None:
    """Telegram sends date 0 for a message it no longer shows the bot."""
    payload = load("callback_query")
    payload["callback_query"]["message"]["date"] = 0
    message = parse_update(payload, bot_username=BOT, callbacks=MemoryCallbackStore()).incoming
    assert message is not None and message.received_at is None


def test_kinds_we_ignore_are_not_looked_into() -> None:
    update = parse_update(
        {"update_id": 7, "edited_message": "anything"},
        bot_username=BOT,
        callbacks=MemoryCallbackStore(),
    )
    assert (update.dedupe_key, update.incoming) == ("tg:7", None)
