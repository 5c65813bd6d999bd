"""Signing in, the second factor and its enrolment, signing out, and the first owner's one-time setup link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from appliance.accounts.errors import AccountError, SignInRefused
from appliance.accounts.policy import ENROL, SECOND_FACTOR, SIGNED_IN
from appliance.accounts.signin import NewSession
from web.principal import SESSION_COOKIE, Principal, accounts_of, session_user, where
from web.security import clear_session_cookie, set_session_cookie
from web.templating import render, safe_next, see_other, signed_in

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=256)]
Next = Annotated[str, Form(max_length=300)]
_STEP = {SECOND_FACTOR: "/second-factor", ENROL: "/enrol"}


def _continue(new: NewSession, after: str) -> Response:
    """Go on to the session's next step (or `after` once signed in), with the new session's cookie."""
    response = see_other(_STEP[new.stage] + f"?next={safe_next(after)}" if new.stage in _STEP else safe_next(after))
    set_session_cookie(response, new.token)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    if signed_in(request):
        return see_other(safe_next(next))
    return render(request, "signin.html", next=safe_next(next))


@router.post("/signin")
def signin(request: Request, username: Text, password: Text, next: Next = "/") -> Response:
    """Check the user name and password; then the second factor, or its enrolment, or the page asked for."""
    accounts = accounts_of(request)
    if session_user(request) is not None:  # signing in again: the old session ends
        accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""), where(request))
    try:
        new = accounts.sign_in(username.strip(), password, where(request))
    except SignInRefused as exc:
        return render(request, "signin.html", status_code=429 if exc.locked else 401, error=str(exc),
                      username=username, next=safe_next(next))
    return _continue(new, next)


@router.get("/second-factor", response_class=HTMLResponse)
def second_factor_page(request: Request, next: str = "/") -> Response:
    """The form for the authenticator's code (or a recovery code)."""
    found = session_user(request)
    if found is None or found.stage != SECOND_FACTOR:
        return see_other("/signin")
    return render(request, "second_factor.html", next=safe_next(next))


@router.post("/second-factor")
def second_factor(request: Request, code: Annotated[str, Form(max_length=64)], next: Next = "/") -> Response:
    """Check the code; a new session, fully signed in."""
    try:
        new = accounts_of(request).second_factor(request.cookies.get(SESSION_COOKIE, ""), code, where(request))
    except SignInRefused as exc:
        if exc.locked or session_user(request) is None:
            return render(request, "signin.html", status_code=429 if exc.locked else 401, error=str(exc), next="/")
        return render(request, "second_factor.html", status_code=401, error=str(exc), next=safe_next(next))
    return _continue(new, next)


@router.get("/enrol", response_class=HTMLResponse)
def enrol_page(request: Request, next: str = "/") -> Response:
    """Set up an authenticator app: its QR code (made here) and the secret to type instead."""
    return _enrol_form(request, next)


@router.post("/enrol")
def enrol(request: Request, code: Annotated[str, Form(max_length=64)], next: Next = "/") -> Response:
    """Check a code of the new authenticator; show the ten recovery codes, once."""
    found = session_user(request)
    if found is None:
        return see_other("/signin")
    try:
        new, codes = accounts_of(request).finish_enrolment(found, code, where(request))
    except AccountError as exc:
        return _enrol_form(request, next, str(exc))
    me = Principal(found.user_id, found.username, found.role)
    response = render(request, "recovery_codes.html", principal=me, csrf=new.csrf_token, codes=codes,
                      next=safe_next(next))
    set_session_cookie(response, new.token)
    return response


def _enrol_form(request: Request, next: str, error: str | None = None) -> Response:
    """The enrolment page (saying what went wrong, if anything); the sign-in or account page if none is under way."""
    found = session_user(request)
    enrolment = accounts_of(request).enrolment(found, request.url.hostname or "box") if found else None
    if found is None or enrolment is None:
        return see_other("/account" if found and found.stage == SIGNED_IN else "/signin")
    secret, _, svg = enrolment
    return render(request, "enrol.html", status_code=400 if error else 200, error=error, qr=svg,
                  secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), next=safe_next(next),
                  required=found.stage == ENROL)


@router.post("/signout")
def signout(request: Request) -> Response:
    """End this session."""
    accounts_of(request).sign_out(request.cookies.get(SESSION_COOKIE, ""), where(request))
    response = see_other("/signin")
    clear_session_cookie(response)
    return response


@router.get("/setup/{token}", response_class=HTMLResponse)
def setup_page(request: Request, token: str) -> Response:
    """The form a one-time setup link opens: the new user's name and password."""
    role = accounts_of(request).setup_link_role(token) if len(token) <= 64 else None
    if role is None:
        return render(request, "error.html", status_code=404, status=404, title="Setup link not valid",
                      message="This setup link was used already or has expired (links work once, for 24 hours). "
                            "On the box, run: receptionist users setup-link")
    return render(request, "setup.html", role=role, token=token)


@router.post("/setup/{token}")
def setup(request: Request, token: str, username: Text, password: Text, again: Text) -> Response:
    """Create the link's user and sign them in (an owner sets up the second factor next)."""
    role = accounts_of(request).setup_link_role(token) if len(token) <= 64 else None
    if role is None:
        return setup_page(request, token)
    if password != again:
        return render(request, "setup.html", status_code=400, role=role, token=token, username=username,
                      error="The two passwords differ: type the same password twice.")
    try:
        new = accounts_of(request).use_setup_link(token, username.strip(), password, where(request))
    except AccountError as exc:
        return render(request, "setup.html", status_code=400, role=role, token=token, username=username,
                      error=str(exc))
    return _continue(new, "/")

