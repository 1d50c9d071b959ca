"""The buttons under a reminder, the audiences of escalation, and who cannot be reached."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.cli import app
from bot.i18n import vi
from bot.store import reminders as rows
from bot.store.models import Movement
from tests.forms.conftest import World
from tests.reminders.conftest import at, outbox, scheduler, sent, unlink

DEADLINE = date(2026, 3, 31)  # the world's registration deadline, a Tuesday


def _no_pledge(world: World) -> None:
    with world.sessions.begin() as session:
        session.execute(
            update(Movement).where(Movement.id == world.movement_id).values(pledge_deadline=None)
        )


def _button(world: World, chat_id: str, label: str) -> str:
    """The payload of `label` under the newest message queued for the chat."""
    payload = outbox(world, chat_id)[-1].payload
    for row in payload["buttons"]:
        for button in row:
            if button["label"] == label:
                return str(button["payload"])
    raise AssertionError(f"no {label!r} in {payload['buttons']}")


def test_a_reminder_offers_submit_snooze_and_paper(sqlite_world: World) -> None:
    world = sqlite_world
    _no_pledge(world)
    world.clock.current = at(DEADLINE)
    scheduler(world).tick()
    message = outbox(world, "head")[-1].payload
    assert message["text"].startswith("⏰ Nhắc việc: hôm nay (31/03/2026) là hạn cuối đăng ký")
    assert "Sở Nội vụ" in message["text"]
    labels = [[b["label"] for b in row] for row in message["buttons"]]
    assert labels == [[vi.BTN_SUBMIT_NOW], [vi.BTN_SNOOZE], [vi.BTN_PAPER]]
    assert message["buttons"][0][0]["payload"] == "/dangky"


def test_snooze_moves_the_persons_next_reminder_by_a_day(sqlite_world: World) -> None:
    world = sqlite_world
    _no_pledge(world)
    world.clock.current = at(DEADLINE)
    scheduler(world).tick()
    snooze = _button(world, "head", vi.BTN_SNOOZE)
    world.clock.current = at(DEADLINE, time(9, 30))
    replies = world.chat("head").send_payload(snooze)
    assert replies[0].text.startswith("Đã hẹn: tôi sẽ nhắc lại đăng ký thi đua")
    assert "09:30 ngày 01/04/2026" in replies[0].text
    # Someone else's reminder cannot be snoozed.
    other = world.chat("officer").send_payload(snooze)
    assert other[0].text == vi.REMINDER_NOT_YOURS
    # Next morning the officer gets the +1 reminder; the head only after the snooze ends.
    worker = scheduler(world)
    world.clock.current = at(date(2026, 4, 1))
    worker.tick()
    world.clock.current = at(date(2026, 4, 1), time(9, 0))
    worker.tick()
    assert [
        (p, slot) for r, p, _s, slot, _w in sent(world) if r == "unit" and p in ("head", "officer")
    ] == [
        ("head", "+0"),
        ("officer", "+0"),
        ("officer", "+1"),
    ]
    world.clock.current = at(date(2026, 4, 1), time(9, 31))
    worker.tick()
    world.clock.current = at(date(2026, 4, 1), time(15, 0))
    worker.tick()
    head = [(slot, w.time()) for r, p, _s, slot, w in sent(world) if r == "unit" and p == "head"]
    assert head == [("+0", time(8, 0)), ("+1", time(9, 31))]


def test_paper_submission_stops_the_reminders_and_tells_the_office(sqlite_world: World) -> None:
    world = sqlite_world
    _no_pledge(world)
    world.clock.current = at(DEADLINE)
    scheduler(world).tick()
    paper = _button(world, "officer", vi.BTN_PAPER)
    replies = world.chat("officer").send_payload(paper)
    assert replies[0].text.startswith("Đã ghi nhận Sở Nội vụ báo đã nộp đăng ký thi đua")
    again = world.chat("officer").send_payload(paper)
    assert again[0].text.startswith("Sở Nội vụ đã báo nộp đăng ký thi đua")
    for day in (date(2026, 4, 1), date(2026, 4, 3), date(2026, 4, 7)):
        world.clock.current = at(day)
        scheduler(world).tick()
    snv = [slot for r, p, _s, slot, _w in sent(world) if r == "unit" and p in ("head", "officer")]
    assert snv == ["+0", "+0"]  # nothing after the declaration
    others = [slot for r, p, _s, slot, _w in sent(world) if r == "unit" and p == "head3"]
    assert others == ["+0", "+1", "+3"]
    with world.sessions() as session:
        declared = session.scalars(select(rows.PaperSubmission)).all()
    assert [(d.unit_id, d.note) for d in declared] == [
        (world.units["SNV"], "Trần Thị Mai báo đã nộp bằng văn bản qua trợ lý.")
    ]


def test_nobody_reachable_goes_on_the_offices_list(sqlite_world: World) -> None:
    world = sqlite_world
    _no_pledge(world)
    unlink(world, "head3")
    for day in (DEADLINE, date(2026, 4, 7)):
        world.clock.current = at(day)
        scheduler(world).tick()
    with world.sessions() as session:
        unreached = session.scalars(
            select(rows.ReminderLog.person_id).where(rows.ReminderLog.status == rows.UNREACHED)
        ).all()
    assert set(unreached) == {world.people["head3"]}
    office = outbox(world, "office")[-1].payload["text"]
    assert office.startswith("📣 Gửi Ban Thi đua - Khen thưởng: ")
    assert "• Sở Y tế (Khối Văn hoá - Xã hội)" in office
    assert "Chưa liên lạc được qua Telegram/Zalo: Võ Thị Hoa." in office
    data_dir = Path(str(world.engine.url.database)).parent
    args = [
        "--data-dir",
        str(data_dir),
        "reminders",
        "unreached",
        "--at",
        "2026-04-07",
        "--days",
        "8",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Cán bộ chưa liên lạc được trong 8 ngày qua")
    assert lines[1:] == ["• Võ Thị Hoa — Sở Y tế: 1 nhắc việc, lần cuối 31/03/2026 08:00"]


def test_an_unopened_pledge_chases_the_cluster_lead_only(sqlite_world: World) -> None:
    world = sqlite_world
    world.clock.current = at(DEADLINE)
    scheduler(world).tick()
    pledge = [(p, s) for r, p, s, _slot, _w in sent(world) if r == "unit" and s.startswith("gu:")]
    # Khối Nội chính's lead unit (Sở Tư pháp) has a cluster lead; Khối Văn hoá - Xã hội's lead
    # unit (Sở Y tế) has none, so its head is asked instead. Members wait for the opening.
    assert sorted(p for p, _s in pledge) == ["head2", "head3"]
    text = outbox(world, "head2")[-1].payload["text"]
    assert "ký kết giao ước thi đua Khối Nội chính" in text
    assert vi.REMIND_PLEDGE_OPEN.strip() in text
