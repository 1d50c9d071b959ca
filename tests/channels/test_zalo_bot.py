"""Our Zalo Bot API client against the fake server."""

from __future__ import annotations

import pytest

from bot.channels.base import ChannelError, FileTooLarge, MalformedUpdate, SendStatus
from bot.channels.common import download_failure
from bot.channels.zalo_bot import SECRET_HEADER, TEXT_LIMIT, ZaloBotChannel
from bot.i18n import channels_vi
from bot.messages import Attachment, Button, Reply
from tests.channels.conftest import ZB_TOKEN
from tests.fakes.zalo_bot_api import FakeZaloBot, image_event, text_event

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20


async def test_no_update_is_http_408_and_an_empty_list(
    zb: ZaloBotChannel, zb_fake: FakeZaloBot
) -> None:
    assert await zb.get_updates(timeout=0) == []
    assert [c.status for c in zb_fake.calls_to("getUpdates")] == [408]


async def test_long_poll_returns_one_update_with_its_dedupe_key(
    zb: ZaloBotChannel, zb_fake: FakeZaloBot
) -> None:
    zb_fake.push(text_event("e4ea2cd5189df1c3a88c", "đăng ký thi đua", message_id="16f6366b"))
    (update,) = await zb.get_updates(timeout=1)
    assert update.dedupe_key == "zb:message.text.received:16f6366b"
    message = update.incoming
    assert message is not None
    assert (message.channel, message.chat_id, message.text) == (
        "zalo_bot",
        "e4ea2cd5189df1c3a88c",
        "đăng ký thi đua",
    )
    assert message.received_at is not None and message.received_at.utcoffset() is not None


def test_webhook_body_is_unwrapped_and_unknown_events_ignored(zb: ZaloBotChannel) -> None:
    event = text_event("u1", "xin chào", message_id="abc")
    assert zb.parse({"ok": True, "result": event}).dedupe_key == "zb:message.text.received:abc"
    sticker = {**event, "event_name": "message.sticker.received"}
    update = zb.parse(sticker)
    assert update.incoming is None and update.dedupe_key == "zb:message.sticker.received:abc"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message", "xin chào"),
        ("message_id", None),  # its dedupe key: two such updates would be one
        ("message_id", ""),
        ("from", "u1"),
        ("from", None),
        ("chat", ["u1"]),
        ("date", 1e20),
        ("text", ["xin chào"]),
    ],
)
def test_a_message_of_the_wrong_shape_is_malformed(
    zb: ZaloBotChannel, field: str, value: object
) -> None:
    event = text_event("u1", "xin chào", message_id="abc")
    if field == "message":
        event["message"] = value
    elif value is None:
        del event["message"][field]
    else:
        event["message"][field] = value
    with pytest.raises(MalformedUpdate):
        zb.parse({"ok": True, "result": event})


async def test_long_text_is_split_at_2000(zb: ZaloBotChannel, zb_fake: FakeZaloBot) -> None:
    text = "\n".join(f"Dòng {n}: đơn vị đã nộp báo cáo sơ kết đúng hạn." for n in range(120))
    assert len(text) > 2 * TEXT_LIMIT
    result = await zb.send("u1", Reply(text))
    assert result.status is SendStatus.SENT
    texts = zb_fake.texts("u1")
    assert len(texts) == result.parts_sent == 3  # the fake refuses > 2,000
    assert all(len(t) <= TEXT_LIMIT for t in texts)
    assert "\n".join(texts) == text


async def test_buttons_become_numbered_choices(zb: ZaloBotChannel, zb_fake: FakeZaloBot) -> None:
    reply = Reply(
        "Xác nhận đăng ký?",
        buttons=(
            (Button("Xác nhận", "nav:confirm"), Button("Sửa", "nav:edit")),
            (Button("Huỷ", "nav:cancel"),),
        ),
    )
    result = await zb.send("u1", reply)
    assert result.status is SendStatus.SENT
    (text,) = zb_fake.texts("u1")
    assert "1. Xác nhận\n2. Sửa\n3. Huỷ" in text
    assert text.endswith(channels_vi.CHOICE_HINT)


async def test_429_is_retry_after(zb: ZaloBotChannel, zb_fake: FakeZaloBot) -> None:
    zb_fake.fail_429()
    result = await zb.send("u1", Reply("xin chào"))
    assert result.status is SendStatus.RETRY_AFTER and result.retry_after_s > 0
    assert zb_fake.texts("u1") == []


async def test_403_is_blocked_and_5xx_transient(zb: ZaloBotChannel, zb_fake: FakeZaloBot) -> None:
    zb_fake.block("u1")
    assert (await zb.send("u1", Reply("a"))).status is SendStatus.BLOCKED
    zb_fake.fail_5xx(status=503)
    assert (await zb.send("u2", Reply("a"))).status is SendStatus.TRANSIENT
    assert (await zb.send("u2", Reply("a"))).status is SendStatus.SENT


