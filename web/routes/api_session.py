"""The JSON API of signing in and of one's own account: the same steps as the pages, for scripts and apps. A
script usually signs in with an API token instead (`Authorization: Bearer rcp_...`, made on the account page)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from appliance.accounts.errors import AccountError, SignInRefused
from appliance.accounts.signin import NewSession
from web.deps import may
from web.principal import SESSION_COOKIE, Principal, accounts_of, current_principal, session_user, where
from web.routes.account import as_session_user
from web.security import clear_session_cookie, form_token, set_form_cookie, set_session_cookie

router = APIRouter(prefix="/api", tags=["session and account"])
Me = Annotated[Principal, Depends(current_principal)]


class Credentials(BaseModel):
    """A user name and password."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class Code(BaseModel):
    """A 6-digit TOTP code or a recovery code."""

    code: str = Field(max_length=64)


class PasswordChange(BaseModel):
    """The current password and the new one."""

    current: str = Field(max_length=256)
    new: str = Field(max_length=256)


class TokenRequest(BaseModel):
    """What a new API token is for."""

    name: str = Field(default="", max_length=80)


def refused(exc: SignInRefused) -> HTTPException:
    """A failed sign-in step as an HTTP error: 429 when locked out, else 401."""
    return HTTPException(status_code=429 if exc.locked else 401, detail=str(exc))


def _session_reply(response: Response, new: NewSession) -> dict[str, str]:
    set_session_cookie(response, new.token)
    return {"stage": new.stage, "csrf_token": new.csrf_token}


@router.get("/csrf")
def csrf(request: Request, response: Response) -> dict[str, str]:
    """A CSRF token for signing in (send it as X-CSRF-Token; the cookie set with it must come back too)."""
    token, new = form_token(request)
    if new:
        set_form_cookie(response, token)
    return {"csrf_token": token}


@router.post("/session")
def sign_in(request: Request, response: Response, body: Credentials) -> dict[str, str]:
    """Sign in with a password: a session cookie, its CSRF token, and its stage (signed-in, second-factor, enrol)."""
    try:
        new = accounts_of(request).sign_in(body.username.strip(), body.password, where(request))
    except SignInRefused as exc:
        raise refused(exc) from None
    return _session_reply(response, new)


@router.post("/session/second-factor")
def second_factor(request: Request, response: Response, body: Code) -> dict[str, str]:
    """Give the TOTP code (or a recovery code) of a session at the second-factor stage: a new, signed-in session."""
    try:
        new = accounts_of(request).second_factor(request.cookies.get(SESSION_COOKIE, ""), body.code, where(request))
    except SignInRefused as exc:
        raise refused(exc) from None
    return _session_reply(response, new)


@router.delete("/session", status_code=204)
def sign_out(request: Request, response: Response) -> None:
    """End this session."""
    if session_user(request) is None:
        raise HTTPException(status_code=401, detail="Sign in first.")
    accounts_of(request).sign_out(request.cookies.get(SESSION_COOKIE, ""), where(request))
    clear_session_cookie(response)


@router.get("/me")
def me(request: Request, principal: Me) -> dict[str, Any]:
    """Who you are signed in as, what your role allows, and (with a session cookie) the session's CSRF token."""
    found = session_user(request) if principal.session_id else None
    return {"user_id": principal.user_id, "username": principal.username, "role": principal.role,
            "permissions": sorted(may(principal)), "csrf_token": found.csrf_token if found else None}


@router.post("/account/password", status_code=204)
def change_password(request: Request, principal: Me, body: PasswordChange) -> None:
    """Change your password (your other sessions end)."""
    try:
        accounts_of(request).change_password(as_session_user(principal), body.current, body.new, where(request))
    except (AccountError, SignInRefused) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/account/sessions")
def sessions(request: Request, principal: Me) -> list[dict[str, Any]]:
    """Your sessions: id, created_at, last_seen, address, user_agent, stage."""
    rows = accounts_of(request).sessions_of(principal.user_id)
    return [{k: row[k] for k in ("id", "created_at", "last_seen", "address", "user_agent", "stage")} for row in rows]


@router.delete("/account/sessions/{handle}", status_code=204)
def end_session(request: Request, principal: Me, handle: str) -> None:
    """End one of your sessions."""
    if not accounts_of(request).end_session(as_session_user(principal), handle[:64], where(request)):
        raise HTTPException(status_code=404, detail="That session has ended already.")


@router.get("/account/tokens")
def tokens(request: Request, principal: Me) -> list[dict[str, Any]]:
    """Your API tokens: id, name, created_at, last_used (never the token)."""
    return accounts_of(request).tokens_of(principal.user_id)


@router.post("/account/tokens", status_code=201)
def create_token(request: Request, principal: Me, body: TokenRequest) -> dict[str, str]:
    """A new API token with your role; the token is in this answer only."""
    token_id, token = accounts_of(request).create_token(principal.user_id, principal.username, body.name,
                                                        where(request))
    return {"id": token_id, "token": token}


@router.delete("/account/tokens/{token_id}", status_code=204)
def revoke_token(request: Request, principal: Me, token_id: str) -> None:
    """Revoke one of your API tokens."""
    if not accounts_of(request).revoke_token(principal.user_id, principal.username, token_id[:32], where(request)):
        raise HTTPException(status_code=404, detail="That token was revoked already.")
