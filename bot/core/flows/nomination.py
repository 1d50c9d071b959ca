"""Đề nghị khen thưởng: who → title or form → achievements → hồ sơ → summary with the Law's
checks → confirm.

Shaped like the registration form: a prompt (`ask_*`) and a handler (`on_*`) per step, the
flow table at the bottom. The nominee is one of the unit's people (buttons, or a typed part of
the name), the unit itself, or a person not in the records. An officer's confirmation sends the
nomination to the unit head; the head's submits it to the office (bot.core.flows
.nomination_review). Until the movement's nomination deadline a nomination not yet decided can
be edited (`/denghi 12`), as a new version; after it, only one the office returned. The
commands enter it through bot.core.flows.nomination_entry.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from bot.core.access import Action, can
from bot.core.flows import nomination_handoffs, nomination_text, registration_checks
from bot.core.flows.base import Ctx, Draft, Flow, Step, Turn, buttons
from bot.core.flows.nomination_files import (
    FILE_WAIT,
    FILES,
    SUMMARY,
    ask_file_wait,
    ask_files,
    on_file_wait,
    on_files,
)
from bot.core.nomination_record import nominee_name
from bot.core.text import day, fold, reason_given
from bot.i18n import nominations_vi as nv
from bot.i18n import vi
from bot.messages import Incoming, Reply
from bot.store import awards, lookups, nominations
from bot.store.conversations import Conflict
from bot.store.models import Movement, Person
from bot.store.titles import COLLECTIVE, INDIVIDUAL

NAME = "nomination"
MOVEMENT, KIND, PERSON, NAMED, AWARD = "movement", "kind", "person", "named", "award"
ACHIEVEMENTS, HEAD_RETURN = "achievements", "head_return"
MAX_PEOPLE = 8  # buttons at a time; typing part of a name narrows the list


def deadline_of(ctx: Ctx, movement_id: int | None) -> date | None:
    settings = nominations.settings_of(ctx.session, movement_id)
    return settings.deadline if settings else None


def editable(ctx: Ctx, draft: Draft) -> bool:
    """Before the deadline anything not decided; after it only what the office returned."""
    if draft.get("status") in (nominations.APPROVED, nominations.REFUSED):
        return False
    deadline = deadline_of(ctx, draft.get("movement_id"))
    return deadline is None or ctx.today <= deadline or draft.get("status") == nominations.RETURNED


def new_draft(ctx: Ctx, movement: Movement | None) -> Draft:
    return {
        "nom_id": None,
        "base_version": 0,
        "status": nominations.DRAFT,
        "movement_id": movement.id if movement else None,
        "year": movement.year if movement else ctx.today.year,
        "unit_id": ctx.actor.unit_id,
        "files": [],
    }


def ask_movement(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Which movement (only asked when several are open)."""
    options = [(m.title, f"m:{m.id}") for m in lookups.open_movements(ctx.session, ctx.today)]
    return [Reply(nv.NOM_ASK_MOVEMENT, buttons=buttons(*options))]