async def test_webhook_setup_and_secret_header_check(
    zb: ZaloBotChannel, zb_fake: FakeZaloBot
) -> None:
    await zb.set_webhook("https://thidua.example.vn/zalo", "mykey-abcxyz-123")
    assert zb_fake.webhook == {
        "url": "https://thidua.example.vn/zalo",
        "secret_token": "mykey-abcxyz-123",
    }
    checked = ZaloBotChannel(
        "1:zalo-test-token", webhook_secret="mykey-abcxyz-123", client=zb.client
    )
    assert checked.verify_webhook({SECRET_HEADER: "mykey-abcxyz-123"}, b"{}")
    assert not checked.verify_webhook({SECRET_HEADER: "mykey-abcxyz-124"}, b"{}")
    assert not checked.verify_webhook({}, b"{}")
    assert not ZaloBotChannel("1:zalo-test-token", client=zb.client).verify_webhook(
        {SECRET_HEADER: ""}, b"{}"
    )


async def test_incoming_photo_is_downloaded_within_the_limit(
    zb: ZaloBotChannel, zb_fake: FakeZaloBot
) -> None:
    url = zb_fake.add_media(JPEG)
    incoming = zb.parse(image_event("u1", url, caption="ảnh báo cáo")).incoming
    assert incoming is not None and incoming.text == "ảnh báo cáo"
    resolved = await zb.resolve_attachments(incoming)
    assert resolved.attachments[0].data == JPEG
    small = ZaloBotChannel(ZB_TOKEN, base_url=zb_fake.url, download_limit=100)
    with pytest.raises(FileTooLarge):
        await small.resolve_attachments(incoming)
    await small.close()


async def test_photo_goes_by_url_or_as_a_note(zb_fake: FakeZaloBot) -> None:
    photo = Attachment(kind="photo", filename="bieu-do.png", data=JPEG, ref="sha256:ab12")
    with_urls = ZaloBotChannel(
        ZB_TOKEN, base_url=zb_fake.url, media_url=lambda a: f"https://thidua.example.vn/f/{a.ref}"
    )
    result = await with_urls.send("u1", Reply("Biểu đồ", attachments=(photo,)))
    assert result.status is SendStatus.SENT and result.parts_sent == 2
    (sent_photo,) = [s for s in zb_fake.sent("u1") if s.method == "sendphoto"]
    assert sent_photo.photo == "https://thidua.example.vn/f/sha256:ab12"
    without = ZaloBotChannel(ZB_TOKEN, base_url=zb_fake.url)
    await without.send("u2", Reply("", attachments=(photo,)))
    assert zb_fake.texts("u2") == [channels_vi.ATTACHMENT_NOT_SENT.format(name="bieu-do.png")]
    await with_urls.close()
    await without.close()


async def test_a_photo_zalo_no_longer_serves_is_refused_for_good_and_a_5xx_is_not(
    zb: ZaloBotChannel, zb_fake: FakeZaloBot
) -> None:
    """A 404 will not heal (the inbox worker gives up after its tries); a 5xx may."""
    incoming = zb.parse(image_event("u1", f"{zb_fake.url}/media/gone.jpg")).incoming
    assert incoming is not None
    with pytest.raises(ChannelError) as refused:
        await zb.resolve_attachments(incoming)
    assert (refused.value.status, refused.value.detail) == (SendStatus.FAILED, "download HTTP 404")
    assert download_failure(502).status is download_failure(429).status is SendStatus.TRANSIENT


async def test_no_answer_in_time_is_uncertain_and_no_connection_transient(
    zb_fake: FakeZaloBot,
) -> None:
    """A send the server read but did not answer within the timeout may have been delivered
    (UNCERTAIN: the outbox waits out the lease); one that never connected surely was not."""
    zb_fake.method_delays["sendMessage"] = 1.5
    slow = ZaloBotChannel(ZB_TOKEN, base_url=zb_fake.url, timeout_s=0.3)
    try:
        result = await slow.send("u1", Reply("xin chào"))
    finally:
        await slow.close()
    assert (result.status, result.detail) == (SendStatus.UNCERTAIN, "ReadTimeout: ")
    closed = FakeZaloBot(token=ZB_TOKEN)
    url = await closed.start()
    await closed.stop()  # nothing listens there any more
    gone = ZaloBotChannel(ZB_TOKEN, base_url=url)
    try:
        assert (await gone.send("u1", Reply("xin chào"))).status is SendStatus.TRANSIENT
    finally:
        await gone.close()
