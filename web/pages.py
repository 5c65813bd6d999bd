"""Server-rendered pages: the Jinja2 templates (web/templates, autoescaped), what every page is given, and the
header's navigation. Pages extend `base.html` and fill `{% block content %}`.

Every page gets: `me` (the signed-in Principal, or None), `csrf_token` (put it in every form as the hidden field
`csrf_token`), `nav` (the links `me` may follow), `can(permission)`, `notice` and `error` (a line in words).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from web.permissions import Permission, allowed
from web.principal import Principal, current_principal
from web.security import form_token, set_form_cookie

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
# The header's links: (label, path, the permission it needs or None for any signed-in user), in order. The pages
# of the call log add theirs here.
NAV: list[tuple[str, str, Permission | None]] = [
    ("Users", "/users", Permission.MANAGE_USERS),
    ("Audit log", "/audit", Permission.READ_AUDIT),
    ("Account", "/account", None),
]


def when(moment: float | None) -> str:
    """A Unix time as the box's local date and time to the minute ('' for none): the `when` filter."""
    return "" if moment is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


TEMPLATES.env.filters["when"] = when


def signed_in(request: Request) -> Principal | None:
    """The signed-in user of a page request, or None (a page shows sign-in links instead)."""
    try:
        return current_principal(request)
    except HTTPException:
        return None


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from its template, with what every page gets (see the module's docstring)."""
    me = context.pop("me", None) or signed_in(request)
    token, new = form_token(request)
    if "csrf" in context:  # a page that starts a new session gives that session's token
        token, new = context.pop("csrf"), False
    role = me.role if me else ""
    page = {"me": me, "csrf_token": token, "can": lambda permission: bool(me) and allowed(role, permission),
            "nav": [(label, path) for label, path, need in NAV if me and (need is None or allowed(role, need))],
            "notice": None, "error": None, **context}
    response = TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)
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
