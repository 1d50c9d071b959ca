"""The form the office writes or rewrites a curated answer in: what was typed, read back
whole (nothing typed is lost on an error), checked for what a form must hold; the citations
are then checked against the loaded texts as `thidua answers add` checks them
(bot.core.answering.provisions_of)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.core.answering import provisions_of
from bot.core.cited import Provision
from bot.core.curated import CuratedLibrary
from bot.i18n import web_vi
from bot.web.deps import Viewer

QUESTION_LIMIT = 1000
ANSWER_LIMIT = 3500  # the answer goes out in one chat message with its basis under it
CITES_LIMIT = 10
ALSO_LIMIT = 20
_ITEMS = re.compile(r"[\n;]")


def lines(text: str) -> list[str]:
    """One item a line (or between ';', as the office's spreadsheet writes them)."""
    return [" ".join(part.split()) for part in _ITEMS.split(text) if part.strip()]


@dataclass
class AnswerForm:
    question: str = ""
    text: str = ""
    cites: str = ""
    also: str = ""
    push: bool = True
    item: str = ""  # U<id> / F<id>: the waiting question it answers
    errors: list[str] = field(default_factory=list)

    @property
    def specs(self) -> list[str]:
        return lines(self.cites)

    @property
    def also_list(self) -> list[str]:
        return lines(self.also)

    def check(self, *, question_required: bool) -> list[str]:
        """What the form itself lacks (the citations' content is the library's to check)."""
        found: list[str] = []
        if question_required and not self.question.strip():
            found.append(web_vi.ANSWER_NEED_QUESTION)
        if not self.text.strip():
            found.append(web_vi.ANSWER_NEED_TEXT)
        if not self.specs:
            found.append(web_vi.ANSWER_NEED_CITE)
        for value, label, limit in (
            (self.question, web_vi.FIELD_QUESTION, QUESTION_LIMIT),
            (self.text, web_vi.FIELD_ANSWER, ANSWER_LIMIT),
        ):
            if len(value.strip()) > limit:
                found.append(web_vi.ANSWER_TOO_LONG.format(field=label, limit=limit))
        for items, label, limit in (
            (self.specs, web_vi.FIELD_CITES, CITES_LIMIT),
            (self.also_list, web_vi.FIELD_ALSO, ALSO_LIMIT),
        ):
            if len(items) > limit:
                found.append(web_vi.ANSWER_TOO_MANY.format(field=label, limit=limit))
        return found

    def provisions(self, library: CuratedLibrary | None) -> list[Provision]:
        """The citations checked against the loaded texts; each one that cannot be used, or
        the library being off, goes into `errors`."""
        if library is None:
            self.errors.append(web_vi.ANSWER_NO_LIBRARY)
            return []
        found, errors = provisions_of(library, self.specs) if self.specs else ([], [])
        self.errors += errors
        return found


def posted(
    question: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    cites: Annotated[str, Form()] = "",
    also: Annotated[str, Form()] = "",
    push: Annotated[str, Form()] = "",
    item: Annotated[str, Form()] = "",
) -> AnswerForm:
    """The form as posted (a dependency: routes stay plain `def`s, see bot.web.deps)."""
    return AnswerForm(
        question=question.strip(),
        text=text.strip(),
        cites=cites.strip(),
        also=also.strip(),
        push=bool(push),
        item=item.strip(),
    )


Posted = Annotated[AnswerForm, Depends(posted)]


def render(
    request: Request,
    templates: Jinja2Templates,
    who: Viewer,
    form: AnswerForm,
    *,
    action: str,
    heading: str,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    context = {"viewer": who, "form": form, "action": action, "heading": heading, **extra}
    page: HTMLResponse = templates.TemplateResponse(
        request, "answer_form.html", context, status_code=status_code
    )
    return page
