"""Who is asking: the signed-in panel user behind a request, and the route guard built on the permission
matrix. `current_principal` is the one place a request becomes a user (a session cookie or an API token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from appliance.accounts.policy import SIGNED_IN, RoleRules
from appliance.accounts.service import Accounts
from appliance.accounts.signin import SessionUser, Where
from web.permissions import SECOND_FACTOR_REQUIRED, Permission, Role, allowed

SESSION_COOKIE = "__Host-session"  # Secure, HttpOnly, SameSite=Strict, Path=/, no Domain: this host only
ROLE_RULES = RoleRules(roles=tuple(Role), second_factor=frozenset(SECOND_FACTOR_REQUIRED))
_SESSION = "session_user"  # request.state attribute: the session looked up once per request
_UNSET = object()


@dataclass(frozen=True)
class Principal:
    """A signed-in user, as far as a route needs to know."""

    user_id: int
    username: str
    role: str
    session_id: str | None = None  # None when the request came with an API token


def accounts_of(request: Request) -> Accounts:
    """The panel's accounts (set on the app by `web.app.create_app`)."""
    accounts: Accounts = request.app.state.accounts
    return accounts


def where(request: Request) -> Where:
    """The client's address and browser, for sessions and the audit log."""
    return Where(request.client.host if request.client else "unknown", request.headers.get("user-agent", "")[:200])


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer ...` header; '' for another kind of Authorization; None without."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def session_user(request: Request) -> SessionUser | None:
    """The live session of the request's cookie at any stage (looked up once per request), or None. A request
    with an Authorization header never uses the cookie."""
    found = getattr(request.state, _SESSION, _UNSET)
    if found is _UNSET:
        token = request.cookies.get(SESSION_COOKIE)
        found = None
        if token and bearer_token(request) is None:
            found = accounts_of(request).session(token[:128], where(request))
        setattr(request.state, _SESSION, found)
    return found if isinstance(found, SessionUser) else None


def current_principal(request: Request) -> Principal:
    """The user behind this request: a fully signed-in session (password and, where needed, second factor) or a
    per-user API token (`Authorization: Bearer rcp_...`); 401 when there is none."""
    token = bearer_token(request)
    if token is not None:
        user = accounts_of(request).token_user(token[:128], where(request))
        if user is None:
            raise HTTPException(status_code=401, detail="This API token is not valid: it was revoked, its user "
                                "was disabled, or it was mistyped. Create a new one on your account page.")
        return Principal(int(user["user_id"]), str(user["username"]), str(user["role"]))
    found = session_user(request)
    if found is None or found.stage != SIGNED_IN:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return Principal(found.user_id, found.username, found.role, found.handle)


def require(permission: Permission) -> Callable[..., Principal]:
    """A route dependency: the signed-in user if their role allows `permission`, else 403."""

    def guard(principal: Principal = Depends(current_principal)) -> Principal:  # noqa: B008
        if not allowed(principal.role, permission):
            raise HTTPException(status_code=403, detail="Your role does not allow this. Ask the owner.")
        return principal

    return guard
