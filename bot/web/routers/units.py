"""A unit: its registrations (status, versions, titles, targets, the Law's warnings), reports
with values against targets and attachments, pledges, the reminders it was sent, and its people
with their linked chats — for whoever may view the unit (bot.core.access)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy import select

from bot.store import lookups
from bot.store.models import (
    ChannelIdentity,
    Movement,
    Person,
    ProgressReport,
    Registration,
    RegistrationVersion,
    ReportPeriod,
)
from bot.web import unit_view
from bot.web.dashboard import PageError
from bot.web.deps import CurrentViewer, Dash, Db, Templates, unit_or_404
from bot.web.downloads import stored_file

router = APIRouter(prefix="/web/units", tags=["units"])


@router.get("/{unit_id}", response_class=HTMLResponse)
def unit_page(
    request: Request, unit_id: int, who: CurrentViewer, session: Db, templates: Templates
) -> HTMLResponse:
    """Everything the unit filed, and who its people are."""
    if not who.may_view(unit_id):
        raise PageError(403)
    unit = unit_or_404(session, unit_id)
    titles = lookups.title_names(session)
    regs = []
    for reg in session.scalars(
        select(Registration).where(Registration.unit_id == unit_id).order_by(Registration.id)
    ):
        versions = session.scalars(
            select(RegistrationVersion)
            .where(RegistrationVersion.registration_id == reg.id)
            .order_by(RegistrationVersion.version.desc())
        ).all()
        reports = session.execute(
            select(ProgressReport, ReportPeriod)
            .join(ReportPeriod, ReportPeriod.id == ProgressReport.period_id)
            .where(ProgressReport.registration_id == reg.id)
            .order_by(ReportPeriod.start_date)
        ).all()
        movement = session.get(Movement, reg.movement_id)
        regs.append(
            {
                "reg": reg,
                "movement": movement,
                "versions": versions,
                "reports": [
                    (report, period, unit_view.values(reg, report)) for report, period in reports
                ],
                "warnings": unit_view.warnings(reg, movement),
            }
        )
    people = []
    for person in session.scalars(
        select(Person).where(Person.unit_id == unit_id).order_by(Person.full_name)
    ):
        chats = session.scalars(
            select(ChannelIdentity.channel).where(ChannelIdentity.person_id == person.id)
        ).all()
        people.append({"person": person, "roles": [r.role for r in person.roles], "chats": chats})
    context = {
        "viewer": who,
        "unit": unit,
        "regs": regs,
        "titles": titles,
        "people": people,
        "pledges": unit_view.pledges(session, unit_id),
        "reminders": unit_view.reminders(session, unit_id),
    }
    return templates.TemplateResponse(request, "unit.html", context)


@router.get("/{unit_id}/attachments/{attachment_id}")
def attachment(
    unit_id: int, attachment_id: int, who: CurrentViewer, dash: Dash, session: Db
) -> FileResponse:
    """A report's attachment, to whoever may view the unit; 404 for another unit's."""
    if not who.may_view(unit_id):
        raise PageError(403)
    found = unit_view.attachment_of(session, unit_id, attachment_id)
    return stored_file(dash.files, found)
