"""Reminders to a Zalo OA contact, end to end: the route chosen from the person's records, an
outbox row on that route, and the outbox sender delivering it through our httpx clients to
the fake OA / ZNS server on 127.0.0.1.

`route_of` below loads what routing needs the way the reminder scheduler is expected to.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.zalo_oa import ZaloOAChannel
from bot.channels.zalo_zns import ZaloZNSChannel
from bot.delivery.sender import OutboxSender
from bot.messages import Reply
from bot.reminders.reach import Identity, Route, RouteKind, RoutingPolicy, choose_route
from bot.store import outbox
from bot.store.models import ChannelIdentity, Person
from bot.store.outbox import OutboxMessage
from bot.store.phone import zns_phone
from bot.store.tokens import DatabaseTokenStore, PlatformToken
from bot.store.unreachable import UnreachableChat
from tests.fakes.zalo_oa_api import FakeZaloOA
from tests.forms.conftest import World, build_world

OA_USER = "8412345678901234"
PHONE = "+84912345678"
PARAMS = {"ten": "person_name", "han": "deadline", "tinh_trang": "status"}
POLICY = RoutingPolicy(allow_paid_cs=False, zns_enabled=True)


@dataclass
class Rig:
    world: World
    fake: FakeZaloOA
    sender: OutboxSender
    person_id: int

    def interacted(self, ago: timedelta) -> None:
        with self.world.sessions.begin() as session:
            identity = session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.channel == "zalo_oa")
            ).one()
            identity.last_interaction_at = self.world.clock() - ago

    def route(self) -> Route | None:
        return route_of(self.world, self.person_id, POLICY)

    def queue(self, route: Route, key: str) -> None:
        fields = {"person_name": "Nguyễn Văn An", "deadline": "15/06/2026", "status": "còn 3 ngày"}
        reply = Reply(
            "Nhắc hạn: báo cáo sơ kết 6 tháng còn 3 ngày (15/06/2026).",
            meta={"key": key, "zns_fields": json.dumps(fields, ensure_ascii=False)},
        )
        with self.world.sessions.begin() as session:
            outbox.enqueue(
                session,
                channel=route.channel,
                chat_id=route.chat_id,
                replies=[reply],
                key=key,
                now=self.world.clock(),
            )

    def rows(self) -> list[OutboxMessage]:
        with self.world.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def route_of(world: World, person_id: int, policy: RoutingPolicy) -> Route | None:
    """The person's identities, phone and unreachable chats, as the scheduler loads them."""
    with world.sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        blocked = {
            (u.channel, u.chat_id)
            for u in session.scalars(select(UnreachableChat))
            if u.reason != "no_interaction"  # a closed OA window is the time rules' business
        }
        identities = [
            Identity(
                i.channel,
                i.external_id,
                i.last_interaction_at,
                (i.channel, i.external_id) in blocked,
            )
            for i in session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.person_id == person_id)
            )
        ]
        phone = person.phone
    phone_blocked = bool(phone) and ("zalo_zns", zns_phone(phone)) in blocked
    return choose_route(
        identities, phone=phone, now=world.clock(), policy=policy, phone_unreachable=phone_blocked
    )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    head = world.people["head"]
    with world.sessions.begin() as session:
        person = session.get(Person, head)
        assert person is not None
        person.phone = PHONE
        session.add(
            ChannelIdentity(
                channel="zalo_oa",
                external_id=OA_USER,
                person_id=head,
                linked_at=world.clock() - timedelta(days=30),
                last_interaction_at=world.clock() - timedelta(days=10),
            )
        )
    async with FakeZaloOA() as fake:
        tokens = DatabaseTokenStore(world.sessions, "zalo_oa")
        first = fake.initial_tokens()
        tokens.save(first.access_token, first.refresh_token, first.expires_at)
        oa = ZaloOAChannel(
            app_id=fake.app_id,
            app_secret=fake.app_secret,
            oa_secret=fake.oa_secret,
            tokens=tokens,
            api_base=fake.url,
            oauth_base=fake.url,
            now=world.clock,
        )
        zns = ZaloZNSChannel(
            oa, template_id="312345", params=PARAMS, api_base=fake.url, now=world.clock
        )
        sender = OutboxSender(world.sessions, {"zalo_oa": oa, "zalo_zns": zns}, now=world.clock)
        yield Rig(world, fake, sender, head)
        await oa.close()
    world.engine.dispose()


