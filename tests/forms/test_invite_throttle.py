"""Invite codes cannot be guessed: a chat, or a chat account, that gets `failures` codes wrong
within the window is refused (every code, unchecked) until the window has passed, with a
Vietnamese message; each failure and each refusal is in the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.linking import InviteLimit
from bot.core.router import Router
from bot.delivery.turns import Turns
from bot.i18n import vi
from bot.store import org
from bot.store.models import AuditLog, ChannelIdentity
from tests.chat import Chat
from tests.forms.conftest import World

STRANGER = "tg-7001"  # a Telegram account the office has not linked yet


def _invite(world: World, user: str = "cadre") -> str:
    with world.sessions.begin() as session:
        return org.create_invite(session, world.people[user], world.clock()).code


def _audited(world: World) -> dict[str, int]:
    with world.sessions() as session:
        rows = session.execute(
            select(AuditLog.action, func.count())
            .where(AuditLog.action.like("identity.%"))
            .group_by(AuditLog.action)
        )
        return {action: count for action, count in rows}


def _linked(world: World, user: str) -> int | None:
    with world.sessions() as session:
        return session.scalar(
            select(ChannelIdentity.person_id).where(
                ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == user
            )
        )


def _chat(world: World, user: str = STRANGER, chat_id: str | None = None) -> Chat:
    return Chat(world.turns(), user, channel="telegram", chat_id=chat_id)


def test_150_wrong_codes_from_one_chat_only_the_first_five_are_checked(world: World) -> None:
    right = _invite(world)
    chat = _chat(world)
    answers = []
    for attempt in range(150):
        guess = f"ZZ{attempt:06d}"  # 0 and 1 are not in the alphabet: never a real code
        if attempt == 100:
            guess = right  # the right code, while cooling down: not even looked at
        answers.append(chat.say(guess if attempt % 2 else f"/start {guess}")[0].text)
    started = world.clock()
    refused = vi.INVITE_THROTTLED.format(
        minutes=15, until=f"{started + timedelta(minutes=15):%H:%M}"
    )
    assert answers[:5] == [vi.INVITE_ERRORS["not_found"]] * 5
    assert answers[5:] == [refused] * 145
    assert _linked(world, STRANGER) is None
    assert _audited(world) == {"identity.link_failed": 5, "identity.link_throttled": 145}

    world.clock.advance(minutes=14, seconds=59)  # still cooling down
    assert chat.say(right)[0].text.startswith(vi.INVITE_THROTTLED.split("{")[0])
    world.clock.advance(seconds=1)  # the five failures have left the window
    assert chat.say(right)[0].text.startswith("Đã liên kết: Hoàng Văn Bình")
    assert _linked(world, STRANGER) == world.people["cadre"]
    assert _audited(world) == {
        "identity.link_failed": 5,
        "identity.link_throttled": 146,
        "identity.link": 1,
    }


def test_the_limit_holds_per_account_across_chats_and_per_chat_across_accounts(
    world: World,
) -> None:
    right = _invite(world)
    in_group = _chat(world, chat_id="-100200300")  # the stranger in a group chat
    for attempt in range(5):
        assert in_group.say(f"ZZ{attempt:06d}")[0].text == vi.INVITE_ERRORS["not_found"]
    # The same account in its private chat is cooling down too...
    private = _chat(world)
    assert private.say(right)[0].text.startswith(vi.INVITE_THROTTLED.split("{")[0])
    # ...and so is anyone else in that group.
    other = _chat(world, user="tg-7002", chat_id="-100200300")
    assert other.say(right)[0].text.startswith(vi.INVITE_THROTTLED.split("{")[0])
    # A third person in their own chat is not.
    third = _chat(world, user="tg-7003")
    assert third.say(right)[0].text.startswith("Đã liên kết: Hoàng Văn Bình")


def test_failures_older_than_the_window_do_not_count(world: World) -> None:
    chat = _chat(world)
    for attempt in range(8):  # one wrong code every 4 minutes: never 5 within 15 minutes
        assert chat.say(f"ZZ{attempt:06d}")[0].text == vi.INVITE_ERRORS["not_found"]
        world.clock.advance(minutes=4)
    assert _audited(world) == {"identity.link_failed": 8}


def test_the_limit_is_the_routers_setting(world: World) -> None:
    limit = InviteLimit(failures=2, window=timedelta(hours=1))
    turns = Turns(world.sessions, Router(world.qa, invite_limit=limit), world.clock)
    chat = Chat(turns, STRANGER, channel="telegram")
    texts = [chat.say(f"ZZ{attempt:06d}")[0].text for attempt in range(3)]
    assert texts[:2] == [vi.INVITE_ERRORS["not_found"]] * 2
    assert texts[2].startswith(vi.INVITE_THROTTLED.split("{")[0])
    assert "60 phút" in texts[2]
