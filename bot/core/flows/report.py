"""Báo cáo tiến độ: period → actual value per target → narrative → photos or files → submit.

The period defaults to the one that needs a report now (an overdue one first, then the current
one, from the movement's schedule); another open one can be chosen. A report may be edited until
its period's deadline, each save a new version; one first submitted after the deadline is marked
late. As with registrations, an officer's report waits for the unit head's confirmation.

Attachments arrive as bytes on the Incoming; they are written to the injected FileStore when
received (by content hash, once) and only their hashes travel in the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.core.access import Action, can
from bot.core.flows import handoffs, report_text
from bot.core.flows.base import Ctx, Draft, Flow, Step, Turn, buttons
from bot.core.text import day, format_number, parse_quantity, reason_given
from bot.i18n import vi
from bot.messages import Attachment, Incoming, Reply
from bot.store import lookups, progress_reports
from bot.store.conversations import Conflict
from bot.store.models import Movement, ProgressReport, Registration, ReportPeriod

NAME = "report"
PERIOD, NARRATIVE, FILES, SUMMARY, CONFLICT = "period", "narrative", "files", "summary", "conflict"
HEAD_RETURN = "head_return"
MAX_TARGETS = 100  # one step per target value: "v0", "v1", …


@dataclass(frozen=True)
class Choice:
    """A period the unit may report on now, with its registration and any report filed."""

    registration: Registration
    period: ReportPeriod
    report: ProgressReport | None
    movement: Movement

    @property
    def filed(self) -> bool:
        return self.report is not None and self.report.status == progress_reports.SUBMITTED


def _editable(ctx: Ctx, period: ReportPeriod, report: ProgressReport | None) -> bool:
    """Until the deadline anything; after it only a report not yet submitted (it will be late)."""
    return (
        report is None
        or report.status != progress_reports.SUBMITTED
        or ctx.today <= period.deadline
    )


def open_periods(ctx: Ctx, registrations: list[Registration] | None = None) -> list[Choice]:
    """Started periods still open to this unit, the one most needing a report first.

    `registrations`: the unit's reportable registrations, when the caller has just read them.
    """
    unit_id = ctx.actor.unit_id
    if unit_id is None:
        return []
    if registrations is None:
        registrations = progress_reports.reportable_registrations(ctx.session, unit_id)
    filed = progress_reports.reports_of(ctx.session, [reg.id for reg in registrations])
    found = []
    for reg in registrations:
        movement = lookups.movement(ctx.session, reg.movement_id)
        for period in movement.periods if movement else []:
            if period.start_date > ctx.today:
                continue
            report = filed.get((reg.id, period.id))
            if _editable(ctx, period, report):
                assert movement is not None
                found.append(Choice(reg, period, report, movement))
    found.sort(key=lambda c: (c.filed, c.period.deadline, c.period.id))
    return found


def _value_step(index: int) -> str:
    return f"v{index}"


def _first_step(draft: Draft) -> str:
    return _value_step(0) if draft.get("targets") else NARRATIVE


def start(ctx: Ctx, choice: Choice) -> Turn:
    """The draft for a chosen period: the stored report when there is one (shown as a summary)."""
    reg, period = choice.registration, choice.period
    draft: Draft = {
        "reg_id": reg.id,
        "period_id": period.id,
        "movement_id": reg.movement_id,
        "unit_id": reg.unit_id,
        "targets": [
            {
                "id": t.id,
                "description": t.description,
                "unit": t.unit_of_measure,
                "value": str(t.target_value),
            }
            for t in reg.targets[:MAX_TARGETS]
        ],
        "values": {},
        "narrative": "",
        "files": [],
        "report_id": None,
        "base_version": 0,
    }
    if choice.report is None:
        return Turn(_first_step(draft), draft)
    draft.update(progress_reports.to_draft(choice.report))
    notes = [Reply(vi.REPORT_EDITING.format(version=choice.report.version))]
    if choice.report.status == progress_reports.PENDING_HEAD and can(
        ctx.actor, Action.CONFIRM, reg.unit_id
    ):
        by = lookups.person_name(ctx.session, choice.report.submitted_by) or vi.SOMEONE
        notes = [Reply(vi.REPORT_CONFIRM_HEADER.format(by=by))]
    return Turn(SUMMARY, draft, notes)


def _period_label(choice: Choice, ctx: Ctx) -> str:
    label = vi.REPORT_PERIOD_LABEL.format(
        period=choice.period.name, deadline=day(choice.period.deadline)
    )
    if choice.filed:
        label += vi.REPORT_PERIOD_FILED
    elif ctx.today > choice.period.deadline:
        label += vi.REPORT_PERIOD_OVERDUE
    return label[:60]


def ask_period(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which period: the default is named and listed first."""
    choices = open_periods(ctx)
    if not choices:
        return [Reply(vi.REPORT_NO_PERIOD)]
    first = choices[0].period
    text = vi.REPORT_ASK_PERIOD.format(period=first.name, deadline=day(first.deadline))
    options = [(_period_label(c, ctx), f"p:{c.registration.id}:{c.period.id}") for c in choices]
    return [Reply(text, buttons=buttons(*options))]


