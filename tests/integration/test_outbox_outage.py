"""A Bot API that fails for hours, and one that answers too slowly: the sender against the fake
Bot API over HTTP, on the injected clock.

An outage is ridden out by jumping the clock to each next due row: the sender backs off,
doubling up to its cap, for as long as its retry policy allows (24 h by default), and a reply
still unsent then is listed for the office (`thidua outbox failed`) and queued again by it
(`thidua outbox retry`). A send that reaches the platform and gets no answer in time may have
been delivered: it is not sent again within its lease.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, make_bot
from bot.cli import app
from bot.delivery.sender import RetryPolicy
from bot.delivery.services import Services
from bot.store import outbox
from bot.store.outbox import OutboxMessage
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_updates import message_update
from tests.forms.conftest import World
from tests.integration.services import FAST, services

TOKEN = "7012345678:AAH-test-SECRET-token"
SECRET = "webhook-secret-42"
CHATS = [7_400_001, 7_400_002, 7_400_003]
FOREVER = 10**6  # faults enough to outlast any outage below


@dataclass
class Bench:
    world: World
    fake: FakeTelegram
    client: httpx.AsyncClient
    services: Services
    update_id: int = 900

    async def ask(self, chat: int, text: str) -> None:
        """A person writes; the worker answers (the reply waits in the outbox)."""
        self.update_id += 1
        body = json.dumps(message_update(chat, text, update_id=self.update_id))
        response = await self.client.post(
            "/webhooks/telegram", content=body, headers={SECRET_HEADER: SECRET}
        )
        assert response.status_code == 200
        while await self.services.worker.run_once():
            pass

    def rows(self) -> list[OutboxMessage]:
        with self.world.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def next_due(self) -> datetime | None:
        """When the first open row of some chat is next due (a chat's later rows wait)."""
        with self.world.sessions() as session:
            heads = (
                select(func.min(OutboxMessage.id))
                .where(OutboxMessage.status.in_(outbox.OPEN))
                .group_by(OutboxMessage.channel, OutboxMessage.chat_id)
            )
            found = select(func.min(OutboxMessage.not_before)).where(OutboxMessage.id.in_(heads))
            return session.scalar(found)

    async def ride(self, hours: float) -> int:
        """Steps the sender for `hours` of the clock, jumping to each next due row; the number
        of sends tried."""
        end = self.world.clock() + timedelta(hours=hours)
        before = len(self.fake.calls_to("sendMessage"))
        for _ in range(100_000):  # bounded: a bug fails the test instead of hanging it
            await self.services.sender.run_once()
            due = self.next_due()
            if due is None or due > end:
                break
            self.world.clock.current = max(due, self.world.clock())
        self.world.clock.current = end
        return len(self.fake.calls_to("sendMessage")) - before

    async def drain(self) -> None:
        """After the platform healed: every open row goes out, each when it is due."""
        while (due := self.next_due()) is not None:
            self.world.clock.current = max(due, self.world.clock())
            await self.services.sender.run_once()


async def bench_for(world: World, fake: FakeTelegram, timeout_s: float) -> AsyncIterator[Bench]:
    channel = TelegramChannel(
        make_bot(TOKEN, base_url=fake.url, timeout_s=timeout_s),
        bot_username="ThiDuaTestBot",
        webhook_secret=SECRET,
    )
    await channel.start()
    running = services(world, {"telegram": channel}, limits={"telegram": FAST}, background=False)
    transport = httpx.ASGITransport(app=create_app(running))
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        yield Bench(world, fake, client, running)
    await channel.close()


@pytest.fixture
async def bench(world: World) -> AsyncIterator[Bench]:
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        async for built in bench_for(world, fake, timeout_s=5.0):
            yield built


def cli(world: World, data_dir: Path, *args: str) -> tuple[int, str]:
    """`thidua …` on the world's database, as the office runs it."""
    url = world.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app, ["--data-dir", str(data_dir), *args], env={"THIDUA_DATABASE_URL": url}
    )
    return result.exit_code, result.output


# --- item 5: a long outage ------------------------------------------------------------------


async def test_a_two_hour_outage_loses_no_reply(bench: Bench) -> None:
    """Every sendMessage answers 500 for two hours: the replies wait, backing off to a few
    minutes apart, none given up; once the API heals each chat gets its replies in order,
    each once."""
    bench.fake.fail_5xx(status=500, times=FOREVER)
    for n in range(2):
        for chat in CHATS:
            await bench.ask(chat, f"câu {n}")
    tried = await bench.ride(hours=2)
    assert bench.fake.delivered() == []
    assert {row.status for row in bench.rows()} == {"pending"}  # none given up
    first_tries = [row for row in bench.rows() if row.attempts]
    assert len(first_tries) == len(CHATS)  # each chat's later reply waits behind the first
    assert all(row.first_failed_at is not None for row in first_tries)
    # Doubling from 1 s to the 5-minute cap: about 30 tries a chat in two hours, not 7,200.
    assert 20 * len(CHATS) <= tried <= 40 * len(CHATS)

    bench.fake.clear_faults()
    await bench.drain()
    for chat in CHATS:
        assert bench.fake.texts(chat) == ["[Hỏi đáp] câu 0", "[Hỏi đáp] câu 1"]
    assert {row.status for row in bench.rows()} == {"sent"}


