"""Đăng ký thi đua: movement → collective title → individual titles → targets → summary → confirm.

Shaped like python-telegram-bot's conversationbot.py, without its in-memory state: step names
as constants, a prompt (`ask_*`) and a handler (`on_*`) per step, the flow table at the bottom.
An officer's confirmation sends the registration to the unit head (status pending_head); the
head's confirmation submits it. Editing a submission before the deadline makes a new version.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bot.core.access import Action, can
from bot.core.flows import handoffs, registration_checks, registration_text
from bot.core.flows.base import Ctx, Draft, Flow, Step, Turn, buttons
from bot.core.text import day, parse_date, parse_number, parse_quantity, reason_given
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import lookups, registrations
from bot.store.conversations import Conflict
from bot.store.models import Movement, Registration
from bot.store.titles import COLLECTIVE, INDIVIDUAL

NAME = "registration"
MOVEMENT, COLLECTIVE_TITLE, INDIVIDUAL_TITLES, WHO = "movement", "collective", "individual", "who"
TARGETS, T_DESC, T_UNIT, T_VALUE, T_DUE = "targets", "t_desc", "t_unit", "t_value", "t_due"
SUMMARY, CONFLICT, HEAD_RETURN = "summary", "conflict", "head_return"
NO_TITLE = "-"
MAX_NAMES = 200


class _Unread:
    """The registration was not read yet in this turn."""


UNREAD = _Unread()


def _movement(ctx: Ctx, draft: Draft) -> Movement:
    movement = lookups.movement(ctx.session, draft["movement_id"])
    assert movement is not None
    return movement


def _editable(ctx: Ctx, movement: Movement, status: str | None) -> bool:
    """Before the deadline anything; after it only a registration the office returned."""
    return ctx.today <= movement.registration_deadline or status == registrations.RETURNED


def _load(ctx: Ctx, movement: Movement, reg: Registration | _Unread | None = UNREAD) -> Draft:
    """The unit's registration for `movement` as a draft (`reg`: already read in this turn)."""
    unit_id = ctx.actor.unit_id
    assert unit_id is not None
    if isinstance(reg, _Unread):
        reg = registrations.registration_of(ctx.session, unit_id, movement.id)
    if reg is None:
        return {"movement_id": movement.id, "unit_id": unit_id, "reg_id": None, "base_version": 0}
    return registrations.to_draft(reg)


def choosable_with_registrations(ctx: Ctx) -> list[tuple[Movement, Registration | None]]:
    """Open movements the unit may still register for, with its registration for each."""
    unit_id = ctx.actor.unit_id
    found = []
    for movement in lookups.open_movements(ctx.session, ctx.today):
        reg = registrations.registration_of(ctx.session, unit_id, movement.id) if unit_id else None
        if _editable(ctx, movement, reg.status if reg else None):
            found.append((movement, reg))
    return found


def _choosable(ctx: Ctx) -> list[Movement]:
    return [movement for movement, _reg in choosable_with_registrations(ctx)]


def after_movement(
    ctx: Ctx, movement: Movement, reg: Registration | _Unread | None = UNREAD
) -> Turn:
    draft = _load(ctx, movement, reg)
    if draft.get("reg_id") is None:
        return Turn(COLLECTIVE_TITLE, draft)
    notes = [Reply(vi.REG_EDITING.format(version=draft["base_version"]))]
    if draft.get("status") == registrations.RETURNED and draft.get("return_reason"):
        notes = [Reply(vi.REG_RETURNED_REASON.format(reason=draft["return_reason"]))]
    return Turn(SUMMARY, draft, notes)


