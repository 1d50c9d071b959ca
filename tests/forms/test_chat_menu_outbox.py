"""A chat's command menu travels the outbox in the chat's order, and a platform without menus
(the Channel default) takes it as done without a message going out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bot.channels.base import Channel, SendResult, SendStatus, Update
from bot.delivery.sender import OutboxSender
from bot.delivery.turns import Turns
from bot.messages import Incoming, Reply
from bot.store import org
from bot.store.outbox import OutboxMessage
from tests.forms.conftest import World


class Plain(Channel):
    """A platform with messages only (as Zalo): every ability but sending is the default."""

    name = "zalo_bot"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, chat_id: str, reply: Reply, *, first_part: int = 0) -> SendResult:
        self.sent.append(reply.text)
        return SendResult(SendStatus.SENT, parts_sent=1)

    def parse(self, payload: Mapping[str, Any]) -> Update:
        raise NotImplementedError


async def test_the_menu_is_an_outbox_row_a_plain_channel_takes_as_done(world: World) -> None:
    with world.sessions.begin() as session:
        code = org.create_invite(session, world.people["head"], world.clock()).code
    turns = Turns(world.sessions, world.router(), world.clock)
    message = Incoming("zalo_bot", "z-501", "z-501", text=f"/start {code}")
    turns.run(message, update_key="u1", outbox_replies=True)
    with world.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [("chat_menu" in r.payload.get("meta", {})) for r in rows] == [False, True]
    platform = Plain()
    sender = OutboxSender(world.sessions, {"zalo_bot": platform}, now=world.clock)
    while await sender.run_once():
        pass
    assert len(platform.sent) == 1 and platform.sent[0].startswith("Đã liên kết")
    with world.sessions() as session:
        assert {r.status for r in session.scalars(select(OutboxMessage))} == {"sent"}