def on_period(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Start (or reopen) the report of the chosen period."""
    match = re.fullmatch(r"p:(\d+):(\d+)", message.payload or "")
    wanted = (int(match.group(1)), int(match.group(2))) if match else None
    for choice in open_periods(ctx):
        if (choice.registration.id, choice.period.id) == wanted:
            return start(ctx, choice)
    return Turn(PERIOD, draft, [Reply(vi.CHOOSE_ONE)])


def _make_value_step(index: int) -> Step:
    """Step `v<index>`: the actual value of the registration's target number index + 1."""

    def ask_value(ctx: Ctx, draft: Draft) -> list[Reply]:
        targets = draft.get("targets") or []
        target = targets[min(index, len(targets) - 1)]
        text = vi.REPORT_ASK_VALUE.format(
            number=index + 1,
            total=len(targets),
            description=target["description"],
            target=report_text.target_text(target),
        )
        current = (draft.get("values") or {}).get(str(target["id"]))
        if current is None:
            return [Reply(text)]
        keep = vi.BTN_KEEP_VALUE.format(value=format_number(Decimal(current)))
        return [Reply(text, buttons=buttons((keep, "keep")))]

    def on_value(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
        targets = draft.get("targets") or []
        if index >= len(targets):
            return Turn(NARRATIVE, draft)
        key = str(targets[index]["id"])
        values = dict(draft.get("values") or {})
        if not (message.payload == "keep" and key in values):
            parsed = parse_quantity(message.text)
            if parsed is None or abs(parsed[0]) >= Decimal("1e15"):
                return Turn(_value_step(index), draft, [Reply(vi.REPORT_BAD_VALUE)])
            values[key] = str(parsed[0])
        draft["values"] = values
        following = _value_step(index + 1) if index + 1 < len(targets) else NARRATIVE
        return Turn(following, draft)

    return Step(ask_value, on_value, numbered=False)


def ask_narrative(ctx: Ctx, draft: Draft) -> list[Reply]:
    """What was done, in prose."""
    if draft.get("narrative"):
        return [Reply(vi.REPORT_ASK_NARRATIVE, buttons=buttons((vi.BTN_KEEP_NARRATIVE, "keep")))]
    return [Reply(vi.REPORT_ASK_NARRATIVE)]


def on_narrative(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the narrative (10–4000 characters, line breaks kept)."""
    if message.payload == "keep" and draft.get("narrative"):
        return Turn(FILES, draft)
    text = "\n".join(" ".join(line.split()) for line in message.text.strip().splitlines())
    if not 10 <= len(text) <= 4000:
        return Turn(NARRATIVE, draft, [Reply(vi.REPORT_BAD_NARRATIVE)])
    draft["narrative"] = text
    return Turn(FILES, draft)


def ask_files(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Photos or files, as many messages as needed, then done."""
    files = draft.get("files") or []
    options = [(vi.BTN_DONE, "done")]
    options += [(vi.BTN_DELETE_FILE.format(number=i), f"del:{i}") for i in range(1, len(files) + 1)]
    if ctx.files is None:
        return [Reply(vi.REPORT_FILES_OFF, buttons=buttons(*options))]
    text = vi.REPORT_ASK_FILES.format(
        count=ctx.files.max_files,
        limit=report_text.size_text(ctx.files.max_bytes),
        files=report_text.files_block(draft),
    )
    return [Reply(text, buttons=buttons(*options))]


def on_files(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Store what was sent (once per content), delete one, or go to the summary."""
    if message.attachments:
        files = list(draft.get("files") or [])
        replies = [_receive(ctx, files, attachment) for attachment in message.attachments]
        draft["files"] = files
        return Turn(FILES, draft, replies)
    payload = message.payload or ""
    if payload == "done":
        return Turn(SUMMARY, draft)
    files = list(draft.get("files") or [])
    match = re.fullmatch(r"del:(\d+)", payload)
    if match and 1 <= int(match.group(1)) <= len(files):
        del files[int(match.group(1)) - 1]
        draft["files"] = files
        return Turn(FILES, draft, [Reply(vi.REPORT_FILE_DELETED)])
    return Turn(FILES, draft, [Reply(vi.REPORT_SEND_FILES)])


def _receive(ctx: Ctx, files: list[Draft], attachment: Attachment) -> Reply:
    """One attachment: refused with the reason (size, count, unreadable, duplicate) or stored."""
    name = (attachment.filename or attachment.kind or "tệp")[:255]
    store = ctx.files
    if store is None:
        return Reply(vi.REPORT_FILES_OFF)
    if attachment.data is None:
        return Reply(vi.REPORT_FILE_UNREADABLE.format(name=name))
    size = len(attachment.data)
    if size > store.max_bytes:
        limit = report_text.size_text(store.max_bytes)
        text = vi.REPORT_FILE_TOO_BIG.format(
            name=name, size=report_text.size_text(size), limit=limit
        )
        return Reply(text)
    if len(files) >= store.max_files:
        return Reply(vi.REPORT_FILES_TOO_MANY.format(limit=store.max_files, name=name))
    stored = store.put(attachment.data)
    if any(f["sha"] == stored.sha256 for f in files):
        return Reply(vi.REPORT_FILE_DUPLICATE.format(name=name))
    files.append(
        {"sha": stored.sha256, "name": name, "type": attachment.content_type, "size": size}
    )
    return Reply(vi.REPORT_FILE_ADDED.format(name=name, size=report_text.size_text(size)))


def _confirm_label(ctx: Ctx, draft: Draft) -> str:
    if can(ctx.actor, Action.CONFIRM, draft.get("unit_id")):
        return vi.BTN_SUBMIT
    return vi.BTN_SEND_TO_HEAD


def ask_summary(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Everything entered, with submit and the sections to edit."""
    options = [
        (_confirm_label(ctx, draft), "ok"),
        (vi.BTN_EDIT_VALUES, "e:val"),
        (vi.BTN_EDIT_NARRATIVE, "e:nar"),
        (vi.BTN_EDIT_FILES, "e:fil"),
    ]
    return [Reply(report_text.render(ctx, draft), buttons=buttons(*options))]


def on_summary(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Submit (or send to the head), or jump back to a section."""
    jumps = {"e:val": _first_step(draft), "e:nar": NARRATIVE, "e:fil": FILES}
    payload = message.payload or ""
    if payload in jumps:
        return Turn(jumps[payload], draft)
    if payload != "ok":
        return Turn(SUMMARY, draft, [Reply(vi.CHOOSE_ONE)])
    return save(ctx, draft, force=False)


def save(ctx: Ctx, draft: Draft, *, force: bool) -> Turn:
    """Write the report as its next version; a concurrent save leads to the conflict step."""
    unit_id = draft.get("unit_id")
    if not can(ctx.actor, Action.DRAFT, unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    period = ctx.session.get(ReportPeriod, draft["period_id"])
    assert period is not None
    deadline = day(period.deadline)
    stored = progress_reports.report_of(ctx.session, draft["reg_id"], period.id)
    if not _editable(ctx, period, stored):
        text = vi.REPORT_PAST_DEADLINE.format(period=period.name, deadline=deadline)
        return Turn(None, draft, [Reply(text)])
    missing = [t for t in draft.get("targets") or [] if str(t["id"]) not in draft.get("values", {})]
    if missing:
        return Turn(_first_step(draft), draft, [Reply(vi.REPORT_BAD_VALUE)])
    head = can(ctx.actor, Action.CONFIRM, unit_id)
    status = progress_reports.SUBMITTED if head else progress_reports.PENDING_HEAD
    late = ctx.today > period.deadline
    try:
        report = progress_reports.write_report(
            ctx.session,
            draft,
            status=status,
            late=late,
            person_id=ctx.actor.person_id,
            now=ctx.now,
            force=force,
            existing=stored,
        )
    except Conflict as conflict:
        at = (
            conflict.at.astimezone(ctx.now.tzinfo).strftime("%H:%M %d/%m/%Y") if conflict.at else ""
        )
        text = vi.REPORT_CONFLICT.format(
            by=conflict.by or vi.SOMEONE, at=at, version=conflict.version
        )
        return Turn(CONFLICT, draft, [Reply(text)])
    done = vi.REPORT_SENT_TO_HEAD
    if head:
        done = vi.REPORT_SUBMITTED_LATE if report.late else vi.REPORT_SUBMITTED
    replies = [Reply(done.format(period=period.name, version=report.version, deadline=deadline))]
    assert unit_id is not None
    if not head:
        replies += handoffs.report_to_head(ctx, report, unit_id)
    elif report.late:
        replies += handoffs.report_late(ctx, report, unit_id)
    return Turn(None, draft, replies)


def ask_conflict(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Someone saved first: save mine on top (theirs stays in the audit history), or cancel."""
    return [Reply(vi.REPORT_CONFLICT_CHOICE, buttons=buttons((vi.BTN_SAVE_MINE, "c:mine")))]


def on_conflict(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Save this draft as the newest version."""
    if message.payload == "c:mine":
        return save(ctx, draft, force=True)
    return Turn(CONFLICT, draft, [Reply(vi.CHOOSE_ONE)])


def ask_head_return(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Why the head sends the report back to the officer."""
    return [Reply(vi.HEAD_ASK_RETURN_REASON)]


def on_head_return(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Return the report to its officer with the reason; the officer is told at once."""
    reason = reason_given(message.text)
    if reason is None:
        return Turn(HEAD_RETURN, draft, [Reply(vi.REVIEW_BAD_REASON)])
    unit_id = draft.get("unit_id")
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    report = progress_reports.return_to_officer(
        ctx.session,
        draft["report_id"],
        draft["base_version"],
        person_id=ctx.actor.person_id,
        now=ctx.now,
        reason=reason,
    )
    if report is None:
        return Turn(None, draft, [Reply(vi.HANDOFF_GONE)])
    replies = [Reply(vi.HEAD_RETURNED_REPORT)]
    return Turn(None, draft, [*replies, *handoffs.report_returned(ctx, report, unit_id, reason)])


FLOW = Flow(
    NAME,
    {
        PERIOD: Step(ask_period, on_period),
        **{_value_step(i): _make_value_step(i) for i in range(MAX_TARGETS)},
        NARRATIVE: Step(ask_narrative, on_narrative, numbered=False, free_text=True),
        FILES: Step(ask_files, on_files),
        SUMMARY: Step(ask_summary, on_summary),
        CONFLICT: Step(ask_conflict, on_conflict),
        HEAD_RETURN: Step(ask_head_return, on_head_return, numbered=False, free_text=True),
    },
)