def on_movement(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A movement was chosen: a new nomination in it, unless its deadline has passed."""
    match = re.fullmatch(r"m:(\d+)", message.payload or "")
    movement = lookups.movement(ctx.session, int(match.group(1))) if match else None
    if movement is None:
        return Turn(MOVEMENT, draft, [Reply(vi.CHOOSE_ONE)])
    fresh = new_draft(ctx, movement)
    if not editable(ctx, fresh):
        deadline = day(deadline_of(ctx, movement.id))
        return Turn(None, draft, [Reply(nv.NOM_PAST_DEADLINE.format(deadline=deadline))])
    return Turn(KIND, fresh)


def ask_kind(ctx: Ctx, draft: Draft) -> list[Reply]:
    """A person of the unit, the unit itself, or a person not in the records."""
    options = [
        (nv.BTN_KIND_PERSON, "k:person"),
        (nv.BTN_KIND_UNIT, "k:unit"),
        (nv.BTN_KIND_NAMED, "k:named"),
    ]
    return [Reply(nv.NOM_ASK_KIND, buttons=buttons(*options))]


def on_kind(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A person of the unit (to pick), a named person (to type), or the unit itself."""
    payload = message.payload or ""
    if payload == "k:person":
        draft.pop("query", None)
        return Turn(PERSON, draft)
    if payload == "k:named":
        return Turn(NAMED, draft)
    if payload == "k:unit":
        draft.update(kind=nominations.UNIT, person_id=None, name="")
        return Turn(_after_nominee(ctx, draft), draft)
    return Turn(KIND, draft, [Reply(vi.CHOOSE_ONE)])


def _people(ctx: Ctx, draft: Draft) -> list[Person]:
    query = select(Person).where(Person.unit_id == draft["unit_id"]).order_by(Person.full_name)
    return list(ctx.session.scalars(query))


def _matching(people: list[Person], text: str) -> list[Person]:
    wanted = fold(text)
    return [p for p in people if wanted in fold(p.full_name)]


def ask_person(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The unit's people as buttons (those matching the typed search, if any)."""
    people = _people(ctx, draft)
    query = draft.get("query") or ""
    shown = _matching(people, query) if query else people
    text = (
        nv.NOM_ASK_PERSON_FOUND.format(count=len(shown), query=query)
        if query
        else nv.NOM_ASK_PERSON.format(count=len(people))
    )
    options = [(p.full_name, f"p:{p.id}") for p in shown[:MAX_PEOPLE]]
    options.append((nv.BTN_KIND_NAMED, "k:named"))
    return [Reply(text, buttons=buttons(*options))]


def on_person(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """A person pressed, or a typed part of a name: one match is that person."""
    payload = message.payload or ""
    if payload == "k:named":
        return Turn(NAMED, draft)
    people = _people(ctx, draft)
    match = re.fullmatch(r"p:(\d+)", payload)
    if match:
        chosen = [p for p in people if p.id == int(match.group(1))]
    else:
        text = " ".join(message.text.split())[:100]
        chosen = _matching(people, text) if text else []
        if not chosen:
            return Turn(PERSON, draft, [Reply(nv.NOM_PERSON_NONE.format(query=text))])
        if len(chosen) > 1:
            draft["query"] = text
            return Turn(PERSON, draft)
    if len(chosen) != 1:
        return Turn(PERSON, draft, [Reply(vi.CHOOSE_ONE)])
    draft.pop("query", None)
    draft.update(kind=nominations.PERSON, person_id=chosen[0].id, name=chosen[0].full_name)
    return Turn(_after_nominee(ctx, draft), draft)


def ask_named(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The full name of a person not in the unit's records."""
    return [Reply(nv.NOM_ASK_NAMED)]


def on_named(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the typed name (3–100 characters)."""
    name = " ".join(message.text.split())
    if not 3 <= len(name) <= 100:
        return Turn(NAMED, draft, [Reply(nv.NOM_BAD_NAMED)])
    draft.update(kind=nominations.NAMED, person_id=None, name=name)
    return Turn(_after_nominee(ctx, draft), draft)


def _awards(ctx: Ctx, draft: Draft) -> list[tuple[str, str]]:
    """(name, code) of the titles of the nominee's scope the unit may propose, then the forms."""
    scope = COLLECTIVE if draft.get("kind") == nominations.UNIT else INDIVIDUAL
    titles = registration_checks.titles_for(ctx.session, scope, draft.get("unit_id"))
    return [(t.name, t.code) for t in titles] + [(f.name, f.code) for f in awards.FORMS]


def _after_nominee(ctx: Ctx, draft: Draft) -> str:
    """The award next, unless the one chosen still fits the nominee (an edit from the summary)."""
    if draft.get("award") in {code for _name, code in _awards(ctx, draft)}:
        return _after_award(draft)
    draft.pop("award", None)
    return AWARD


def _after_award(draft: Draft) -> str:
    if not draft.get("summary"):
        return ACHIEVEMENTS
    return SUMMARY if draft.get("files_seen") else FILES


def ask_award(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The titles for the nominee's scope, and the forms of commendation."""
    nominee = nominee_name(ctx.session, draft)
    options = [(name, f"a:{code}") for name, code in _awards(ctx, draft)]
    return [Reply(nv.NOM_ASK_AWARD.format(nominee=nominee), buttons=buttons(*options))]


def on_award(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the award pressed (one of those offered for this nominee)."""
    payload = message.payload or ""
    code = payload.removeprefix("a:")
    if code == payload or code not in {c for _name, c in _awards(ctx, draft)}:
        return Turn(AWARD, draft, [Reply(vi.CHOOSE_ONE)])
    draft["award"] = code
    return Turn(_after_award(draft), draft)


def ask_achievements(ctx: Ctx, draft: Draft) -> list[Reply]:
    """The achievement summary, typed."""
    nominee = nominee_name(ctx.session, draft)
    return [Reply(nv.NOM_ASK_SUMMARY.format(nominee=nominee))]


def on_achievements(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Keep the summary (10–3000 characters), then the files."""
    text = message.text.strip()
    if not 10 <= len(text) <= 3000:
        return Turn(ACHIEVEMENTS, draft, [Reply(nv.NOM_BAD_SUMMARY)])
    draft["summary"] = text
    return Turn(SUMMARY if draft.get("files_seen") else FILES, draft)


def _confirm_label(ctx: Ctx, draft: Draft) -> str:
    head = can(ctx.actor, Action.CONFIRM, draft.get("unit_id"))
    return vi.BTN_SUBMIT if head else vi.BTN_SEND_TO_HEAD


def ask_summary(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Everything entered and the Law's checks, with confirm and the parts to edit."""
    options = [
        (_confirm_label(ctx, draft), "ok"),
        (nv.BTN_EDIT_WHO, "e:who"),
        (nv.BTN_EDIT_AWARD, "e:award"),
        (nv.BTN_EDIT_SUMMARY, "e:sum"),
        (nv.BTN_EDIT_FILES, "e:files"),
    ]
    return [Reply(nomination_text.render(ctx.session, draft), buttons=buttons(*options))]


def on_summary(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Confirm (submit, or send to the head) or jump back to a part."""
    jumps = {"e:who": KIND, "e:award": AWARD, "e:sum": ACHIEVEMENTS, "e:files": FILES}
    payload = message.payload or ""
    if payload in jumps:
        return Turn(jumps[payload], draft)
    if payload != "ok":
        return Turn(SUMMARY, draft, [Reply(vi.CHOOSE_ONE)])
    return save(ctx, draft)


def save(ctx: Ctx, draft: Draft) -> Turn:
    """Write the nomination: submitted by a head, sent to the head by an officer."""
    unit_id = draft.get("unit_id")
    if not can(ctx.actor, Action.DRAFT, unit_id):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    if not editable(ctx, draft):
        deadline = day(deadline_of(ctx, draft.get("movement_id")))
        return Turn(None, draft, [Reply(nv.NOM_PAST_DEADLINE.format(deadline=deadline))])
    same = nominations.find_same(ctx.session, draft)
    if same is not None:
        text = nv.NOM_DUPLICATE.format(
            nominee=nominee_name(ctx.session, draft),
            award=nomination_text.award_name(ctx.session, draft["award"]),
            year=draft["year"],
            id=same.id,
        )
        return Turn(SUMMARY, draft, [Reply(text)])
    head = can(ctx.actor, Action.CONFIRM, unit_id)
    status = nominations.SUBMITTED if head else nominations.PENDING_HEAD
    try:
        saved = nominations.write_nomination(
            ctx.session, draft, status=status, person_id=ctx.actor.person_id, now=ctx.now
        )
    except Conflict:
        return Turn(None, draft, [Reply(nv.NOM_CONFLICT.format(id=draft.get("nom_id")))])
    nom = nominations.get(ctx.session, saved.id)
    assert nom is not None
    done = nv.NOM_SUBMITTED if head else nv.NOM_SENT_TO_HEAD
    replies = [Reply(done.format(id=saved.id, version=saved.version))]
    if head:
        replies += nomination_handoffs.to_office(ctx, nom)
    else:
        replies += nomination_handoffs.to_head(ctx, nom)
    return Turn(None, draft, replies)


def ask_head_return(ctx: Ctx, draft: Draft) -> list[Reply]:
    """Why the head sends the nomination back to the officer."""
    return [Reply(vi.HEAD_ASK_RETURN_REASON)]


def on_head_return(ctx: Ctx, draft: Draft, message: Incoming) -> Turn:
    """Return the nomination to its officer with the reason; the officer is told at once."""
    reason = reason_given(message.text)
    if reason is None:
        return Turn(HEAD_RETURN, draft, [Reply(vi.REVIEW_BAD_REASON)])
    if not can(ctx.actor, Action.CONFIRM, draft.get("unit_id")):
        return Turn(None, draft, [Reply(vi.NOT_ALLOWED)])
    try:
        nom = nominations.set_status(
            ctx.session,
            draft["nom_id"],
            draft["base_version"],
            status=nominations.RETURNED,
            person_id=ctx.actor.person_id,
            now=ctx.now,
            reason=reason,
        )
    except Conflict:
        return Turn(None, draft, [Reply(nv.NOM_CONFLICT.format(id=draft["nom_id"]))])
    replies = [Reply(nv.NOM_HEAD_RETURNED), *nomination_handoffs.decided(ctx, nom, by_head=True)]
    return Turn(None, draft, replies)


FLOW = Flow(
    NAME,
    {
        MOVEMENT: Step(ask_movement, on_movement),
        KIND: Step(ask_kind, on_kind),
        PERSON: Step(ask_person, on_person, free_text=True),
        NAMED: Step(ask_named, on_named, numbered=False, free_text=True),
        AWARD: Step(ask_award, on_award),
        ACHIEVEMENTS: Step(ask_achievements, on_achievements, numbered=False, free_text=True),
        FILES: Step(ask_files, on_files),
        FILE_WAIT: Step(ask_file_wait, on_file_wait),
        SUMMARY: Step(ask_summary, on_summary),
        HEAD_RETURN: Step(ask_head_return, on_head_return, numbered=False, free_text=True),
    },
)
