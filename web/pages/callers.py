"""A caller's page and their data rights: correct, export (a ZIP download) and erase (shows what goes first,
asks for the password again)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from web.api.callers import export as export_zip
from web.confirm import confirm_password
from web.deps import ID_PATTERN, ApplianceDep, CorrectsCallers, ErasesCallers, Source, ViewsCalls, page_context
from web.forms import NAME_MAX, NOTE_MAX
from web.pages.calls import page_links
from web.templating import PAGES

router = APIRouter(include_in_schema=False)
ContactId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/callers/{contact_id}", response_class=HTMLResponse)
def caller(request: Request, appliance: ApplianceDep, who: ViewsCalls, contact_id: ContactId,
           page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    """One caller: their details, calls, messages and unanswered questions."""
    found = appliance.records.caller(contact_id, page)
    values = page_context(appliance, who, caller=found, result=found["calls"],
                          page_link=page_links(f"/callers/{contact_id}", {}))
    return PAGES.TemplateResponse(request, "caller.html", values)


@router.post("/callers/{contact_id}/correct")
def correct(appliance: ApplianceDep, who: CorrectsCallers, source: Source, *, contact_id: ContactId,
            name: Annotated[str, Form(max_length=NAME_MAX)] = "",
            notes: Annotated[str, Form(max_length=NOTE_MAX)] = "") -> RedirectResponse:
    """Save a corrected name and notes (an emptied field is saved empty)."""
    appliance.records.correct_caller(contact_id, name=name.strip(), notes=notes.strip(), actor=who.username,
                                     source=source)
    return RedirectResponse(f"/callers/{contact_id}", status_code=303)


router.add_api_route("/callers/{contact_id}/export", export_zip, methods=["POST"], response_class=StreamingResponse)


@router.get("/callers/{contact_id}/erase", response_class=HTMLResponse)
def erase_preview(request: Request, appliance: ApplianceDep, who: ErasesCallers,
                  contact_id: ContactId) -> HTMLResponse:
    """What erasing the caller destroys, and the password form."""
    values = page_context(appliance, who, caller=appliance.records.caller(contact_id),
                          preview=appliance.records.erase_preview(contact_id))
    return PAGES.TemplateResponse(request, "erase.html", values)


@router.post("/callers/{contact_id}/erase", response_class=HTMLResponse)
def erase(request: Request, appliance: ApplianceDep, who: ErasesCallers, source: Source, *, contact_id: ContactId,
          password: Annotated[str, Form(min_length=1, max_length=1024)]) -> HTMLResponse:
    """Erase the caller once the password is confirmed."""
    appliance.records.caller(contact_id)  # 404 for an unknown caller before the password is checked
    confirm_password(appliance, who, password, source=source)
    calls = appliance.records.erase_caller(contact_id, actor=who.username, source=source)
    return PAGES.TemplateResponse(request, "erased.html", page_context(appliance, who, calls=calls))
