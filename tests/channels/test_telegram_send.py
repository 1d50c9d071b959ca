"""The real python-telegram-bot client against the fake Bot API: sending and setup."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bot.channels.base import ChannelError, FileTooLarge, SendStatus
from bot.channels.telegram import CALLBACK_DATA_BYTES, TEXT_LIMIT, TelegramChannel, make_bot
from bot.messages import Attachment, Button, Reply
from tests.channels.conftest import TG_TOKEN, TG_USERNAME
from tests.fakes.telegram_api import FakeTelegram, callback_update, message_update, photo_update

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


async def test_message_with_keyboard_is_html_escaped(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    text = 'Chỉ tiêu <b>tăng</b> 5% & "vượt" kế hoạch <script>'
    reply = Reply(
        text,
        buttons=((Button("Xác nhận", "nav:confirm"), Button("Huỷ", "nav:cancel")),),
    )
    result = await tg.send("5012345678", reply)
    assert result.status is SendStatus.SENT
    (sent,) = tg_fake.delivered("5012345678")
    assert result.platform_message_ids == (str(sent.message_id),)
    assert result.parts_sent == 1
    assert sent.text == text  # what the person sees is exactly our text
    assert "&lt;b&gt;" in sent.raw_text and "&amp;" in sent.raw_text
    assert (tg_fake.calls_to("sendMessage")[0].params["parse_mode"]) == "HTML"
    keyboard = sent.reply_markup["inline_keyboard"] if sent.reply_markup else []
    assert [[b["text"], b["callback_data"]] for b in keyboard[0]] == [
        ["Xác nhận", "nav:confirm"],
        ["Huỷ", "nav:cancel"],
    ]


async def test_long_text_is_split_under_the_limit_at_paragraphs(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    sentence = "Cán bộ thi đua & khen thưởng. "
    paragraphs = [(f"Điều {n}. " + sentence * 40).rstrip() for n in range(1, 11)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 2 * TEXT_LIMIT
    reply = Reply(text, buttons=((Button("Tiếp", "next"),),))
    result = await tg.send("42", reply)
    assert result.status is SendStatus.SENT
    sent = tg_fake.delivered("42")
    assert len(sent) == result.parts_sent == len(result.platform_message_ids) >= 3
    assert all(len(s.text) <= TEXT_LIMIT for s in sent)
    assert all(s.text.startswith("Điều ") for s in sent)  # cut at paragraph boundaries
    assert "\n\n".join(s.text for s in sent) == text
    assert [s.reply_markup is not None for s in sent] == [False] * (len(sent) - 1) + [True]


async def test_split_counts_utf16_units_like_telegram(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    text = "🏆 " * 3000  # 3 UTF-16 units each: 9,000 units in 6,000 characters
    result = await tg.send("42", Reply(text))
    assert result.status is SendStatus.SENT  # the fake refuses > 4,096 units
    assert len(tg_fake.delivered("42")) == 3


async def test_callback_data_stays_within_64_bytes_for_vietnamese_payloads(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    short = "chon:Lao động tiên tiến"  # 22 characters, 29 bytes: sent as is
    long = "danh_hieu:Tập thể lao động xuất sắc:đơn vị Sở Nội vụ"  # < 64 chars, > 64 bytes
    assert len(long) <= CALLBACK_DATA_BYTES < len(long.encode())
    reply = Reply("Chọn danh hiệu", buttons=((Button("LĐTT", short),), (Button("TTLĐXS", long),)))
    result = await tg.send("42", reply)
    assert result.status is SendStatus.SENT  # the fake answers BUTTON_DATA_INVALID over 64
    (sent,) = tg_fake.delivered("42")
    rows = sent.reply_markup["inline_keyboard"] if sent.reply_markup else []
    data = [row[0]["callback_data"] for row in rows]
    assert data[0] == short
    assert data[1].startswith("~") and len(data[1].encode()) <= CALLBACK_DATA_BYTES
    pressed = tg.parse(callback_update(42, data[1], update_id=77))
    assert pressed.incoming is not None and pressed.incoming.payload == long


async def test_payload_looking_like_a_key_is_mapped_too(tg: TelegramChannel) -> None:
    data = tg._callback_data("~not-a-key")
    assert data != "~not-a-key"
    assert tg.callbacks.get(data) == "~not-a-key"


async def test_a_message_goes_as_form_fields_and_a_file_as_multipart(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    """PTB's HTTPXRequest posts form fields, nested values (the keyboard) as JSON strings."""
    reply = Reply("Chọn danh hiệu", buttons=((Button("Lao động tiên tiến", "t:LDTT"),),))
    await tg.send("42", reply)
    photo = Attachment(kind="photo", filename="a.png", content_type="image/png", data=PNG)
    await tg.send("42", Reply("", attachments=(photo,)))
    (message,) = tg_fake.calls_to("sendMessage")
    assert message.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert message.params["chat_id"] == "42"
    assert message.params["reply_markup"] == {  # the fake decodes the field's JSON
        "inline_keyboard": [[{"text": "Lao động tiên tiến", "callback_data": "t:LDTT"}]]
    }
    (upload,) = tg_fake.calls_to("sendPhoto")
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert upload.files["photo"] == PNG


