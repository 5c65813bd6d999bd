"""The call log pages: the searchable list and one call's detail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from web.deps import ID_PATTERN, ApplianceDep, ViewsCalls, may, page_context
from web.forms import OUTCOMES, CallFilter
from web.permissions import Permission
from web.templating import PAGES

router = APIRouter(include_in_schema=False)


@router.get("/calls", response_class=HTMLResponse)
def calls(request: Request, appliance: ApplianceDep, who: ViewsCalls,
          filters: Annotated[CallFilter, Query()]) -> HTMLResponse:
    """The call log, newest first, with its search and filters."""
    result = appliance.records.calls(filters.query())
    values = page_context(appliance, who, filters=filters, result=result, brands=appliance.records.brands(),
                          outcomes=OUTCOMES, page_link=page_links("/calls", filters.model_dump(exclude={"page"})))
    return PAGES.TemplateResponse(request, "calls.html", values)


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call(request: Request, appliance: ApplianceDep, who: ViewsCalls,
         call_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> HTMLResponse:
    """One call: its facts, summary, message, recording player and (for roles that may read it) transcript."""
    detail = appliance.records.call(call_id, transcript=Permission.READ_TRANSCRIPTS.value in may(who))
    return PAGES.TemplateResponse(request, "call.html", page_context(appliance, who, call=detail))


def page_links(path: str, values: dict[str, Any]) -> Callable[[int], str]:
    """A function giving the link to a page number, keeping the other (non-empty) query values."""
    kept = {key: value for key, value in values.items() if value not in (None, "")}

    def link(page: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': page})}"

    return link
