"""/metrics over the real app, worker, sender and PTB client against the fake Bot API, on
SQLite and PostgreSQL: each count moves by what the conversation did, and the outbox backlog
is read from the database at the scrape.

Counters belong to the process and other tests move them too, so each test compares a scrape
before with one after.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bot.messages import Reply
from bot.store import outbox
from bot.store.outbox import OutboxMessage
from tests.integration.test_telegram_webhook import HEAD_TG, Rig, rig

__all__ = ["rig"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(rig: Rig) -> Samples:
    response = await rig.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_a_message_is_counted_received_handled_timed_and_sent(rig: Rig) -> None:
    before = await scrape(rig)
    await rig.say("/help")
    after = await scrape(rig)
    assert moved(before, after, "thidua_updates_received_total", channel="telegram") == 1
    processed = "thidua_updates_processed_total"
    assert moved(before, after, processed, channel="telegram", outcome="handled") == 1
    assert moved(before, after, "thidua_turn_seconds_count") == 1
    sent = len(rig.fake.texts(HEAD_TG))
    assert sent >= 1
    assert moved(before, after, "thidua_sends_total", channel="telegram", result="sent") == sent
    assert value(after, "thidua_outbox_depth") == 0
    assert value(after, "thidua_outbox_oldest_due_seconds") == 0


async def test_a_429_is_counted_and_the_waiting_message_is_in_the_backlog(rig: Rig) -> None:
    rig.fake.fail_429("sendMessage", retry_after=1, times=1)
    before = await scrape(rig)
    await rig.say("/help")
    middle = await scrape(rig)
    assert moved(before, middle, "thidua_sends_total", channel="telegram", result="429") == 1
    assert value(middle, "thidua_outbox_depth") == 1
    assert value(middle, "thidua_outbox_oldest_due_seconds") == 0  # paused: not yet due
    with rig.world.sessions() as session:
        due = session.scalars(select(OutboxMessage.not_before)).one()
    rig.world.clock.current = due + timedelta(seconds=7)  # due 7 s ago, nobody sent it
    late = await scrape(rig)
    assert value(late, "thidua_outbox_oldest_due_seconds") == 7
    await rig.settle()
    after = await scrape(rig)
    assert value(after, "thidua_outbox_depth") == 0
    assert moved(middle, after, "thidua_sends_total", channel="telegram", result="sent") == 1


async def test_a_blocked_chat_and_a_sent_reminder_are_counted(rig: Rig) -> None:
    with rig.world.sessions.begin() as session:
        outbox.enqueue(
            session,
            channel="telegram",
            chat_id=str(HEAD_TG),
            replies=[Reply("Nhắc hạn", meta={"key": "reminder:41"})],
            key="reminder:41",
            now=rig.world.clock(),
        )
    before = await scrape(rig)
    await rig.settle()
    sent = await scrape(rig)
    assert moved(before, sent, "thidua_reminders_total", outcome="sent") == 1
    rig.fake.block(HEAD_TG)
    await rig.say("/help")
    after = await scrape(rig)
    assert moved(sent, after, "thidua_sends_total", channel="telegram", result="blocked") == 1
    assert moved(sent, after, "thidua_reminders_total", outcome="sent") == 0  # a reply, blocked