async def test_photo_out_and_back_in_through_get_file(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    photo = Attachment(kind="photo", filename="bieu-do.png", content_type="image/png", data=PNG)
    result = await tg.send("42", Reply("Biểu đồ tiến độ", attachments=(photo,)))
    assert result.status is SendStatus.SENT and result.parts_sent == 2
    uploads = tg_fake.calls_to("sendPhoto")
    assert len(uploads) == 1 and uploads[0].files["photo"] == PNG
    incoming = tg.parse(
        photo_update(tg_fake, 42, PNG, caption="báo cáo kèm ảnh", update_id=78)
    ).incoming
    assert incoming is not None and incoming.attachments[0].data is None
    resolved = await tg.resolve_attachments(incoming)
    assert resolved.attachments[0].data == PNG
    assert resolved.attachments[0].ref is None
    assert resolved.text == "báo cáo kèm ảnh"


async def test_document_out_keeps_its_name(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    doc = Attachment(kind="document", filename="Tổng hợp.xlsx", data=b"PK\x03\x04" + b"0" * 100)
    result = await tg.send("42", Reply("", attachments=(doc,)))
    assert result.status is SendStatus.SENT
    (sent,) = tg_fake.delivered("42")
    assert sent.method == "senddocument"
    assert tg_fake.calls_to("sendDocument")[0].params["_filenames"]["document"] == "Tổng hợp.xlsx"


async def test_attachment_without_data_fails_without_sending(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    ref_only = Attachment(kind="photo", filename="a.jpg", ref="sha256:abc")
    result = await tg.send("42", Reply("", attachments=(ref_only,)))
    assert result.status is SendStatus.FAILED
    assert tg_fake.calls_to("sendPhoto") == []


async def test_incoming_file_over_the_limit_is_refused(tg_fake: FakeTelegram) -> None:
    channel = TelegramChannel(
        make_bot(TG_TOKEN, base_url=tg_fake.url), bot_username=TG_USERNAME, download_limit=1000
    )
    incoming = channel.parse(photo_update(tg_fake, 42, PNG, update_id=79)).incoming
    assert incoming is not None
    with pytest.raises(FileTooLarge) as caught:
        await channel.resolve_attachments(incoming)
    assert caught.value.size == len(PNG) and caught.value.limit == 1000
    await channel.close()


async def test_429_becomes_retry_after_with_its_seconds(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    tg_fake.fail_429("sendMessage", retry_after=7)
    result = await tg.send("42", Reply("xin chào"))
    assert result.status is SendStatus.RETRY_AFTER
    assert result.retry_after_s == 7.0
    assert result.parts_sent == 0
    assert tg_fake.delivered("42") == []
    assert len(tg_fake.calls_to("sendMessage")) == 1  # PTB did not retry by itself


async def test_global_rate_limit_answers_429(tg_fake: FakeTelegram, tg: TelegramChannel) -> None:
    tg_fake.rate_limit_per_s = 2
    statuses = [(await tg.send(str(chat), Reply("tin"))).status for chat in range(4)]
    assert statuses[:2] == [SendStatus.SENT, SendStatus.SENT]
    assert SendStatus.RETRY_AFTER in statuses[2:]


async def test_403_blocked(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    tg_fake.block(42)
    result = await tg.send("42", Reply("xin chào"))
    assert result.status is SendStatus.BLOCKED
    assert "blocked" in result.detail


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_transient(tg: TelegramChannel, tg_fake: FakeTelegram, status: int) -> None:
    tg_fake.fail_5xx("sendMessage", status=status)
    result = await tg.send("42", Reply("xin chào"))
    assert result.status is SendStatus.TRANSIENT


async def test_bad_request_is_failed(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    tg_fake.fail("sendMessage", 400, "Bad Request: message text is empty")
    result = await tg.send("42", Reply("x"))
    assert result.status is SendStatus.FAILED


async def test_chat_not_found_means_unreachable(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    tg_fake.fail("sendMessage", 400, "Bad Request: chat not found")
    assert (await tg.send("42", Reply("x"))).status is SendStatus.BLOCKED


async def test_unreachable_server_is_transient() -> None:
    async with FakeTelegram(token=TG_TOKEN) as fake:
        url = fake.url
    channel = TelegramChannel(make_bot(TG_TOKEN, base_url=url), bot_username=TG_USERNAME)
    result = await channel.send("42", Reply("xin chào"))
    assert result.status is SendStatus.TRANSIENT
    assert TG_TOKEN not in result.detail


async def test_failure_midway_resumes_without_duplicates(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    text = "\n\n".join(["Đoạn một. " * 300, "Đoạn hai. " * 300, "Đoạn ba. " * 300])
    tg_fake.fail_429("sendMessage", retry_after=2, skip=1)
    first = await tg.send("42", Reply(text))
    assert first.status is SendStatus.RETRY_AFTER
    assert first.parts_sent == 1 and len(first.platform_message_ids) == 1
    second = await tg.send("42", Reply(text), first_part=first.parts_sent)
    assert second.status is SendStatus.SENT
    assert first.parts_sent + second.parts_sent == 3
    texts = tg_fake.texts("42")
    assert len(texts) == 3 and len(set(texts)) == 3
    assert [t.split(".")[0] for t in texts] == ["Đoạn một", "Đoạn hai", "Đoạn ba"]


async def test_answer_callback(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    result = await tg.answer_callback("4382917461529384756")
    assert result.status is SendStatus.SENT
    assert tg_fake.answered_callbacks == ["4382917461529384756"]


async def test_commands_in_vietnamese(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    await tg.set_commands()
    names = [c["command"] for c in tg_fake.commands]
    assert names == ["start", "help", "dangky", "baocao", "giaouoc", "huy"]
    assert all(c["description"] for c in tg_fake.commands)
    assert "Đăng ký thi đua" in tg_fake.commands[2]["description"]


async def test_set_webhook_with_secret(tg: TelegramChannel, tg_fake: FakeTelegram) -> None:
    await tg.set_webhook("https://thidua.example.vn/telegram", "s3cr3t-webhook-value")
    assert tg_fake.webhook["url"] == "https://thidua.example.vn/telegram"
    assert tg_fake.webhook["secret_token"] == "s3cr3t-webhook-value"
    await tg.delete_webhook()
    assert tg_fake.webhook == {}


async def test_long_polling_returns_updates_and_confirms_them(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    first = tg_fake.push_update(message_update(42, "/start HT7K2M9Q"))
    tg_fake.push_update(callback_update(42, "nav:confirm"))
    updates, offset = await tg.get_updates(None, timeout=0)
    assert [u.dedupe_key for u in updates] == [f"tg:{first}", f"tg:{first + 1}"]
    assert updates[0].incoming is not None and updates[0].incoming.text == "/start HT7K2M9Q"
    assert updates[0].incoming.user_id == "42"  # survives PTB's Update -> dict round trip
    assert updates[1].incoming is not None and updates[1].incoming.payload == "nav:confirm"
    assert updates[1].callback_id
    assert offset == first + 2
    again, same = await tg.get_updates(offset, timeout=0)
    assert again == [] and same == offset


async def test_polling_while_a_webhook_is_set_raises(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    await tg.set_webhook("https://thidua.example.vn/telegram", "s3cr3t-webhook-value")
    with pytest.raises(ChannelError) as caught:
        await tg.get_updates(None, timeout=0)
    assert caught.value.status is SendStatus.FAILED
    assert TG_TOKEN not in str(caught.value)


async def test_a_file_without_text_carries_the_keyboard(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    photo = Attachment(kind="photo", filename="a.png", content_type="image/png", data=PNG)
    reply = Reply("", buttons=((Button("Tải lại", "/baocao"),),), attachments=(photo,))
    result = await tg.send("42", reply)
    assert result.status is SendStatus.SENT
    (upload,) = tg_fake.calls_to("sendPhoto")
    (sent,) = tg_fake.delivered("42")
    assert result.platform_message_ids == (str(sent.message_id),)
    rows = sent.reply_markup["inline_keyboard"] if sent.reply_markup else []
    assert [[b["text"], b["callback_data"]] for b in rows[0]] == [["Tải lại", "/baocao"]]
    assert upload.files["photo"] == PNG


async def test_a_button_press_is_answered_through_the_api(
    tg: TelegramChannel, tg_fake: FakeTelegram
) -> None:
    assert (await tg.answer_callback("cb-1")).status is SendStatus.SENT
    assert (await tg.answer_callback("cb-2", "Đã lưu")).status is SendStatus.SENT
    answers = [call.params for call in tg_fake.calls_to("answerCallbackQuery")]
    assert answers == [
        {"callback_query_id": "cb-1"},
        {"callback_query_id": "cb-2", "text": "Đã lưu"},
    ]


async def test_broken_and_silent_connections_after_the_request_are_uncertain() -> None:
    """A hang-up and a server that never answers, once the request was read whole, are PTB's
    NetworkError and TimedOut: the message may have been delivered, which the channel says
    as UNCERTAIN (the outbox sends it again only after its lease); the next call works."""
    actions = ["close", "silent"]
    bodies: list[bytes] = []
    done = asyncio.Event()
    sent = b'{"ok":true,"result":{"message_id":9,"date":0,"chat":{"id":42,"type":"private"}}}'
    me = b'{"ok":true,"result":{"id":7012345678,"is_bot":true,"first_name":"T","username":"T"}}'

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                bodies.append(await reader.readexactly(length))
                answer = me if b"/getMe " in head else sent
                action = actions.pop(0) if actions and answer is sent else "answer"
                if action == "silent":
                    await done.wait()
                if action != "answer":
                    break
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    channel = TelegramChannel(
        make_bot(TG_TOKEN, base_url=f"http://127.0.0.1:{port}", timeout_s=0.3),
        bot_username=TG_USERNAME,
    )
    await channel.start()
    try:
        hang_up = await channel.send("42", Reply("một"))
        assert hang_up.status is SendStatus.UNCERTAIN
        assert "RemoteProtocolError" in hang_up.detail
        silent = await channel.send("42", Reply("hai"))
        assert (silent.status, silent.detail) == (SendStatus.UNCERTAIN, "TimedOut: Timed out")
        result = await channel.send("42", Reply("ba"))
        assert (result.status, result.platform_message_ids) == (SendStatus.SENT, ("9",))
        assert b"text=ba" in bodies[-1]
    finally:
        await channel.close()
        done.set()
        server.close()
