"""A unit: its registrations (status, versions, titles, targets), reports, pledge signatures
and people with their linked chats — for whoever may view the unit (bot.core.access)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
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
from bot.web.dashboard import PageError
from bot.web.deps import CurrentViewer, Db, Templates, unit_or_404

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
        regs.append(
            {
                "reg": reg,
                "movement": session.get(Movement, reg.movement_id),
                "versions": versions,
                "reports": reports,
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
    }
    return templates.TemplateResponse(request, "unit.html", context)