def ask_movement(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which movement to register for (only asked when several are open)."""
    options = [(m.title, f"m:{m.id}") for m in _choosable(ctx)]
    return [Reply(vi.REG_ASK_MOVEMENT, buttons=buttons(*options))]


def on_movement(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A movement was chosen: load the unit's registration for it, if there is one."""
    match = re.fullmatch(r"m:(\d+)", message.payload or "")
    movement = lookups.movement(ctx.session, int(match.group(1))) if match else None
    if movement is None:
        return Turn(MOVEMENT, draft, [Reply(vi.CHOOSE_ONE)])
    return after_movement(ctx, movement)


def ask_collective(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which collective title the unit registers for."""
    found = registration_checks.titles_for(ctx.session, COLLECTIVE, draft.get("unit_id"))
    options = [(t.name, f"t:{t.code}") for t in found]
    options.append((vi.REG_NO_COLLECTIVE, f"t:{NO_TITLE}"))
    return [Reply(vi.REG_ASK_COLLECTIVE, buttons=buttons(*options))]


def on_collective(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Store the collective title and move on to the individual titles."""
    payload = message.payload or ""
    if not payload.startswith("t:"):
        return Turn(COLLECTIVE_TITLE, draft, [Reply(vi.CHOOSE_ONE)])
    code = payload[2:]
    draft["collective"] = "" if code == NO_TITLE else code
    return Turn(INDIVIDUAL_TITLES, draft)


def ask_individual(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which individual titles, one at a time; the list so far is shown."""
    found = registration_checks.titles_for(ctx.session, INDIVIDUAL, draft.get("unit_id"))
    options = [(t.name, f"i:{t.code}") for t in found]
    options.append((vi.BTN_DONE, "done"))
    text = vi.REG_ASK_INDIVIDUAL.format(lines=registration_text.lines_block(ctx.session, draft))
    return [Reply(text, buttons=buttons(*options))]


def on_individual(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A title to add names or a count for, or done."""
    payload = message.payload or ""
    if payload == "done":
        return Turn(TARGETS, draft)
    if not payload.startswith("i:"):
        return Turn(INDIVIDUAL_TITLES, draft, [Reply(vi.CHOOSE_ONE)])
    draft["cur_title"] = payload[2:]
    return Turn(WHO, draft)


def ask_who(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Names (comma or line separated) or a count for the chosen title."""
    title = lookups.title_names(ctx.session).get(draft.get("cur_title", ""), "")
    return [Reply(vi.REG_ASK_WHO.format(title=title))]


def on_who(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Parse names or a count; 0 removes the title from the list."""
    text = message.text.strip()
    count = parse_number(text)
    names: list[str] = []
    if count is None:
        names = [n.strip(" .;") for n in re.split(r"[,;\n]+", text) if n.strip(" .;")]
        if not names or len(names) > MAX_NAMES or any(len(n) > 100 for n in names):
            return Turn(WHO, draft, [Reply(vi.REG_BAD_WHO)])
        count = Decimal(len(names))
    if count != count.to_integral_value() or not 0 <= count <= 100_000:
        return Turn(WHO, draft, [Reply(vi.REG_BAD_WHO)])
    code = draft.pop("cur_title", "")
    lines = [line for line in draft.get("lines", []) if line["title"] != code]
    if count > 0:
        lines.append({"title": code, "names": names, "count": int(count)})
    draft["lines"] = lines
    return Turn(INDIVIDUAL_TITLES, draft)


def ask_targets(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The targets so far, with add, delete and done."""
    targets = draft.get("targets") or []
    options = [(vi.BTN_ADD_TARGET, "add")]
    options += [
        (vi.BTN_DELETE_TARGET.format(number=i), f"del:{i}") for i in range(1, len(targets) + 1)
    ]
    if targets:
        options.append((vi.BTN_DONE, "done"))
    text = vi.REG_ASK_TARGETS.format(targets=registration_text.targets_block(draft))
    return [Reply(text, buttons=buttons(*options))]


def on_targets(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Start a new target, delete one, or go to the summary."""
    payload = message.payload or ""
    targets = list(draft.get("targets") or [])
    if payload == "add":
        draft["cur_target"] = {}
        return Turn(T_DESC, draft)
    if payload == "done" and targets:
        return Turn(SUMMARY, draft)
    match = re.fullmatch(r"del:(\d+)", payload)
    if match and 1 <= int(match.group(1)) <= len(targets):
        del targets[int(match.group(1)) - 1]
        draft["targets"] = targets
        return Turn(TARGETS, draft, [Reply(vi.REG_TARGET_DELETED)])
    return Turn(TARGETS, draft, [Reply(vi.CHOOSE_ONE)])


def ask_t_desc(ctx: Ctx, draft: Draft) -> list[Reply]:
    """What the target is."""
    number = len(draft.get("targets") or []) + 1
    return [Reply(vi.REG_ASK_T_DESC.format(number=number))]


def on_t_desc(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the description (3–500 characters)."""
    text = " ".join(message.text.split())
    if not 3 <= len(text) <= 500:
        return Turn(T_DESC, draft, [Reply(vi.REG_BAD_T_DESC)])
    draft["cur_target"] = {**draft.get("cur_target", {}), "description": text}
    return Turn(T_UNIT, draft)


def ask_t_unit(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The unit of measure."""
    return [Reply(vi.REG_ASK_T_UNIT, buttons=buttons(("%", "u:%"), (vi.BTN_NO_UNIT, "u:")))]


def on_t_unit(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the unit of measure (a button, or up to 64 typed characters)."""
    payload = message.payload or ""
    unit = payload[2:] if payload.startswith("u:") else " ".join(message.text.split())
    if len(unit) > 64:
        return Turn(T_UNIT, draft, [Reply(vi.REG_BAD_T_UNIT)])
    draft["cur_target"] = {**draft.get("cur_target", {}), "unit": unit}
    return Turn(T_VALUE, draft)


def ask_t_value(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The target value."""
    return [Reply(vi.REG_ASK_T_VALUE)]


def on_t_value(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Parse the value as Vietnamese cadres write it; a % fills an empty unit."""
    parsed = parse_quantity(message.text)
    if parsed is None or abs(parsed[0]) >= Decimal("1e15"):
        return Turn(T_VALUE, draft, [Reply(vi.REG_BAD_T_VALUE)])
    value, percent = parsed
    current = {**draft.get("cur_target", {}), "value": str(value)}
    if percent and not current.get("unit"):
        current["unit"] = "%"
    draft["cur_target"] = current
    return Turn(T_DUE, draft)


def ask_t_due(ctx: Ctx, draft: Draft) -> list[Reply]:
    """When the target is due; the end of the movement is one press away."""
    end = _movement(ctx, draft).end_date
    label = vi.BTN_DUE_END.format(date=day(end))
    return [Reply(vi.REG_ASK_T_DUE, buttons=buttons((label, "d:end")))]


def on_t_due(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Parse the date (a missing year is the movement's), then file the target."""
    movement = _movement(ctx, draft)
    due: date | None
    if message.payload == "d:end":
        due = movement.end_date
    else:
        due = parse_date(message.text, movement.year)
    if due is None or not movement.start_date <= due <= date(movement.end_date.year + 5, 12, 31):
        return Turn(T_DUE, draft, [Reply(vi.REG_BAD_T_DUE.format(start=day(movement.start_date)))])
    target = {**draft.pop("cur_target", {}), "due": due.isoformat()}
    if not target.get("description") or "value" not in target:
        return Turn(T_DESC, draft, [Reply(vi.REG_BAD_T_DESC)])
    draft["targets"] = [*(draft.get("targets") or []), target]
    return Turn(TARGETS, draft, [Reply(vi.REG_TARGET_ADDED.format(number=len(draft["targets"])))])


def _confirm_label(ctx: Ctx, draft: Draft) -> str:
    if can(ctx.actor, Action.CONFIRM, draft.get("unit_id")):
        return vi.BTN_SUBMIT
    return vi.BTN_SEND_TO_HEAD


def ask_summary(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Everything entered, with confirm and the sections to edit."""
    options = [
        (_confirm_label(ctx, draft), "ok"),
        (vi.BTN_EDIT_COLLECTIVE, "e:col"),
        (vi.BTN_EDIT_INDIVIDUAL, "e:ind"),
        (vi.BTN_EDIT_TARGETS, "e:tgt"),
    ]
    return [Reply(registration_text.render(ctx.session, draft), buttons=buttons(*options))]


def on_summary(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Confirm (submit, or send to the head) or jump back to a section."""
    jumps = {"e:col": COLLECTIVE_TITLE, "e:ind": INDIVIDUAL_TITLES, "e:tgt": TARGETS}
    payload = message.payload or ""
    if payload in jumps:
        return Turn(jumps[payload], draft)
    if payload != "ok":
        return Turn(SUMMARY, draft, [Reply(vi.CHOOSE_ONE)])
    return save(ctx, draft, force=False)


def save(ctx: Ctx, draft: Draft, *, force: bool) -> Turn:
    """Write the registration; a concurrent save sends the person to the conflict step."""
    unit_id = draft.get("unit_id")
    if not can(ctx.actor, Action.DRAFT, unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    if not draft.get("targets"):
        return Turn(TARGETS, draft, [Reply(vi.REG_NEED_TARGET)])
    movement = _movement(ctx, draft)
    if not _editable(ctx, movement, draft.get("status")):
        deadline = day(movement.registration_deadline)
        return Turn(None, draft, [Reply(vi.REG_PAST_DEADLINE.format(deadline=deadline))])
    head = can(ctx.actor, Action.CONFIRM, unit_id)
    status = registrations.SUBMITTED if head else registrations.PENDING_HEAD
    person_id = ctx.actor.person_id
    try:
        reg = registrations.write_registration(
            ctx.session, draft, status=status, person_id=person_id, now=ctx.now, force=force
        )
    except Conflict as conflict:
        at = (
            conflict.at.astimezone(ctx.now.tzinfo).strftime("%H:%M %d/%m/%Y") if conflict.at else ""
        )
        text = vi.REG_CONFLICT.format(by=conflict.by or vi.SOMEONE, at=at, version=conflict.version)
        return Turn(CONFLICT, draft, [Reply(text)])
    done = vi.REG_SUBMITTED if head else vi.REG_SENT_TO_HEAD
    replies = [Reply(done.format(version=reg.version, movement=movement.title))]
    if head:
        replies += handoffs.registration_to_office(ctx, reg)
    else:
        replies += handoffs.registration_to_head(ctx, reg)
    return Turn(None, draft, replies)


def ask_conflict(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Someone saved first: see theirs, or save mine as a newer version."""
    options = [(vi.BTN_VIEW_STORED, "c:view"), (vi.BTN_SAVE_MINE, "c:mine")]
    return [Reply(vi.REG_CONFLICT_CHOICE, buttons=buttons(*options))]


def on_conflict(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Show the stored version, or save this draft on top of it (both stay in the history)."""
    if message.payload == "c:view":
        reg = registrations.registration_of(ctx.session, draft["unit_id"], draft["movement_id"])
        stored = (
            registration_text.render(ctx.session, registrations.to_draft(reg))
            if reg
            else vi.REG_NONE
        )
        return Turn(CONFLICT, draft, [Reply(vi.REG_STORED_IS.format(summary=stored))])
    if message.payload == "c:mine":
        return save(ctx, draft, force=True)
    return Turn(CONFLICT, draft, [Reply(vi.CHOOSE_ONE)])


def ask_head_return(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Why the head sends the registration back to the officer."""
    return [Reply(vi.HEAD_ASK_RETURN_REASON)]


def on_head_return(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Return the registration to its officer with the reason; the officer is told at once."""
    reason = reason_given(message.text)
    if reason is None:
        return Turn(HEAD_RETURN, draft, [Reply(vi.REVIEW_BAD_REASON)])
    unit_id = draft.get("unit_id")
    if unit_id is None or not can(ctx.actor, Action.CONFIRM, unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    try:
        reg = registrations.set_status(
            ctx.session,
            draft["reg_id"],
            draft["base_version"],
            status=registrations.RETURNED,
            person_id=ctx.actor.person_id,
            now=ctx.now,
            reason=reason,
        )
    except Conflict:
        return Turn(None, draft, [Reply(vi.REVIEW_CONFLICT)])
    replies = [Reply(vi.HEAD_RETURNED), *handoffs.registration_decided(ctx, reg, by_head=True)]
    return Turn(None, draft, replies)


FLOW = Flow(
    NAME,
    {
        MOVEMENT: Step(ask_movement, on_movement),
        COLLECTIVE_TITLE: Step(ask_collective, on_collective),
        INDIVIDUAL_TITLES: Step(ask_individual, on_individual),
        WHO: Step(ask_who, on_who, numbered=False, free_text=True),
        TARGETS: Step(ask_targets, on_targets),
        T_DESC: Step(ask_t_desc, on_t_desc, numbered=False, free_text=True),
        T_UNIT: Step(ask_t_unit, on_t_unit, numbered=False, free_text=True, choices=True),
        T_VALUE: Step(ask_t_value, on_t_value, numbered=False),
        T_DUE: Step(ask_t_due, on_t_due, numbered=False, choices=True),
        SUMMARY: Step(ask_summary, on_summary),
        CONFLICT: Step(ask_conflict, on_conflict),
        HEAD_RETURN: Step(ask_head_return, on_head_return, numbered=False, free_text=True),
    },
)