async def test_a_day_long_outage_ends_in_the_failed_list_and_the_office_sends_it(
    bench: Bench, tmp_path: Path
) -> None:
    """Past the 24 hours of the retry policy the reply is given up, never dropped: `thidua
    outbox failed` shows it with its first failure, attempts, error and text; `thidua outbox
    retry` queues it and it goes out."""
    bench.fake.fail_5xx(status=500, times=FOREVER)
    started = bench.world.clock()
    await bench.ask(CHATS[0], "hạn nộp báo cáo quý")
    await bench.ride(hours=23.5)
    [row] = bench.rows()
    assert row.status == "pending"  # still trying within the day
    await bench.ride(hours=1.5)
    [row] = bench.rows()
    assert row.status == "failed"
    assert row.first_failed_at == started
    assert row.attempts > 250  # five minutes apart for a day
    assert "Internal Server Error" in row.last_error
    assert bench.fake.delivered() == []

    code, listing = cli(bench.world, tmp_path, "outbox", "failed")
    assert code == 0, listing
    assert "Tin chưa gửi được (1)" in listing
    line = next(line for line in listing.splitlines() if f" {row.id} " in line)
    assert "telegram" in line and str(CHATS[0]) in line
    assert "10/03/2026 09:00" in line  # the first failure, in Vietnam's time
    assert str(row.attempts) in line
    assert "[Hỏi đáp] hạn nộp báo cáo quý" in listing
    assert "Internal Server Error" in listing

    bench.fake.clear_faults()
    code, out = cli(bench.world, tmp_path, "outbox", "retry", str(row.id))
    assert code == 0, out
    assert "Đã xếp lại 1 tin" in out
    [queued] = bench.rows()
    assert (queued.status, queued.attempts, queued.first_failed_at) == ("pending", 0, None)
    assert await bench.services.sender.run_once() == 1
    assert bench.fake.texts(CHATS[0]) == ["[Hỏi đáp] hạn nộp báo cáo quý"]
    code, listing = cli(bench.world, tmp_path, "outbox", "failed")
    assert (code, listing.strip()) == (0, "Không có tin nào bị thôi gửi.")


async def test_retry_all_and_unknown_ids(bench: Bench, tmp_path: Path) -> None:
    """`--all` queues every failed message; an id that is not a failed one is named and the
    command exits 1; neither ids nor --all is a usage error."""
    bench.fake.fail("sendMessage", 400, "Bad Request: can't parse entities", times=2)
    for chat in CHATS[:2]:
        await bench.ask(chat, "xin chào")
    await bench.services.sender.run_once()
    assert [row.status for row in bench.rows()] == ["failed", "failed"]  # a 400: at once
    assert all(row.first_failed_at == bench.world.clock() for row in bench.rows())

    assert cli(bench.world, tmp_path, "outbox", "retry")[0] == 2
    code, out = cli(bench.world, tmp_path, "outbox", "retry", "999999")
    assert code == 1 and "999999" in out
    code, out = cli(bench.world, tmp_path, "outbox", "retry", "--all")
    assert code == 0 and "Đã xếp lại 2 tin" in out
    assert await bench.services.sender.run_once() == 2
    assert [bench.fake.texts(chat) for chat in CHATS[:2]] == [["[Hỏi đáp] xin chào"]] * 2


async def test_bad_requests_and_blocked_chats_are_not_retried(bench: Bench) -> None:
    """Errors that will not heal keep their handling: a 400 fails its one message at once, a
    403 marks the chat unreachable; neither is tried again however long the clock runs."""
    bench.fake.fail("sendMessage", 400, "Bad Request: message is too long", chat_id=str(CHATS[0]))
    bench.fake.block(CHATS[1])
    for chat in CHATS[:2]:
        await bench.ask(chat, "một")
    await bench.ride(hours=25)
    assert [row.status for row in bench.rows()] == ["failed", "blocked"]
    assert len(bench.fake.calls_to("sendMessage")) == 2


# --- item 6: a slow API ---------------------------------------------------------------------

SEND_TIMEOUT_S = 0.3  # the test's send timeout; the slow fake answers after SLOW_S
SLOW_S = 1.5
HOLD = max(outbox.LEASE, RetryPolicy().uncertain_delay)  # an uncertain row waits this long


@pytest.fixture
async def slow(world: World) -> AsyncIterator[Bench]:
    async with FakeTelegram(token=TOKEN, bot_username="ThiDuaTestBot") as fake:
        async for built in bench_for(world, fake, timeout_s=SEND_TIMEOUT_S):
            yield built


async def delivered_after_the_slow_answer(bench: Bench, chat: int) -> list[str]:
    """The fake finishes the call the client gave up on (bounded wait, real time)."""
    for _ in range(200):
        if all(call.status for call in bench.fake.calls_to("sendMessage")):
            break
        await asyncio.sleep(0.02)
    return bench.fake.texts(chat)


