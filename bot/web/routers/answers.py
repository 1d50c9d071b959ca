"""The office's curated answers: those withdrawn for review (a cited text re-ingested changed,
or no longer in force — checked first, as `thidua answers list` does) and those in force;
rewrite one, withdraw one, or put a withdrawn one back once its provisions check out.

Every change goes through the commands' own steps (bot.core.answering) and is written to the
audit log under the person who made it. Office only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.admin.answers import cite_spec
from bot.core.answering import restore_answer, update_answer
from bot.core.cited import CiteError
from bot.i18n import web_vi
from bot.store import curated as store
from bot.store import org
from bot.store.db import snapshot
from bot.store.qa_models import CuratedAnswer
from bot.web import answer_form
from bot.web.answer_form import AnswerForm, Posted
from bot.web.dashboard import Dashboard, PageError
from bot.web.deps import CheckedViewer, CurrentViewer, Dash, Db, Templates, Viewer
from bot.web.routers.questions import office_only

router = APIRouter(prefix="/web/questions/answers", tags=["questions"])
DONE = {
    "added": web_vi.DONE_ADDED,
    "updated": web_vi.DONE_UPDATED,
    "withdrawn": web_vi.DONE_WITHDRAWN,
    "restored": web_vi.DONE_RESTORED,
}


def _row(session: Db, answer_id: int) -> CuratedAnswer:
    row = store.get(session, answer_id)
    if row is None:
        raise PageError(404)
    return row


def _page(
    request: Request,
    who: Viewer,
    dash: Dashboard,
    session: Db,
    templates: Templates,
    *,
    notice: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    """What no longer holds goes to review before it is shown: when the sweep has work, it
    writes, in a short transaction of its own that the page is then read from."""

    def render(reading: Session) -> Response:
        context = {
            "viewer": who,
            "withdrawn": store.listing(reading, store.WITHDRAWN),
            "active": store.listing(reading, store.ACTIVE),
            "cite_spec": cite_spec,
            "notice": notice,
            "error": error,
        }
        return templates.TemplateResponse(request, "answers.html", context, status_code=status_code)

    library = dash.curated
    if library is None or library.swept(session):
        return render(session)
    with dash.sessions.begin() as writing:
        library.sweep(writing)
        return render(writing)


@router.get("", response_class=HTMLResponse)
def answers(
    request: Request,
    who: CurrentViewer,
    dash: Dash,
    session: Db,
    templates: Templates,
    done: str = "",
    id: str = "",
    closed: str = "",
    pushed: str = "",
) -> Response:
    """Withdrawn answers first (they need the office), then those in force; `done` and its
    figures: what the last action did (the redirect after it says so)."""
    office_only(who)
    figures = {"id": id, "closed": closed, "pushed": pushed}
    notice = ""
    if done in DONE and all(v.isdigit() for v in figures.values() if v):
        notice = DONE[done].format(**{k: v or "0" for k, v in figures.items()})
    return _page(request, who, dash, session, templates, notice=notice)


def _edit_form(row: CuratedAnswer) -> AnswerForm:
    return AnswerForm(
        question=row.question,
        text=row.answer,
        cites="\n".join(cite_spec(c) for c in row.citations),
        also="\n".join(q.text for q in row.questions if q.text != row.question),
        push=False,
    )


def _edit_page(
    request: Request,
    templates: Templates,
    who: Viewer,
    row: CuratedAnswer,
    form: AnswerForm,
    status_code: int = 200,
) -> Response:
    return answer_form.render(
        request,
        templates,
        who,
        form,
        action=f"/web/questions/answers/{row.id}/edit",
        heading=web_vi.ANSWER_FORM_EDIT.format(id=row.id),
        status_code=status_code,
        row=row,
        new=False,
    )


@router.get("/{answer_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request, answer_id: int, who: CurrentViewer, session: Db, templates: Templates
) -> Response:
    office_only(who)
    row = _row(session, answer_id)
    return _edit_page(request, templates, who, row, _edit_form(row))


def _audit(session: Db, who: Viewer, action: str, row: CuratedAnswer, **after: Any) -> None:
    org.audit(
        session,
        person_id=who.person_id,
        action=action,
        entity="curated_answer",
        entity_id=row.id,
        before=None,
        after={"question": row.question, "status": row.status, **after},
        now=row.updated_at,
    )


@router.post("/{answer_id}/edit", response_class=HTMLResponse)
def save_edit(
    request: Request,
    answer_id: int,
    who: CheckedViewer,
    dash: Dash,
    templates: Templates,
    form: Posted,
) -> Response:
    """Rewrites the answer as a re-imported row does: back in use on the provisions given,
    checked first; on any error the form again, nothing written."""
    office_only(who)
    with dash.sessions.begin() as session:
        row = _row(session, answer_id)
        form.errors = form.check(question_required=True)
        library = dash.curated
        provisions = form.provisions(library)
        if form.errors or library is None:
            return _edit_page(request, templates, who, row, form, status_code=422)
        update_answer(
            session,
            library,
            row,
            question=form.question,
            text=form.text,
            provisions=provisions,
            also=form.also_list,
            push_to=dash.push_channels if form.push else (),
        )
        _audit(
            session, who, "curated.update", row, citations=[p.citation.basis() for p in provisions]
        )
        return RedirectResponse(f"/web/questions/answers?done=updated&id={row.id}", status_code=303)


@router.post("/{answer_id}/withdraw")
def withdraw(
    answer_id: int,
    who: CheckedViewer,
    dash: Dash,
    note: Annotated[str, Form()] = "",
) -> Response:
    """The bot stops giving it; it waits with the withdrawn ones for review."""
    office_only(who)
    with dash.sessions.begin() as session:
        row = _row(session, answer_id)
        if row.status == store.ACTIVE:
            now = dash.now()
            why = web_vi.CURATED_BY_OFFICE.format(date=now.astimezone(dash.tz).strftime("%d/%m/%Y"))
            note = " ".join(note.split())
            store.withdraw(session, row, f"{why}: {note}" if note else why, now)
            _audit(session, who, "curated.withdraw", row, note=row.review_note)
        return RedirectResponse(
            f"/web/questions/answers?done=withdrawn&id={row.id}", status_code=303
        )


@router.post("/{answer_id}/restore", response_class=HTMLResponse)
def restore(
    request: Request,
    answer_id: int,
    who: CheckedViewer,
    dash: Dash,
    templates: Templates,
) -> Response:
    """Back in use, resting on its provisions as they read now (`thidua answers restore`);
    a provision gone or no longer in force keeps it withdrawn, and the page says why."""
    office_only(who)
    with dash.sessions.begin() as session:
        row = _row(session, answer_id)
        library = dash.curated
        if library is None:
            error = web_vi.ANSWER_NO_LIBRARY
        elif row.status != store.WITHDRAWN:
            error = ""
        else:
            try:
                restore_answer(session, library, row)
            except CiteError as failed:
                error = web_vi.RESTORE_FAILED.format(id=row.id, reason=failed)
            else:
                _audit(session, who, "curated.restore", row)
                error = ""
    if error:
        with snapshot(dash.sessions) as reading:  # after the write above, not before it
            return _page(request, who, dash, reading, templates, error=error, status_code=409)
    return RedirectResponse(f"/web/questions/answers?done=restored&id={row.id}", status_code=303)
