"""Where a reminder goes: the Zalo OA windows, ZNS, other linked channels, and nothing left."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.reach import Identity, Route, RouteKind, RoutingPolicy, choose_route, routes
from bot.store.phone import zns_phone

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
PHONE = "+84912345678"
ZNS = Route("zalo_zns", "84912345678", RouteKind.ZNS)
FREE = RoutingPolicy(allow_paid_cs=False, zns_enabled=True)
PAID = RoutingPolicy(allow_paid_cs=True, zns_enabled=True)
NO_ZNS = RoutingPolicy(allow_paid_cs=False, zns_enabled=False)
PAID_NO_ZNS = RoutingPolicy(allow_paid_cs=True, zns_enabled=False)
H, D = timedelta(hours=1), timedelta(days=1)


def oa(age: timedelta | None, uid: str = "oa1", *, unreachable: bool = False) -> Identity:
    return Identity("zalo_oa", uid, None if age is None else NOW - age, unreachable)


def tg(age: timedelta | None, *, unreachable: bool = False) -> Identity:
    return Identity("telegram", "7001", None if age is None else NOW - age, unreachable)


def zb(age: timedelta | None) -> Identity:
    return Identity("zalo_bot", "zb1", None if age is None else NOW - age)


CS = Route("zalo_oa", "oa1", RouteKind.CS)
CS_PAID = Route("zalo_oa", "oa1", RouteKind.CS_PAID)
TG = Route("telegram", "7001", RouteKind.DIRECT)
ZB = Route("zalo_bot", "zb1", RouteKind.DIRECT)

CASES = [
    # (id, identities, phone, policy, phone unreachable, expected routes best first)
    ("oa-just-now", [oa(timedelta(0))], PHONE, FREE, False, [CS]),
    ("oa-47h59", [oa(48 * H - timedelta(minutes=1))], PHONE, FREE, False, [CS]),
    ("oa-48h-paid-off", [oa(48 * H)], PHONE, FREE, False, [ZNS]),
    ("oa-48h-paid-on", [oa(48 * H)], PHONE, PAID, False, [CS_PAID]),
    ("oa-6d23h59-paid-on", [oa(7 * D - timedelta(minutes=1))], PHONE, PAID, False, [CS_PAID]),
    ("oa-7d-paid-on", [oa(7 * D)], PHONE, PAID, False, [ZNS]),
    ("oa-3d-paid-off", [oa(3 * D)], PHONE, FREE, False, [ZNS]),
    ("oa-3d-paid-off-zns-off", [oa(3 * D)], PHONE, NO_ZNS, False, []),
    ("oa-3d-paid-on-zns-off", [oa(3 * D)], PHONE, PAID_NO_ZNS, False, [CS_PAID]),
    ("oa-30d-zns-off", [oa(30 * D)], PHONE, PAID_NO_ZNS, False, []),
    ("oa-30d-no-phone", [oa(30 * D)], "", PAID, False, []),
    ("oa-30d-malformed-phone", [oa(30 * D)], "12345", PAID, False, []),
    ("oa-30d-phone-unreachable", [oa(30 * D)], PHONE, PAID, True, []),
    ("oa-30d-phone-typed-domestic", [oa(30 * D)], "0912 345 678", FREE, False, [ZNS]),
    ("oa-never-interacted", [oa(None)], PHONE, FREE, False, [ZNS]),
    ("oa-clock-skew-future", [oa(-H)], PHONE, FREE, False, [CS]),
    ("oa-1h-zns-off-still-cs", [oa(H)], "", NO_ZNS, False, [CS]),
    ("telegram-old-is-direct", [tg(365 * D)], "", NO_ZNS, False, [TG]),
    ("zalo-bot-is-direct", [zb(40 * D)], PHONE, FREE, False, [ZB]),
    ("oa-recent-then-telegram", [tg(2 * D), oa(H)], PHONE, FREE, False, [CS, TG]),
    ("telegram-recent-then-zns", [oa(10 * D), tg(H)], PHONE, FREE, False, [TG, ZNS]),
    ("oa-stale-but-latest-zns-first", [tg(20 * D), oa(10 * D)], PHONE, FREE, False, [ZNS, TG]),
    ("oa-stale-zns-off-falls-to-tg", [oa(10 * D), tg(20 * D)], PHONE, NO_ZNS, False, [TG]),
    ("unreachable-tg-skipped", [tg(H, unreachable=True), oa(30 * D)], PHONE, FREE, False, [ZNS]),
    ("unreachable-oa-skipped", [oa(H, unreachable=True), tg(5 * D)], PHONE, FREE, False, [TG]),
    (
        "all-unreachable",
        [oa(H, unreachable=True), tg(H, unreachable=True)],
        PHONE,
        FREE,
        False,
        [],
    ),
    ("two-stale-oa-one-zns", [oa(9 * D, "a"), oa(8 * D, "b")], PHONE, FREE, False, [ZNS]),
    ("never-used-last", [tg(None), zb(5 * D)], "", NO_ZNS, False, [ZB, TG]),
    ("zns-identity-ignored", [Identity("zalo_zns", "849", NOW)], PHONE, FREE, False, []),
    ("console-not-direct", [Identity("console", "head", NOW), tg(D)], "", FREE, False, [TG]),
    ("nothing-linked", [], PHONE, PAID, False, []),
]


@pytest.mark.parametrize(
    ("identities", "phone", "policy", "phone_unreachable", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_routes(
    identities: list[Identity],
    phone: str,
    policy: RoutingPolicy,
    phone_unreachable: bool,
    expected: list[Route],
) -> None:
    found = routes(
        identities, phone=phone, now=NOW, policy=policy, phone_unreachable=phone_unreachable
    )
    assert list(found) == expected
    chosen = choose_route(
        identities, phone=phone, now=NOW, policy=policy, phone_unreachable=phone_unreachable
    )
    assert chosen == (expected[0] if expected else None)


def test_ties_keep_the_callers_order_and_a_generator_is_enough() -> None:
    first, second = Identity("telegram", "1", NOW - H), Identity("zalo_bot", "2", NOW - H)
    assert [r.chat_id for r in routes(iter([first, second]), phone="", now=NOW, policy=FREE)] == [
        "1",
        "2",
    ]
    assert [r.chat_id for r in routes([second, first], phone="", now=NOW, policy=FREE)] == [
        "2",
        "1",
    ]


def test_times_in_other_zones_compare_as_instants() -> None:
    utc_47h = (NOW - 47 * H).astimezone(ZoneInfo("UTC"))
    assert choose_route(
        [Identity("zalo_oa", "oa1", utc_47h)], phone=PHONE, now=NOW, policy=FREE
    ) == Route("zalo_oa", "oa1", RouteKind.CS)


def test_the_office_may_name_other_direct_channels() -> None:
    console = Identity("console", "head", NOW - H)
    policy = RoutingPolicy(direct_channels=frozenset({"console", "telegram"}))
    assert routes([console, zb(H)], phone="", now=NOW, policy=policy) == (
        Route("console", "head", RouteKind.DIRECT),
    )


def test_route_is_a_frozen_value_whose_kind_compares_to_plain_strings() -> None:
    route = Route("zalo_oa", "oa1", RouteKind.CS_PAID)
    assert route.kind == "cs_paid" and RouteKind.ZNS == "zns" and RouteKind.DIRECT == "direct"
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.chat_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("+84912345678", "84912345678"),
        ("0912 345 678", "84912345678"),
        ("84912345678", "84912345678"),
        ("+842393123456", "842393123456"),  # a landline: 10 digits after the 0
    ],
)
def test_zns_phone(stored: str, expected: str) -> None:
    assert zns_phone(stored) == expected


@pytest.mark.parametrize("bad", ["", "+1 555 0100", "12345", "+84 0912 345 678"])
def test_zns_phone_refuses_what_is_not_a_vietnamese_number(bad: str) -> None:
    with pytest.raises(ValueError):
        zns_phone(bad)