async def test_a_send_answered_after_the_timeout_is_not_sent_again_within_the_lease(
    slow: Bench,
) -> None:
    """The Bot API delivers the message but answers after the client's timeout: the row is
    marked uncertain, and however often the sender claims within the lease, the message
    reaches the chat exactly once."""
    bench = slow
    bench.fake.method_delays["sendMessage"] = SLOW_S
    await bench.ask(CHATS[0], "báo cáo tháng")
    claimed_at = bench.world.clock()
    assert await bench.services.sender.run_once() == 0  # timed out
    [row] = bench.rows()
    assert row.status == "uncertain"
    assert "TimedOut" in row.last_error
    assert row.not_before >= claimed_at + HOLD  # not within the lease, nor at once after it
    assert await delivered_after_the_slow_answer(bench, CHATS[0]) == ["[Hỏi đáp] báo cáo tháng"]

    bench.fake.method_delays.clear()  # the API is quick again
    for _ in range(int(HOLD.total_seconds()) - 1):  # every second of the hold
        bench.world.clock.advance(seconds=1)
        await bench.services.sender.run_once()
    assert len(bench.fake.calls_to("sendMessage")) == 1
    assert bench.fake.texts(CHATS[0]) == ["[Hỏi đáp] báo cáo tháng"]  # exactly once


async def test_an_uncertain_send_is_tried_again_after_its_lease(slow: Bench) -> None:
    """The at-least-once window the README names: the platform gives no way to ask whether
    the first call delivered, so after the lease the row is sent again; when the first call
    had in fact failed, this is what delivers the reply."""
    bench = slow
    bench.fake.method_delays["sendMessage"] = SLOW_S
    bench.fake.fail_5xx(status=500)  # the slow call ends in an error: nothing delivered
    await bench.ask(CHATS[0], "báo cáo tháng")
    assert await bench.services.sender.run_once() == 0
    assert await delivered_after_the_slow_answer(bench, CHATS[0]) == []
    bench.fake.method_delays.clear()
    bench.world.clock.advance(seconds=HOLD.total_seconds() + 1)
    assert await bench.services.sender.run_once() == 1
    assert bench.fake.texts(CHATS[0]) == ["[Hỏi đáp] báo cáo tháng"]


async def test_a_slow_answer_within_the_timeout_is_read_not_retried(bench: Bench) -> None:
    """The same slow API with a send timeout longer than it takes (as the default is longer
    than Telegram takes): one call, one message, recorded as sent."""
    bench.fake.method_delays["sendMessage"] = SLOW_S
    await bench.ask(CHATS[0], "xin chào")
    assert await bench.services.sender.run_once() == 1
    assert [row.status for row in bench.rows()] == ["sent"]
    assert len(bench.fake.calls_to("sendMessage")) == 1


async def test_a_send_outliving_its_lease_is_not_claimed_and_sent_again(bench: Bench) -> None:
    """A send still waiting for its (slow, but within the timeout) answer when its lease runs
    out unrenewed (`run_once` has no heartbeat; in the loop, a database hiccup): the next
    claim of this process only renews the lease, it does not send the row a second time."""
    bench.fake.method_delays["sendMessage"] = SLOW_S
    await bench.ask(CHATS[0], "xin chào")
    first = asyncio.create_task(bench.services.sender.run_once())
    for _ in range(200):  # until the call is at the fake (bounded, real time)
        if bench.fake.calls_to("sendMessage"):
            break
        await asyncio.sleep(0.01)
    bench.world.clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    assert await bench.services.sender.run_once() == 0  # claimed again, left to the first
    assert await first == 1
    assert len(bench.fake.calls_to("sendMessage")) == 1
    assert bench.fake.texts(CHATS[0]) == ["[Hỏi đáp] xin chào"]
    assert [row.status for row in bench.rows()] == ["sent"]


async def test_a_platform_too_slow_twice_gets_one_copy_more_then_the_office(
    slow: Bench, tmp_path: Path
) -> None:
    """An API that takes the calls and delivers them, but always after the timeout: the
    message goes out once more after the hold (the documented window), and a second send
    without an answer puts it on the failed list instead of a copy at every retry."""
    bench = slow
    bench.fake.method_delays["sendMessage"] = SLOW_S
    await bench.ask(CHATS[0], "báo cáo tháng")
    assert await bench.services.sender.run_once() == 0
    await delivered_after_the_slow_answer(bench, CHATS[0])
    bench.world.clock.advance(seconds=HOLD.total_seconds() + 1)
    assert await bench.services.sender.run_once() == 0
    assert await delivered_after_the_slow_answer(bench, CHATS[0]) == ["[Hỏi đáp] báo cáo tháng"] * 2
    [row] = bench.rows()
    assert row.status == "failed"
    assert "may have been delivered" in row.last_error
    await bench.ride(hours=25)
    assert len(bench.fake.calls_to("sendMessage")) == 2
    code, listing = cli(bench.world, tmp_path, "outbox", "failed")
    assert code == 0 and "may have been delivered" in listing
