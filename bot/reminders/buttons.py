"""The buttons under a reminder: "Nhắc lại sau" and "Đã nộp bằng văn bản".

("Nộp ngay" is the form's own command.) Both name the reminder by its row id; only the person
it was sent to may act on it, and acting twice changes nothing more. The router does not know
these commands: the composition root hands it `handlers(calendar)`, so bot.core never imports
the reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from bot.core.flows.base import Ctx
from bot.i18n import vi
from bot.messages import Reply
from bot.reminders import standing as st
from bot.reminders.calendar import WorkCalendar
from bot.store import lookups
from bot.store import reminders as rows

SNOOZE_FOR = timedelta(days=1)


def handlers(calendar: WorkCalendar) -> dict[str, Callable[[Ctx, str], list[Reply]]]:
    """The commands behind the buttons under a reminder, by name, for the router."""
    return {"nhaclai": partial(snooze, calendar=calendar), "vanban": paper}


def snooze(ctx: Ctx, arg: str, calendar: WorkCalendar) -> list[Reply]:
    found = _reminder(ctx, arg)
    if isinstance(found, Reply):
        return [found]
    item = _standing(ctx, found)
    subject = item.subject.name if item else found.subject
    until = calendar.next_allowed(ctx.now + SNOOZE_FOR)
    rows.snooze(
        ctx.session,
        person_id=found.person_id,
        subject=found.subject,
        unit_id=found.unit_id,
        until=until,
        now=ctx.now,
    )
    return [Reply(vi.SNOOZED.format(subject=subject, at=_moment(calendar, until)))]


def paper(ctx: Ctx, arg: str) -> list[Reply]:
    found = _reminder(ctx, arg)
    if isinstance(found, Reply):
        return [found]
    person = ctx.person
    assert person is not None and found.unit_id is not None
    item = _standing(ctx, found)
    subject = item.subject.name if item else found.subject
    unit = lookups.unit_name(ctx.session, found.unit_id) or vi.SOMEONE
    if item is not None and item.done and item.state != st.PAPER:
        return [
            Reply(
                vi.REMINDER_ALREADY_DONE.format(
                    subject=subject[:1].upper() + subject[1:], unit=unit
                )
            )
        ]
    recorded = rows.mark_paper(
        ctx.session,
        unit_id=found.unit_id,
        subject=found.subject,
        person_id=person.id,
        note=vi.PAPER_NOTE.format(name=person.full_name),
        now=ctx.now,
    )
    if not recorded:
        return [Reply(vi.PAPER_ALREADY.format(unit=unit, subject=subject))]
    return [Reply(vi.PAPER_RECORDED.format(unit=unit, subject=subject))]


def _reminder(ctx: Ctx, arg: str) -> rows.ReminderLog | Reply:
    reminder = rows.reminder(ctx.session, int(arg)) if arg.strip().isdigit() else None
    if reminder is None or reminder.unit_id is None:
        return Reply(vi.REMINDER_UNKNOWN)
    if ctx.actor.person_id is None or reminder.person_id != ctx.actor.person_id:
        return Reply(vi.REMINDER_NOT_YOURS)
    return reminder


def _standing(ctx: Ctx, reminder: rows.ReminderLog) -> st.Standing | None:
    """The unit's standing on the reminder's subject, read afresh from the records."""
    movements = st.active_movements(ctx.session, ctx.today)
    for item in st.standings(ctx.session, movements):
        if item.subject.key == reminder.subject and item.unit_id == reminder.unit_id:
            return item
    return None


def _moment(calendar: WorkCalendar, at: datetime) -> str:
    local = calendar.local(at)
    return vi.DATE_TIME.format(time=local.strftime("%H:%M"), date=local.strftime("%d/%m/%Y"))
