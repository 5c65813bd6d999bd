"""The message inbox page and the forms that work a message (each answers with a redirect back to the inbox)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from web.deps import ID_PATTERN, ApplianceDep, ViewsMessages, WorksMessages, page_context
from web.forms import NOTE_MAX, View
from web.pages.calls import page_links
from web.templating import PAGES

router = APIRouter(include_in_schema=False)
MessageId = Annotated[str, Path(pattern=ID_PATTERN)]
BackTo = Annotated[View, Form()]


@router.get("/messages", response_class=HTMLResponse)
def inbox(request: Request, appliance: ApplianceDep, who: ViewsMessages, view: View = "new",
          page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """The inbox: new, assigned or done messages, newest first."""
    records = appliance.records
    values = page_context(appliance, who, result=records.inbox(view, page), counts=records.inbox_counts(),
                          team=records.team(), page_link=page_links("/messages", {"view": view}))
    return PAGES.TemplateResponse(request, "messages.html", values)


@router.post("/messages/{message_id}/assign")
def assign(appliance: ApplianceDep, _: WorksMessages, message_id: MessageId, view: BackTo = "new",
           user_id: Annotated[str, Form(max_length=12, pattern=r"^\d*$")] = "") -> RedirectResponse:
    """Give a message to a panel user (an empty choice: to nobody)."""
    appliance.records.assign(message_id, int(user_id) if user_id else None)
    return _back(view)


@router.post("/messages/{message_id}/note")
def note(appliance: ApplianceDep, who: WorksMessages, message_id: MessageId,
         text: Annotated[str, Form(min_length=1, max_length=NOTE_MAX)], view: BackTo = "new") -> RedirectResponse:
    """Add a team note to a message."""
    appliance.records.add_note(message_id, text, actor=who.username)
    return _back(view)


@router.post("/messages/{message_id}/done")
def done(appliance: ApplianceDep, _: WorksMessages, message_id: MessageId, view: BackTo = "new",
         done: Annotated[bool, Form()] = True) -> RedirectResponse:
    """Mark a message done, or open it again."""
    appliance.records.finish(message_id, done)
    return _back(view)


def _back(view: str) -> RedirectResponse:
    return RedirectResponse(f"/messages?view={view}", status_code=303)
