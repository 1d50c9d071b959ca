"""Zalo Official Account over its webhook: signatures, customer-service replies, interaction
times and the durable rotation of single-use refresh tokens.

Events are signed by the fake exactly as Zalo signs them (SHA-256 of app_id + raw body +
timestamp + OA secret key) and POSTed to the real app; the reply goes through the outbox
sender and our httpx client to the fake OA as a customer-service message. The channel reads
the world's clock, so an event's freshness is judged against the time the test sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.zalo_oa import SIGNATURE_HEADER, ZaloOAChannel
from bot.delivery.services import Services
from bot.store.inbox import InboxUpdate
from bot.store.models import ChannelIdentity
from bot.store.outbox import OutboxMessage
from bot.store.tokens import DatabaseTokenStore, PlatformToken
from bot.web.app import create_app
from tests.fakes.zalo_oa_api import FakeZaloOA, text_event
from tests.forms.conftest import World, build_world
from tests.integration.services import services, settle

USER = "8412345678901234"  # the head's id as the OA sees them
STRANGER = "8499999999999999"  # writes to the OA but is linked to nobody


@dataclass
class Rig:
    world: World
    fake: FakeZaloOA
    client: httpx.AsyncClient
    services: Services
    tokens: DatabaseTokenStore

    def event(self, text: str, user: str = USER, **kw: Any) -> dict[str, Any]:
        stamp = int(self.world.clock().timestamp() * 1000)
        return text_event(user, text, app_id=self.fake.app_id, timestamp_ms=stamp, **kw)

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        response = await self.client.post("/webhooks/zalo-oa", content=body, headers=headers)
        return response.status_code

    async def settle(self) -> None:
        await settle(self.services)

    def inbox(self) -> list[InboxUpdate]:
        with self.world.sessions() as session:
            return list(session.scalars(select(InboxUpdate)))

    def last_interaction(self, user: str = USER) -> datetime | None:
        with self.world.sessions() as session:
            return session.scalars(
                select(ChannelIdentity.last_interaction_at).where(
                    ChannelIdentity.channel == "zalo_oa", ChannelIdentity.external_id == user
                )
            ).one()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    world = build_world(f"sqlite:///{tmp_path / 'thidua.db'}", tmp_path / "files")
    with world.sessions.begin() as session:
        session.add(
            ChannelIdentity(
                channel="zalo_oa",
                external_id=USER,
                person_id=world.people["head"],
                linked_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
        )
    async with FakeZaloOA() as fake:
        tokens = DatabaseTokenStore(world.sessions, "zalo_oa")
        first = fake.initial_tokens()
        tokens.save(first.access_token, first.refresh_token, world.clock() + timedelta(hours=25))
        channel = ZaloOAChannel(
            app_id=fake.app_id,
            app_secret=fake.app_secret,
            oa_secret=fake.oa_secret,
            tokens=tokens,
            api_base=fake.url,
            oauth_base=fake.url,
            now=world.clock,
        )
        running = services(world, {"zalo_oa": channel}, background=False)
        transport = httpx.ASGITransport(app=create_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield Rig(world, fake, client, running, tokens)
        await channel.close()
    world.engine.dispose()


async def test_a_signed_event_is_accepted_and_answered_as_a_cs_message(rig: Rig) -> None:
    body, headers = rig.fake.signed(rig.event("/help"))
    assert await rig.post(body, headers) == 200
    await rig.settle()
    [sent] = rig.fake.sent(USER)
    assert sent.message["text"]  # a customer-service text message
    [call] = rig.fake.calls_to("cs")
    assert call.params["recipient"] == {"user_id": USER}
    assert call.headers["access_token"] == rig.fake.access_token
    with rig.world.sessions() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert (row.channel, row.chat_id, row.status) == ("zalo_oa", USER, "sent")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param({"tamper": True}, id="tampered-body"),
        pytest.param({"secret": "not-the-OA-secret"}, id="wrong-secret"),
        pytest.param({"app_id": "999"}, id="wrong-app-id"),
        pytest.param(None, id="missing-header"),
    ],
)
async def test_a_badly_signed_event_is_refused_and_not_stored(
    rig: Rig, forge: dict[str, Any] | None
) -> None:
    body, headers = rig.fake.signed(rig.event("/help"), **(forge or {}))
    if forge is None:
        del headers[SIGNATURE_HEADER]
    assert await rig.post(body, headers) == 403
    await rig.settle()
    assert rig.inbox() == []
    assert rig.fake.sent() == []
    assert rig.last_interaction() is None
    # The same event, correctly signed, still goes through: the refusal was the signature's.
    body, headers = rig.fake.signed(rig.event("/help"))
    assert await rig.post(body, headers) == 200


@pytest.mark.parametrize(
    "signed_at",
    [
        pytest.param(timedelta(days=-1), id="1-day-old"),
        pytest.param(timedelta(days=-30), id="30-days-old"),
        pytest.param(timedelta(days=-730), id="2-years-old"),
        pytest.param(timedelta(days=365), id="1-year-ahead"),
        pytest.param(timedelta(minutes=-5, seconds=-1), id="just-past-the-window"),
        pytest.param(timedelta(minutes=5, seconds=1), id="just-ahead-of-the-window"),
        pytest.param(None, id="no-timestamp"),
        pytest.param("1e20", id="unusable-timestamp"),
    ],
)
async def test_a_correctly_signed_event_outside_the_freshness_window_is_refused(
    rig: Rig, signed_at: timedelta | str | None
) -> None:
    event = rig.event("/help")
    if signed_at is None:
        del event["timestamp"]
    elif isinstance(signed_at, str):
        event["timestamp"] = signed_at
    else:
        event["timestamp"] = str(int((rig.world.clock() + signed_at).timestamp() * 1000))
    body, headers = rig.fake.signed(event)  # the signature itself is right
    assert await rig.post(body, headers) == 403
    await rig.settle()
    assert rig.inbox() == []
    assert rig.fake.sent() == []
    assert rig.last_interaction() is None


async def test_a_fresh_event_is_accepted_at_either_edge_of_the_window(rig: Rig) -> None:
    now = rig.world.clock()
    for offset in (timedelta(minutes=-5), timedelta(0), timedelta(minutes=5)):
        event = rig.event("/help")
        event["timestamp"] = str(int((now + offset).timestamp() * 1000))
        body, headers = rig.fake.signed(event)
        assert await rig.post(body, headers) == 200
    await rig.settle()
    assert len(rig.inbox()) == 3
    assert len(rig.fake.sent(USER)) == 3


async def test_a_captured_event_replayed_after_the_window_is_refused(rig: Rig) -> None:
    body, headers = rig.fake.signed(rig.event("/help"))
    assert await rig.post(body, headers) == 200
    rig.world.clock.advance(days=3)  # past the 48 h dedupe purge: only the window stops it
    assert await rig.post(body, headers) == 403


async def test_each_users_last_interaction_is_recorded_and_only_moves_forward(rig: Rig) -> None:
    first_at = rig.world.clock()
    body, headers = rig.fake.signed(rig.event("/help"))
    assert await rig.post(body, headers) == 200
    assert rig.last_interaction() == first_at

    rig.world.clock.advance(days=2)
    later = rig.event("xin chào")
    rig.world.clock.advance(minutes=1)
    latest = rig.event("/help")
    for event in (latest, later):  # delivered out of order
        body, headers = rig.fake.signed(event)
        assert await rig.post(body, headers) == 200
    assert rig.last_interaction() == rig.world.clock()  # the newest, not the last to arrive

    # A follow is an interaction too, though it produces no turn.
    rig.world.clock.advance(days=1)
    follow = {
        "app_id": rig.fake.app_id,
        "event_name": "follow",
        "timestamp": str(int(rig.world.clock().timestamp() * 1000)),
        "follower": {"id": USER},
        "oa_id": "388613280878808645",
    }
    body, headers = rig.fake.signed(follow)
    assert await rig.post(body, headers) == 200
    assert rig.last_interaction() == rig.world.clock()
    assert len(rig.inbox()) == 3  # the follow was acknowledged, not queued

    # Someone not linked to a person is answered, but there is no identity to stamp.
    body, headers = rig.fake.signed(rig.event("/help", user=STRANGER))
    assert await rig.post(body, headers) == 200
    with rig.world.sessions() as session:
        stamped = session.scalars(
            select(ChannelIdentity.external_id).where(
                ChannelIdentity.last_interaction_at.is_not(None)
            )
        ).all()
    assert stamped == [USER]


async def test_a_token_refresh_rotates_the_single_use_refresh_token_durably(rig: Rig) -> None:
    with rig.world.sessions() as session:
        before = session.scalars(select(PlatformToken)).one()
    spent = before.refresh_token
    rig.fake.expire_access_token()  # the next cs call answers −220

    body, headers = rig.fake.signed(rig.event("/help"))
    assert await rig.post(body, headers) == 200
    await rig.settle()

    assert rig.fake.refreshes == 1
    assert spent in rig.fake.used_refresh_tokens
    assert len(rig.fake.sent(USER)) == 1  # delivered once, after the refresh
    with rig.world.sessions() as session:
        after = session.scalars(select(PlatformToken)).one()
    assert after.id == before.id  # the one row, updated in place
    assert (after.access_token, after.refresh_token) == (
        rig.fake.access_token,
        rig.fake.refresh_token,
    )
    assert after.refresh_token != spent
    assert after.expires_at > before.expires_at - timedelta(hours=1)
    # A restarted process reads the new pair: the spent refresh token is never used again.
    reloaded = DatabaseTokenStore(rig.world.sessions, "zalo_oa", initial_refresh=spent).load()
    assert reloaded is not None
    assert reloaded.refresh_token == rig.fake.refresh_token
