"""The panel's protections on every request: security headers on every response, the CSRF check on every
state-changing request, and the cookies that carry a session (or, before sign-in, a form's CSRF token)."""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.principal import SESSION_COOKIE, bearer_token, session_user

CSRF_COOKIE = "__Host-csrf"  # before sign-in: the sign-in and setup forms' token (double submit)
CSRF_FIELD = "csrf_token"  # a form's field
CSRF_HEADER = "x-csrf-token"  # or this header (scripts and API clients with a session cookie)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
_STATIC = "/static/"  # the panel's own stylesheet may be cached; nothing else is
FORBIDDEN = "This form has expired or did not come from this panel. Reload the page and try again."


class SecurityHeaders:
    """ASGI middleware: every response gets the security headers, and all but static files `no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache = b"public, max-age=3600" if scope["path"].startswith(_STATIC) else b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [(name.encode(), value.encode()) for name, value in HEADERS.items()]
                headers.append((b"cache-control", cache))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def csrf_guard(request: Request) -> None:
    """Every POST, PUT, PATCH and DELETE carries the CSRF token of its session (or, before sign-in, of the form's
    cookie) in the `csrf_token` form field or the X-CSRF-Token header; else 403. Requests with an API token carry
    no cookie authority and need none."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    found = session_user(request)
    expected = found.csrf_token if found is not None else request.cookies.get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(status_code=403, detail=FORBIDDEN)


def form_token(request: Request) -> tuple[str, bool]:
    """The CSRF token for a form on this request's page: the session's, or before sign-in the cookie's (or a
    new one, True when it must be set with `set_form_cookie`)."""
    found = session_user(request)
    if found is not None:
        return found.csrf_token, False
    token = request.cookies.get(CSRF_COOKIE)
    if token and len(token) <= 64:
        return token, False
    return secrets.token_urlsafe(32), True


def set_form_cookie(response: Response, token: str) -> None:
    """Set the before-sign-in CSRF cookie (Secure, HttpOnly, SameSite=Strict, Path=/)."""
    response.set_cookie(CSRF_COOKIE, token, secure=True, httponly=True, samesite="strict", path="/")


def set_session_cookie(response: Response, token: str) -> None:
    """Give the browser its session: Secure, HttpOnly, SameSite=Strict, Path=/ (a session cookie, no Max-Age:
    the server ends it)."""
    response.set_cookie(SESSION_COOKIE, token, secure=True, httponly=True, samesite="strict", path="/")


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(SESSION_COOKIE, secure=True, httponly=True, samesite="strict", path="/")
