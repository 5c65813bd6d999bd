"""The owner's pages: users (add, change role, reset the second factor, disable or enable) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from appliance.accounts.errors import AccountError
from web.deps import UserId
from web.permissions import Permission, Role
from web.principal import Principal, accounts_of, require, where
from web.templating import render

router = APIRouter(include_in_schema=False)
Owner = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
Auditor = Annotated[Principal, Depends(require(Permission.READ_AUDIT))]
AUDIT_PAGE = 100


def users_page(request: Request, me: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The users page (with a notice or an error)."""
    return render(request, "users.html", status_code=status_code, principal=me, users=accounts_of(request).list_users(),
                  roles=list(Role), **extra)


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, me: Owner) -> Response:
    """Everyone who may sign in, with their role and second factor."""
    return users_page(request, me)


@router.post("/users")
def add_user(request: Request, me: Owner, username: Annotated[str, Form(max_length=64)],
             password: Annotated[str, Form(max_length=256)], role: Annotated[str, Form(max_length=16)]) -> Response:
    """Add a user with a first password (owners and admins set up their authenticator at first sign-in)."""
    try:
        accounts_of(request).add_user(username.strip(), password, role, me.username, where(request))
    except AccountError as exc:
        return users_page(request, me, 400, error=str(exc), username=username)
    return users_page(request, me, notice=f"Added {username.strip()} as {role}. Give them the password in person.")


@router.post("/users/{user_id}/{action}")
def change_user(request: Request, me: Owner, user_id: UserId, action: str,
                role: Annotated[str, Form(max_length=16)] = "") -> Response:
    """Change a user: action 'role' (with the new role), 'reset-2fa', 'disable' or 'enable'."""
    accounts, at = accounts_of(request), where(request)
    changes = {"role": lambda: accounts.set_role(user_id, role, me.username, at),
               "reset-2fa": lambda: accounts.reset_second_factor(user_id, me.username, at),
               "disable": lambda: accounts.set_disabled(user_id, True, me.username, at),
               "enable": lambda: accounts.set_disabled(user_id, False, me.username, at)}
    if action not in changes:
        return users_page(request, me, 404, error="There is no such change; use the buttons on this page.")
    try:
        changes[action]()
    except AccountError as exc:
        return users_page(request, me, 400, error=str(exc))
    return users_page(request, me, notice="Done. The user's sessions have ended; the change applies at once.")


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, me: Auditor, page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The audit log, newest first: sign-ins, failures, lock-outs, user changes, playbacks, exports, erasures."""
    entries = request.app.state.appliance.audit_log(AUDIT_PAGE + 1, (page - 1) * AUDIT_PAGE)
    return render(request, "audit.html", principal=me, entries=entries[:AUDIT_PAGE], page=page,
                  older=len(entries) > AUDIT_PAGE)
