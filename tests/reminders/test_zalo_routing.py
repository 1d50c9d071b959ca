"""Reminders to a Zalo OA contact through the real scheduler, outbox and OA/ZNS clients.

The head of Sở Nội vụ follows the OA (and has a phone); nobody else is on a running channel.
Within 48 hours of the last interaction the reminder is a free customer-service message; after
7 days it is the ZNS template to the phone, with the reminder's fields mapped to the template's
parameters; the others go on the office's list.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.reminders.calendar import WorkCalendar
from bot.reminders.chase import Chaser
from bot.reminders.loop import ReminderScheduler
from bot.reminders.reach import RoutingPolicy, route_by
from bot.store import reminders as rows
from tests.integration.test_zalo_zns_outbox import OA_USER, Rig, rig  # noqa: F401
from tests.reminders.conftest import at

RUNNING = {"zalo_oa", "zalo_zns"}
DEADLINE = date(2026, 3, 31)


def _tick(r: Rig) -> None:
    policy = RoutingPolicy(zns_enabled=True)
    chaser = Chaser(WorkCalendar(), route_by(policy, RUNNING))
    r.world.clock.current = at(DEADLINE)
    report = ReminderScheduler(r.world.sessions, chaser, now=r.world.clock).tick()
    assert report is not None


def _statuses(r: Rig) -> dict[str, set[str]]:
    """status:route of each person's reminders, past slots skipped on the first pass aside."""
    names = {v: k for k, v in r.world.people.items()}
    found: dict[str, set[str]] = {}
    with r.world.sessions() as session:
        query = select(rows.ReminderLog).where(
            rows.ReminderLog.rule == "unit", rows.ReminderLog.status != rows.SKIPPED
        )
        for log in session.scalars(query):
            found.setdefault(names[log.person_id], set()).add(f"{log.status}:{log.route}")
    return found


async def test_a_stale_oa_contact_gets_the_zns_template(rig: Rig) -> None:  # noqa: F811
    _tick(rig)
    assert await rig.sender.run_once() == 1
    [sent] = rig.fake.zns_sent("84912345678")
    assert sent.template_data == {
        "ten": "Nguyễn Văn Hùng",
        "han": "31/03/2026",
        "tinh_trang": "hạn cuối hôm nay",
    }
    assert sent.tracking_id.startswith("reminder:")
    statuses = _statuses(rig)
    assert statuses["head"] == {"sent:zns"}
    assert statuses["officer"] == {"unreached:"} and statuses["head3"] == {"unreached:"}


async def test_a_recent_oa_contact_gets_a_free_message(rig: Rig) -> None:  # noqa: F811
    rig.world.clock.current = at(DEADLINE) - timedelta(hours=5)
    rig.interacted(timedelta(0))
    _tick(rig)
    assert await rig.sender.run_once() == 1
    [text] = rig.fake.texts(OA_USER)
    assert text.startswith("⏰ Nhắc việc: hôm nay (31/03/2026) là hạn cuối đăng ký thi đua")
    assert rig.fake.zns_sent() == []
    assert _statuses(rig)["head"] == {"sent:cs"}
