"""The panel's Jinja2 templates (autoescaped), the filters that show times and durations to people, and what every
page gets. Pages extend `base.html` and fill `{% block content %}`.

Every page gets, besides its own values: `csrf_token` (put it in every form as the hidden field `csrf_token`),
`nav` (the header's links the signed-in user may follow) and `new_messages` (the header's count). Pages pass
`principal` (the signed-in user, or None) and `may` (what their role allows: `web.deps.page_context` does both).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from web.deps import may
from web.permissions import Permission, allowed
from web.principal import Principal, current_principal
from web.security import form_token, set_form_cookie

TEMPLATES = Path(__file__).parent / "templates"
# The header's links: (label, path, the permission it needs or None for any signed-in user), in order.
NAV: list[tuple[str, str, Permission | None]] = [
    ("Calls", "/calls", Permission.VIEW_CALLS),
    ("Messages", "/messages", Permission.VIEW_MESSAGES),
    ("Users", "/users", Permission.MANAGE_USERS),
    ("Audit log", "/audit", Permission.READ_AUDIT),
    ("Account", "/account", None),
]
_CSRF = "page_csrf_token"  # request.state: the token this request's page shows (set by `render`)


def when(seconds: float | None) -> str:
    """A Unix time as the box's local date and time, to the minute."""
    return "" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def duration(seconds: float | None) -> str:
    """A call's length as people say it: `2 min 05 s`, `45 s`."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def offset(seconds: float | None) -> str:
    """An offset from the answer, as m:ss.s."""
    if seconds is None:
        return ""
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def signed_in(request: Request) -> Principal | None:
    """The signed-in user of a page request, or None."""
    try:
        return current_principal(request)
    except HTTPException:
        return None


def every_page(request: Request) -> dict[str, Any]:
    """What the header of every page needs: the CSRF token, the links, the count of new messages."""
    me = signed_in(request)
    token = getattr(request.state, _CSRF, None) or form_token(request)[0]
    role = me.role if me else ""
    nav = [(label, path) for label, path, need in NAV if me and (need is None or allowed(role, need))]
    new = 0
    if me and allowed(role, Permission.VIEW_MESSAGES):
        new = request.app.state.appliance.records.inbox_counts()["new"]
    return {"csrf_token": token, "nav": nav, "new_messages": new}


def templates() -> Jinja2Templates:
    """The panel's templates with their filters and what every page gets."""
    found = Jinja2Templates(directory=str(TEMPLATES), context_processors=[every_page])
    found.env.filters.update(when=when, duration=duration, offset=offset)
    return found


PAGES = templates()  # one environment for every page and error page


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page of the sign-in and account screens (`principal` defaults to the signed-in user; `csrf` gives the
    token of a session this response starts). Before sign-in, a form's CSRF cookie is set with the page."""
    principal = values.pop("principal", None) or signed_in(request)
    token, new = form_token(request)
    if "csrf" in values:
        token, new = values.pop("csrf"), False
    setattr(request.state, _CSRF, token)
    context = {"principal": principal, "may": may(principal) if principal else set(), "notice": None, "error": None,
               **values}
    response = PAGES.TemplateResponse(request, template, context, status_code=status_code)
    if new:
        set_form_cookie(response, token)
    return response


def see_other(path: str) -> RedirectResponse:
    """After a form: go to a page with GET (303)."""
    return RedirectResponse(path, status_code=303)


def safe_next(value: str | None) -> str:
    """A path on this panel to go to after signing in; anything else (another site) goes to the start page."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) <= 300:
        return value
    return "/"
