"""Our ZNS client, through the OA channel's tokens, against the fake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

import pytest

from bot.channels.base import SendStatus
from bot.channels.common import VN_TZ
from bot.channels.zalo_oa import MemoryTokenStore, OATokens, ZaloOAChannel
from bot.channels.zalo_zns import ZaloZNSChannel, classify_zns, tracking_id
from bot.messages import Reply
from tests.fakes.zalo_oa_api import FakeZaloOA

PHONE = "84912345678"
FIELDS = {
    "person_name": "Nguyễn Văn An",
    "unit_name": "Sở Tư pháp",
    "subject": "Báo cáo sơ kết 6 tháng",
    "deadline": "15/06/2026",
    "status": "còn 3 ngày",
    "movement": "Thi đua yêu nước 2026",
}
PARAMS = {"ten": "person_name", "don_vi": "unit_name", "han": "deadline", "tinh_trang": "status"}


def reminder(key: str = "rem:r1:p7:2026-06:-3", **fields: str) -> Reply:
    meta = {"zns_fields": json.dumps({**FIELDS, **fields}, ensure_ascii=False)}
    if key:
        meta["key"] = key
    return Reply("Nhắc hạn: Báo cáo sơ kết 6 tháng", meta=meta)


def oa_channel(fake: FakeZaloOA, store: MemoryTokenStore) -> ZaloOAChannel:
    return ZaloOAChannel(
        app_id=fake.app_id,
        app_secret=fake.app_secret,
        oa_secret=fake.oa_secret,
        tokens=store,
        api_base=fake.url,
        oauth_base=fake.url,
    )


@pytest.fixture
def zns(oa: ZaloOAChannel, oa_fake: FakeZaloOA) -> ZaloZNSChannel:
    return ZaloZNSChannel(oa, template_id="312345", params=PARAMS, api_base=oa_fake.url)


# --- sending --------------------------------------------------------------------------------


async def test_a_template_goes_out_with_the_mapped_parameters(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA
) -> None:
    oa_fake.zns_templates["312345"] = set(PARAMS)
    result = await zns.send(PHONE, reminder())
    assert result.status is SendStatus.SENT and result.parts_sent == 1
    [sent] = oa_fake.zns_sent(PHONE)
    assert result.platform_message_ids == (sent.msg_id,)
    assert sent.template_id == "312345"
    assert sent.template_data == {
        "ten": "Nguyễn Văn An",
        "don_vi": "Sở Tư pháp",
        "han": "15/06/2026",
        "tinh_trang": "còn 3 ngày",
    }
    assert sent.tracking_id == "rem:r1:p7:2026-06:-3"
    [call] = oa_fake.calls_to("zns")
    assert call.headers["access_token"] == oa_fake.access_token
    assert set(call.params) == {"phone", "template_id", "template_data", "tracking_id"}
    assert oa_fake.calls_to("cs") == []


async def test_a_resumed_send_of_a_delivered_template_sends_nothing(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA
) -> None:
    result = await zns.send(PHONE, reminder(), first_part=1)
    assert result.status is SendStatus.SENT
    assert oa_fake.calls_to("zns") == []


@pytest.mark.parametrize(
    ("meta", "detail"),
    [
        ({}, "not a JSON object"),
        ({"zns_fields": "[1, 2]"}, "not a JSON object"),
        ({"zns_fields": "{not json"}, "not a JSON object"),
        ({"zns_fields": json.dumps({"person_name": "An"})}, "lacks deadline, status, unit_name"),
    ],
)
async def test_missing_fields_fail_the_message_without_a_call(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA, meta: dict[str, str], detail: str
) -> None:
    result = await zns.send(PHONE, Reply("Nhắc hạn", meta=meta))
    assert result.status is SendStatus.FAILED and detail in result.detail
    assert oa_fake.calls_to("zns") == []


@pytest.mark.parametrize("chat_id", ["+84912345678", "0912345678", "8491234", "oa-user-1"])
async def test_a_chat_id_not_in_84_form_fails_without_a_call(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA, chat_id: str
) -> None:
    assert (await zns.send(chat_id, reminder())).status is SendStatus.FAILED
    assert oa_fake.calls_to("zns") == []


def test_tracking_id_is_stable_and_short() -> None:
    data = {"ten": "An"}
    assert tracking_id(reminder("k1"), PHONE, "1", data) == "k1"
    long_key = "reminder:" + "x" * 80
    hashed = tracking_id(reminder(long_key), PHONE, "1", data)
    assert len(hashed) <= 48 and hashed == tracking_id(reminder(long_key), PHONE, "1", data)
    unkeyed = tracking_id(reminder(""), PHONE, "1", data)
    assert unkeyed == tracking_id(reminder(""), PHONE, "1", data)
    assert unkeyed != tracking_id(reminder(""), "84987654321", "1", data)


def test_a_template_id_and_parameters_are_required(oa: ZaloOAChannel) -> None:
    with pytest.raises(ValueError):
        ZaloZNSChannel(oa, template_id="", params=PARAMS)
    with pytest.raises(ValueError):
        ZaloZNSChannel(oa, template_id="1", params={})


# --- tokens ---------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_and_the_template_resent_once(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA, oa_store: MemoryTokenStore
) -> None:
    spent = oa_fake.refresh_token
    oa_fake.expire_access_token()  # the next ZNS call answers −124
    result = await zns.send(PHONE, reminder())
    assert result.status is SendStatus.SENT
    assert [c.status for c in oa_fake.calls_to("zns")] == [200, 200]
    assert oa_fake.refreshes == 1 and oa_store.saves == 1
    assert spent in oa_fake.used_refresh_tokens
    assert oa_store.tokens is not None and oa_store.tokens.access_token == oa_fake.access_token
    assert len(oa_fake.zns_sent(PHONE)) == 1


async def test_a_token_still_refused_after_the_refresh_keeps_the_message(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA
) -> None:
    oa_fake.expire_access_token()
    oa_fake.fail_zns(-124)  # refused again with the fresh token
    result = await zns.send(PHONE, reminder())
    assert result.status is SendStatus.TRANSIENT and result.detail == "token_invalid"
    assert oa_fake.refreshes == 1 and oa_fake.zns_sent() == []


async def test_zns_and_customer_service_sends_share_one_refresh(
    oa: ZaloOAChannel, zns: ZaloZNSChannel, oa_fake: FakeZaloOA, oa_store: MemoryTokenStore
) -> None:
    oa_fake.expire_access_token()
    oa_fake.method_delays["access_token"] = 0.05  # the others queue behind the refresh
    results = await asyncio.gather(
        *(zns.send(f"8491234567{n}", reminder(f"k{n}")) for n in range(4)),
        *(oa.send(f"u{n}", Reply("xin chào")) for n in range(4)),
    )
    assert all(r.status is SendStatus.SENT for r in results)
    assert oa_fake.refreshes == 1 and oa_store.saves == 1


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (-108, SendStatus.BLOCKED, "invalid_phone"),
        (-118, SendStatus.BLOCKED, "not_zalo_user"),
        (-115, SendStatus.RETRY_AFTER, None),
        (-144, SendStatus.RETRY_AFTER, None),
        (-32, SendStatus.RETRY_AFTER, None),
        (-100, SendStatus.TRANSIENT, None),
        (-109, SendStatus.FAILED, "-109: Template ID invalid"),
        (-112, SendStatus.FAILED, None),
    ],
)
async def test_error_codes(
    zns: ZaloZNSChannel,
    oa_fake: FakeZaloOA,
    error: int,
    status: SendStatus,
    detail: str | None,
) -> None:
    oa_fake.fail_zns(error)
    result = await zns.send(PHONE, reminder())
    assert result.status is status
    if detail is not None:
        assert result.detail == detail
    if status is SendStatus.RETRY_AFTER:
        assert result.retry_after_s > 0
    assert oa_fake.zns_sent() == [] and oa_fake.refreshes == 0


async def test_the_fakes_own_refusals(zns: ZaloZNSChannel, oa_fake: FakeZaloOA) -> None:
    oa_fake.not_zalo_users.add(PHONE)
    oa_fake.zns_templates["999"] = {"ten"}  # the office's template is not this one
    assert (await zns.send(PHONE, reminder())).status is SendStatus.FAILED  # −109
    oa_fake.zns_templates["312345"] = set(PARAMS)
    assert (await zns.send(PHONE, reminder())).detail == "not_zalo_user"  # −118
    assert (await zns.send("84987654321", reminder())).status is SendStatus.SENT


async def test_quota_waits_an_hour_and_night_waits_for_the_morning() -> None:
    assert classify_zns(-115, "x", datetime(2026, 3, 10, 9, 0, tzinfo=VN_TZ)).retry_after_s == 3600
    at_23 = classify_zns(-133, "x", datetime(2026, 3, 10, 23, 0, tzinfo=VN_TZ))
    at_3 = classify_zns(-133, "x", datetime(2026, 3, 11, 3, 30, tzinfo=VN_TZ))
    assert at_23.status is SendStatus.RETRY_AFTER and at_23.retry_after_s == 7 * 3600
    assert at_3.retry_after_s == 2.5 * 3600


@pytest.mark.parametrize("http_status", [500, 502, 503])
async def test_server_errors_are_transient(
    zns: ZaloZNSChannel, oa_fake: FakeZaloOA, http_status: int
) -> None:
    oa_fake.inject(http_status, {}, method="zns")
    assert (await zns.send(PHONE, reminder())).status is SendStatus.TRANSIENT


async def test_http_429_waits(zns: ZaloZNSChannel, oa_fake: FakeZaloOA) -> None:
    oa_fake.inject(429, {}, method="zns")
    result = await zns.send(PHONE, reminder())
    assert result.status is SendStatus.RETRY_AFTER and result.retry_after_s > 0


async def test_a_network_failure_is_transient(oa: ZaloOAChannel) -> None:
    closed = FakeZaloOA()
    url = await closed.start()
    await closed.stop()  # nothing listens there any more
    channel = ZaloZNSChannel(oa, template_id="312345", params=PARAMS, api_base=url)
    assert (await channel.send(PHONE, reminder())).status is SendStatus.TRANSIENT


# --- secrets --------------------------------------------------------------------------------


async def test_tokens_never_reach_details_or_logs(
    caplog: pytest.LogCaptureFixture, oa_fake: FakeZaloOA
) -> None:
    caplog.set_level(logging.DEBUG)
    first = oa_fake.initial_tokens()
    store = MemoryTokenStore(OATokens("revoked-access", first.refresh_token, first.expires_at))
    oa = oa_channel(oa_fake, store)
    zns = ZaloZNSChannel(oa, template_id="312345", params=PARAMS, api_base=oa_fake.url)
    results = [await zns.send(PHONE, reminder())]  # refreshes first
    assert store.tokens is not None
    leak = f"bad template for {store.tokens.access_token} / {store.tokens.refresh_token}"
    oa_fake.inject(200, {"error": -109, "message": leak}, method="zns")
    results.append(await zns.send(PHONE, reminder()))
    await oa.close()
    secrets = [
        oa_fake.app_secret,
        first.refresh_token,
        store.tokens.access_token,
        store.tokens.refresh_token,
    ]
    text = caplog.text + " ".join(r.detail for r in results)
    assert all(secret not in text for secret in secrets)
    assert "<redacted>" in results[-1].detail
    assert PHONE not in caplog.text  # the phone is masked in our own log lines