async def test_a_stale_contact_gets_the_zns_template_through_the_outbox(rig: Rig) -> None:
    route = rig.route()
    assert route == Route("zalo_zns", "84912345678", RouteKind.ZNS)
    rig.queue(route, "rem:1:head:2026-06:-3")
    assert await rig.sender.run_once() == 1
    [sent] = rig.fake.zns_sent("84912345678")
    assert sent.template_data == {
        "ten": "Nguyễn Văn An",
        "han": "15/06/2026",
        "tinh_trang": "còn 3 ngày",
    }
    assert sent.tracking_id == "rem:1:head:2026-06:-3"
    [row] = rig.rows()
    assert (row.channel, row.chat_id, row.status) == ("zalo_zns", "84912345678", "sent")
    assert await rig.sender.run_once() == 0  # sent once
    assert len(rig.fake.zns_sent()) == 1


async def test_a_recent_contact_gets_a_free_customer_service_message(rig: Rig) -> None:
    rig.interacted(timedelta(hours=5))
    route = rig.route()
    assert route == Route("zalo_oa", OA_USER, RouteKind.CS)
    rig.queue(route, "rem:2")
    assert await rig.sender.run_once() == 1
    assert rig.fake.texts(OA_USER) == ["Nhắc hạn: báo cáo sơ kết 6 tháng còn 3 ngày (15/06/2026)."]
    assert rig.fake.zns_sent() == []


async def test_a_number_without_zalo_is_marked_and_the_person_goes_on_the_office_list(
    rig: Rig,
) -> None:
    rig.fake.not_zalo_users.add("84912345678")
    route = rig.route()
    assert route is not None
    rig.queue(route, "rem:3")
    assert await rig.sender.run_once() == 0
    [row] = rig.rows()
    assert row.status == "blocked"
    with rig.world.sessions() as session:
        [mark] = session.scalars(select(UnreachableChat)).all()
    assert (mark.channel, mark.chat_id, mark.reason) == ("zalo_zns", "84912345678", "not_zalo_user")
    assert rig.route() is None  # nothing left: the scheduler lists the person for the office


async def test_a_used_up_quota_pauses_zns_and_the_row_goes_out_later(rig: Rig) -> None:
    rig.fake.fail_zns(-115)
    rig.queue(Route("zalo_zns", "84912345678", RouteKind.ZNS), "rem:4")
    assert await rig.sender.run_once() == 0
    [row] = rig.rows()
    assert row.status == "pending" and row.not_before > rig.world.clock()
    assert await rig.sender.run_once() == 0  # not due yet
    rig.world.clock.advance(hours=1, seconds=1)
    assert await rig.sender.run_once() == 1
    assert len(rig.fake.zns_sent()) == 1


async def test_an_expired_token_is_rotated_in_the_database_and_the_template_sent_once(
    rig: Rig,
) -> None:
    rig.fake.expire_access_token()
    rig.queue(Route("zalo_zns", "84912345678", RouteKind.ZNS), "rem:5")
    assert await rig.sender.run_once() == 1
    assert rig.fake.refreshes == 1 and len(rig.fake.zns_sent()) == 1
    with rig.world.sessions() as session:
        stored = session.scalars(select(PlatformToken)).one()
    assert (stored.access_token, stored.refresh_token) == (
        rig.fake.access_token,
        rig.fake.refresh_token,
    )
