"""Our Zalo OA client against the fake: signatures, tokens, error codes."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from bot.channels.base import ChannelContext, ChannelError, MalformedUpdate, SendStatus
from bot.channels.common import VN_TZ
from bot.channels.zalo_oa import (
    MemoryTokenStore,
    OATokens,
    ZaloOAChannel,
    from_settings,
)
from bot.channels.zalo_oa_events import sign, signed_timestamps
from bot.config import Settings
from bot.messages import Attachment, Button, Reply
from tests.fakes.zalo_oa_api import FakeZaloOA, image_event, text_event


def channel_with(
    fake: FakeZaloOA, store: MemoryTokenStore, now: Callable[[], datetime] | None = None
) -> ZaloOAChannel:
    return ZaloOAChannel(
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        oa_secret=fake.oa_secret,
        tokens=store,
        api_base=fake.url,
        oauth_base=fake.url,
        now=now,
    )


# --- webhook signatures ---------------------------------------------------------------------


def test_signed_event_is_accepted(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    body, headers = oa_fake.signed(text_event("u1", "Hạn nộp báo cáo?"))
    assert oa.verify(body, headers["X-ZEvent-Signature"])


def test_signature_is_the_documented_sha256(oa_fake: FakeZaloOA) -> None:
    body = b'{"timestamp":"1767157200000"}'
    mac = sign("app", body, "1767157200000", "secret")
    assert mac == "mac=" + hashlib.sha256(b"app" + body + b"1767157200000secret").hexdigest()


@pytest.mark.parametrize("how", [{"tamper": True}, {"secret": "wrong-secret"}, {"app_id": "999"}])
def test_bad_signatures_are_rejected(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA, how: dict[str, object]
) -> None:
    body, headers = oa_fake.signed(text_event("u1", "xin chào"), **how)  # type: ignore[arg-type]
    assert not oa.verify(body, headers["X-ZEvent-Signature"])


def test_missing_header_or_garbage_body_is_rejected(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    body, headers = oa_fake.signed(text_event("u1", "xin chào"))
    assert not oa.verify(body, None)
    assert not oa.verify(body, "")
    assert not oa.verify(b"not json", headers["X-ZEvent-Signature"])


async def test_the_freshness_window_comes_from_the_settings(oa_fake: FakeZaloOA) -> None:
    values = {
        "zalo_oa_app_id": oa_fake.app_id,
        "zalo_oa_app_secret": oa_fake.app_secret,
        "zalo_oa_secret_key": oa_fake.oa_secret,
    }
    context = ChannelContext(token_store=lambda _name, _initial: MemoryTokenStore())
    default = from_settings(Settings(**values), context)
    narrow = from_settings(Settings(**values, zalo_oa_max_event_age_s=60), context)
    assert default is not None and narrow is not None
    assert (default.max_event_age, narrow.max_event_age) == (
        timedelta(minutes=5),
        timedelta(seconds=60),
    )
    two_minutes_ago = int((datetime.now(VN_TZ) - timedelta(minutes=2)).timestamp() * 1000)
    body, headers = oa_fake.signed(text_event("u1", "xin chào", timestamp_ms=two_minutes_ago))
    assert default.verify(body, headers["X-ZEvent-Signature"])
    assert not narrow.verify(body, headers["X-ZEvent-Signature"])
    await default.close()
    await narrow.close()


async def test_the_signed_timestamp_is_found_without_parsing_the_body(
    oa_fake: FakeZaloOA, oa_store: MemoryTokenStore
) -> None:
    """As Zalo sends it (a string, after the message) or as a number; a body that is no JSON
    at all is still checked, and refused, without a parser."""
    stamp = "1767157200000"
    oa = channel_with(oa_fake, oa_store, now=lambda: datetime.fromtimestamp(1767157200, VN_TZ))
    for body in [
        b'{"message":{"text":"x"},"timestamp":"1767157200000"}',
        b'{"timestamp": 1767157200000, "event_name": "follow"}',
        b"[" * 100_000 + b'"timestamp":"1767157200000"',
    ]:
        assert signed_timestamps(body) == [stamp]
        assert oa.verify(body, sign(oa_fake.app_id, body, stamp, oa_fake.oa_secret))
        assert not oa.verify(body, sign(oa_fake.app_id, body, stamp, "not-the-secret"))
    await oa.close()
    many = b"".join(b'"timestamp":"%d",' % n for n in range(1000))
    assert signed_timestamps(many) == ["0", "1", "2", "3"]  # a forged body costs four hashes
    assert signed_timestamps(b"{}") == [""]  # as Zalo signs an event without one


@pytest.mark.parametrize(
    "change",
    [
        {"sender": "2468013579"},
        {"sender": {"id": ["x"]}},
        {"message": "đăng ký"},
        {"message": {"text": 5, "msg_id": "m1"}},
        {"message": {"text": "x", "msg_id": "m1", "attachments": "ảnh"}},
        {"message": {"text": "x", "msg_id": "m1", "attachments": [{"payload": "url"}]}},
        {"timestamp": "1e20"},
        {"timestamp": "99999999999999999"},
        {"message": {"text": "x"}, "timestamp": None},  # no msg_id and no time: no key
    ],
)
def test_an_event_of_the_wrong_shape_is_malformed(
    oa: ZaloOAChannel, change: dict[str, object]
) -> None:
    event = {**text_event("2468013579", "xin chào", timestamp_ms=1767157200000), **change}
    with pytest.raises(MalformedUpdate):
        oa.parse(event)


# --- parsing and interaction window -----------------------------------------------------------


def test_text_event_parse_and_last_interaction(oa: ZaloOAChannel) -> None:
    event = text_event("2468013579", "đăng ký thi đua", timestamp_ms=1767157200000)
    update = oa.parse(event)
    assert update.dedupe_key == f"zoa:user_send_text:{event['message']['msg_id']}"
    assert update.incoming is not None
    assert update.incoming.chat_id == update.incoming.user_id == "2468013579"
    assert update.incoming.text == "đăng ký thi đua"
    at = datetime(2025, 12, 31, 12, 0, tzinfo=VN_TZ)
    assert oa.last_interaction(event) == ("2468013579", at)
    assert update.incoming.received_at == at
    seen = {**event, "event_name": "user_seen_message"}
    assert oa.last_interaction(seen) is None
    assert oa.parse(seen).incoming is None


async def test_image_event_is_downloaded(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    url = oa_fake.add_media(b"\xff\xd8jpeg-bytes")
    incoming = oa.parse(image_event("u1", url)).incoming
    assert incoming is not None and incoming.attachments[0].kind == "photo"
    resolved = await oa.resolve_attachments(incoming)
    assert resolved.attachments[0].data == b"\xff\xd8jpeg-bytes"


# --- sending --------------------------------------------------------------------------------


async def test_text_with_choices(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    reply = Reply(
        "Chọn kỳ báo cáo", buttons=((Button("Quý I", "ky:q1"), Button("6 tháng", "ky:6t")),)
    )
    result = await oa.send("u1", reply)
    assert result.status is SendStatus.SENT
    (text,) = oa_fake.texts("u1")
    assert "1. Quý I\n2. 6 tháng" in text
    assert oa_fake.calls_to("cs")[0].headers["access_token"] == oa_fake.access_token


async def test_long_text_is_split_at_2000(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    text = "Đơn vị đã hoàn thành chỉ tiêu. " * 150
    result = await oa.send("u1", Reply(text))
    assert result.status is SendStatus.SENT and result.parts_sent == 3
    assert all(len(t) <= 2000 for t in oa_fake.texts("u1"))


async def test_photo_and_document_are_uploaded_then_sent(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA
) -> None:
    photo = Attachment(kind="photo", filename="a.jpg", content_type="image/jpeg", data=b"jpg")
    doc = Attachment(kind="document", filename="Báo cáo.pdf", data=b"%PDF-1.7")
    result = await oa.send("u1", Reply("", attachments=(photo, doc)))
    assert result.status is SendStatus.SENT and result.parts_sent == 2
    image_msg, file_msg = (s.message for s in oa_fake.sent("u1"))
    element = image_msg["attachment"]["payload"]["elements"][0]
    assert oa_fake.uploads[element["attachment_id"]] == b"jpg"
    assert oa_fake.uploads[file_msg["attachment"]["payload"]["token"]] == b"%PDF-1.7"


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (-230, SendStatus.BLOCKED, "no_interaction"),
        (-213, SendStatus.BLOCKED, "not_follower"),
        (-32, SendStatus.RETRY_AFTER, None),
        (-201, SendStatus.FAILED, None),
    ],
)
async def test_error_codes(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA, error: int, status: SendStatus, detail: str | None
) -> None:
    oa_fake.fail_cs(error)
    result = await oa.send("u1", Reply("xin chào"))
    assert result.status is status
    if detail is not None:
        assert result.detail == detail
    if status is SendStatus.RETRY_AFTER:
        assert result.retry_after_s > 0
    assert oa_fake.texts("u1") == []


async def test_follower_and_interaction_state_of_the_fake(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA
) -> None:
    oa_fake.not_followers.add("u1")
    oa_fake.no_interaction.add("u2")
    assert (await oa.send("u1", Reply("a"))).detail == "not_follower"
    assert (await oa.send("u2", Reply("a"))).detail == "no_interaction"
    assert (await oa.send("u3", Reply("a"))).status is SendStatus.SENT


async def test_server_error_is_transient(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    oa_fake.inject(502, {}, method="cs")
    assert (await oa.send("u1", Reply("a"))).status is SendStatus.TRANSIENT


# --- tokens ---------------------------------------------------------------------------------


async def test_invalid_token_refreshes_once_and_rotates_the_single_use_refresh_token(
    oa_fake: FakeZaloOA,
) -> None:
    first = oa_fake.initial_tokens()
    store = MemoryTokenStore(OATokens("revoked-access", first.refresh_token, first.expires_at))
    channel = channel_with(oa_fake, store)
    result = await channel.send("u1", Reply("xin chào"))
    assert result.status is SendStatus.SENT
    assert oa_fake.refreshes == 1 and store.saves == 1
    assert store.tokens is not None
    assert store.tokens.access_token == oa_fake.access_token
    assert store.tokens.refresh_token == oa_fake.refresh_token != first.refresh_token
    assert first.refresh_token in oa_fake.used_refresh_tokens
    assert [c.status for c in oa_fake.calls_to("cs")] == [200, 200]
    assert oa_fake.texts("u1") == ["xin chào"]
    refresh_call = oa_fake.calls_to("access_token")[0]
    assert refresh_call.params["grant_type"] == "refresh_token"
    assert refresh_call.params["app_id"] == oa_fake.app_id
    # The spent refresh token is refused from now on (single use).
    stale = MemoryTokenStore(OATokens("revoked", first.refresh_token, first.expires_at))
    again = await channel_with(oa_fake, stale).send("u1", Reply("lần nữa"))
    assert again.status is SendStatus.TRANSIENT and again.detail == "token_refresh_failed"
    await channel.close()


async def test_expired_token_minus_220_refreshes(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    oa_fake.expire_access_token()
    assert (await oa.send("u1", Reply("a"))).status is SendStatus.SENT
    assert oa_fake.refreshes == 1


async def test_refresh_happens_once_per_rejection(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> None:
    oa_fake.expire_access_token()
    oa_fake.fail_cs(-216)  # still refused after the refresh
    result = await oa.send("u1", Reply("a"))
    assert result.status is SendStatus.TRANSIENT and result.detail == "token_invalid"
    assert oa_fake.refreshes == 1


async def test_concurrent_sends_share_one_refresh(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA, oa_store: MemoryTokenStore
) -> None:
    oa_fake.expire_access_token()
    oa_fake.method_delays["access_token"] = 0.05  # others pile up behind the refresh
    results = await asyncio.gather(*(oa.send(f"u{n}", Reply("a")) for n in range(8)))
    assert all(r.status is SendStatus.SENT for r in results)
    assert oa_fake.refreshes == 1 and oa_store.saves == 1


async def test_token_past_its_expiry_is_refreshed_before_the_call(oa_fake: FakeZaloOA) -> None:
    store = MemoryTokenStore(oa_fake.initial_tokens(valid_for=timedelta(minutes=-1)))
    channel = channel_with(oa_fake, store)
    assert (await channel.send("u1", Reply("a"))).status is SendStatus.SENT
    assert oa_fake.refreshes == 1
    assert [c.status for c in oa_fake.calls_to("cs")] == [200]
    await channel.close()


async def test_no_tokens_keeps_the_message(oa_fake: FakeZaloOA) -> None:
    channel = channel_with(oa_fake, MemoryTokenStore())
    result = await channel.send("u1", Reply("a"))
    assert result.status is SendStatus.TRANSIENT
    assert oa_fake.calls_to("cs") == []
    await channel.close()


async def test_a_file_zalo_no_longer_serves_is_refused_not_stored(
    oa: ZaloOAChannel, oa_fake: FakeZaloOA
) -> None:
    """The 404's body is not taken for the file; the error will not heal."""
    incoming = oa.parse(image_event("u1", f"{oa_fake.url}/media/gone.jpg")).incoming
    assert incoming is not None
    with pytest.raises(ChannelError) as refused:
        await oa.resolve_attachments(incoming)
    assert (refused.value.status, refused.value.detail) == (SendStatus.FAILED, "download HTTP 404")


async def test_no_answer_in_time_is_uncertain(
    oa_fake: FakeZaloOA, oa_store: MemoryTokenStore
) -> None:
    """The message call read by Zalo but not answered within the timeout may have been
    delivered: UNCERTAIN, not a plain TRANSIENT the outbox would resend at once."""
    oa_fake.method_delays["cs"] = 1.5
    channel = ZaloOAChannel(
        app_id=oa_fake.app_id,
        app_secret=oa_fake.app_secret,
        oa_secret=oa_fake.oa_secret,
        tokens=oa_store,
        api_base=oa_fake.url,
        oauth_base=oa_fake.url,
        timeout_s=0.3,
    )
    try:
        result = await channel.send("u1", Reply("xin chào"))
    finally:
        await channel.close()
    assert (result.status, result.detail) == (SendStatus.UNCERTAIN, "ReadTimeout")
