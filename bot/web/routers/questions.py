"""Questions: what the assistant could not answer and the answers cadres rated 👎, grouped,
most asked first (what `thidua unanswered` lists) — and the form that answers one of them
once, for everyone who asked, through `thidua answers add`'s own steps
(bot.core.answering: the item's questions, the citations checked against the loaded texts,
the answer stored, the questions it answers closed, the askers told through the outbox).

Office only: the questions come from every unit's chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.core.answering import Asked, add_answer, item_rows, parse_item
from bot.i18n import web_vi
from bot.store import answer_log, org, unanswered
from bot.store.qa_models import AnswerLog
from bot.web import answer_form
from bot.web.answer_form import AnswerForm, Posted
from bot.web.dashboard import PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, Viewer

router = APIRouter(prefix="/web/questions", tags=["questions"])
WAITING_LIMIT = 100  # groups of each kind on the page: the most asked ones come first


@dataclass(frozen=True)
class Disliked:
    """One question answered and rated 👎, with its repeats."""

    item: str
    question: str
    count: int
    last_at: datetime | None
    reasons: list[str]
    answer: str
    bases: str


def _disliked(rows: list[AnswerLog]) -> Disliked:
    newest = rows[-1]
    return Disliked(
        item=f"F{newest.id}",
        question=newest.question,
        count=len(rows),
        last_at=newest.rated_at,
        reasons=list(dict.fromkeys(r.reason for r in rows if r.reason)),
        answer=newest.answer,
        bases="; ".join(str(c.get("basis", "")) for c in newest.citations),
    )


def office_only(who: Viewer) -> None:
    if not who.office:
        raise PageError(403)


@router.get("", response_class=HTMLResponse)
def waiting(request: Request, who: CurrentViewer, session: Db, templates: Templates) -> Response:
    """The unanswered questions and the 👎 answers, each kind most asked first."""
    office_only(who)
    groups = unanswered.open_groups(session, WAITING_LIMIT)
    disliked = [_disliked(g) for g in answer_log.disliked_groups(session)[:WAITING_LIMIT]]
    context = {"viewer": who, "groups": groups, "disliked": disliked, "limit": WAITING_LIMIT}
    return templates.TemplateResponse(request, "questions.html", context)


def _asked(session: Db, item: str) -> tuple[str, list[Asked]]:
    """The item as `thidua unanswered` names it and its questions still waiting; 404 when it
    names nothing waiting."""
    parsed = parse_item(item)
    asked = item_rows(session, parsed) if parsed else []
    if parsed is None or not asked:
        raise PageError(404, web_vi.ANSWER_ITEM_GONE.format(item=item))
    return str(parsed), asked


def _form_page(
    request: Request,
    templates: Templates,
    who: Viewer,
    form: AnswerForm,
    asked: list[Asked],
    status_code: int = 200,
) -> Response:
    heading = web_vi.ANSWER_FORM_NEW
    if form.item:
        heading = web_vi.ANSWER_FOR_ITEM.format(item=form.item, count=len(asked))
    return answer_form.render(
        request,
        templates,
        who,
        form,
        action="/web/questions/new",
        heading=heading,
        status_code=status_code,
        wordings=list(dict.fromkeys(a.question for a in asked)),
        new=True,
    )


@router.get("/new", response_class=HTMLResponse)
def new_answer(
    request: Request, who: CurrentViewer, session: Db, templates: Templates, item: str = ""
) -> Response:
    """The form, for a waiting item (its newest wording as the question) or a new question."""
    office_only(who)
    form = AnswerForm()
    asked: list[Asked] = []
    if item:
        form.item, asked = _asked(session, item)
        form.question = asked[-1].question
    return _form_page(request, templates, who, form, asked)


@router.post("/new", response_class=HTMLResponse)
def save_answer(
    request: Request,
    who: CheckedViewer,
    dash: Dash,
    templates: Templates,
    form: Posted,
) -> Response:
    """Stores the answer as `thidua answers add` does; on any error, the form again with
    what was typed and why, and nothing written."""
    office_only(who)
    with dash.sessions.begin() as session:
        form.errors = form.check(question_required=not form.item)
        parsed = parse_item(form.item) if form.item else None
        asked = item_rows(session, parsed) if parsed else []
        if form.item and not asked:
            form.errors.append(web_vi.ANSWER_ITEM_GONE.format(item=form.item))
        library = dash.curated
        provisions = form.provisions(library)
        if form.errors or library is None:
            return _form_page(request, templates, who, form, asked, status_code=422)
        wording = form.question or asked[-1].question
        added = add_answer(
            session,
            library,
            question=wording,
            text=form.text,
            provisions=provisions,
            also=form.also_list,
            asked=asked,
            source=str(parsed) if parsed else "",
            push_to=dash.push_channels if form.push else (),
        )
        org.audit(
            session,
            person_id=who.person_id,
            action="curated.add",
            entity="curated_answer",
            entity_id=added.row.id,
            before=None,
            after={
                "question": wording,
                "source": str(parsed) if parsed else "",
                "citations": [p.citation.basis() for p in provisions],
                "closed": len(added.closed),
                "pushed": added.pushed,
            },
            now=library.now(),
        )
        done = f"done=added&id={added.row.id}&closed={len(added.closed)}&pushed={added.pushed}"
        return RedirectResponse(f"/web/questions/answers?{done}#a{added.row.id}", status_code=303)
