"""One's own account: password, authenticator and recovery codes, sessions, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse

from appliance.accounts.errors import AccountError, SignInRefused
from appliance.accounts.policy import SIGNED_IN
from appliance.accounts.signin import SessionUser
from web.principal import Principal, accounts_of, current_principal, where
from web.security import clear_session_cookie
from web.templating import render, see_other

router = APIRouter(include_in_schema=False)
Me = Annotated[Principal, Depends(current_principal)]
Secret = Annotated[str, Form(max_length=256)]


def as_session_user(me: Principal) -> SessionUser:
    """The principal as the accounts know a session's user (no session handle for an API token)."""
    return SessionUser(me.session_id or "", me.user_id, me.username, me.role, SIGNED_IN, "")


def account_page(request: Request, me: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """The account page (with a notice or an error)."""
    accounts = accounts_of(request)
    user = accounts.users.user(me.user_id) or {}
    return render(request, "account.html", status_code=status_code, principal=me, has_totp=bool(user.get("has_totp")),
                  codes_left=accounts.recovery_codes_left(me.user_id), sessions=accounts.sessions_of(me.user_id),
                  tokens=accounts.tokens_of(me.user_id), **extra)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, me: Me) -> Response:
    """Your password, authenticator, sessions and API tokens."""
    return account_page(request, me)


@router.post("/account/password")
def change_password(request: Request, me: Me, current: Secret, new: Secret, again: Secret) -> Response:
    """Change your password (your other sessions end)."""
    if new != again:
        return account_page(request, me, 400, error="The two new passwords differ: type the same one twice.")
    try:
        accounts_of(request).change_password(as_session_user(me), current, new, where(request))
    except (AccountError, SignInRefused) as exc:
        return account_page(request, me, 400, error=str(exc))
    return account_page(request, me, notice="Your password is changed. Your other sessions have ended.")


@router.post("/account/second-factor")
def new_authenticator(request: Request, me: Me, password: Secret) -> Response:
    """Set up a new authenticator app (your password first); the old one stops working once it is done."""
    try:
        accounts_of(request).start_enrolment(as_session_user(me), password, where(request))
    except (AccountError, SignInRefused) as exc:
        return account_page(request, me, 400, error=str(exc))
    return see_other("/enrol?next=/account")


@router.post("/account/recovery-codes")
def new_recovery_codes(request: Request, me: Me, password: Secret) -> Response:
    """Ten new recovery codes replace the old ones (your password first; your other sessions end)."""
    try:
        codes = accounts_of(request).new_recovery_codes(as_session_user(me), password, where(request))
    except (AccountError, SignInRefused) as exc:
        return account_page(request, me, 400, error=str(exc))
    return render(request, "recovery_codes.html", principal=me, codes=codes, next="/account")


@router.post("/account/sessions/{handle}/end")
def end_session(request: Request, me: Me, handle: str) -> Response:
    """End one of your sessions (on another device, say)."""
    if not accounts_of(request).end_session(as_session_user(me), handle[:64], where(request)):
        return account_page(request, me, 404, error="That session has ended already.")
    if handle == me.session_id:
        return _signed_out()
    return account_page(request, me, notice="The session has ended.")


@router.post("/account/signout-everywhere")
def signout_everywhere(request: Request, me: Me) -> Response:
    """End every session of yours, this one too."""
    accounts_of(request).sign_out_everywhere(as_session_user(me), where(request))
    return _signed_out()


def _signed_out() -> Response:
    response = see_other("/signin")
    clear_session_cookie(response)
    return response


@router.post("/account/tokens")
def create_token(request: Request, me: Me, name: Annotated[str, Form(max_length=80)] = "") -> Response:
    """A new API token with your role; shown once."""
    token_id, token = accounts_of(request).create_token(me.user_id, me.username, name, where(request))
    return account_page(request, me, new_token=token, new_token_id=token_id,
                        notice="Your new API token is below. Copy it now: it is not shown again.")


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, me: Me, token_id: str) -> Response:
    """Revoke one of your API tokens."""
    if not accounts_of(request).revoke_token(me.user_id, me.username, token_id[:32], where(request)):
        return account_page(request, me, 404, error="That token was revoked already.")
    return account_page(request, me, notice="The token is revoked.")
