"""Errors in words an owner understands: one handler per kind, answering JSON under /api and a page elsewhere
(a browser that is not signed in goes to the sign-in page, and back after it)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from appliance.accounts.errors import AccountError, SignInRefused
from appliance.errors import ApplianceError, NotFoundError
from appliance.storage.keys import IntegrityError
from web.principal import SESSION_COOKIE
from web.security import clear_session_cookie
from web.templating import PAGES, see_other, signed_in

_LOGGER = logging.getLogger(__name__)
_TITLES = {400: "That did not work", 401: "Sign in first", 403: "Not allowed", 404: "Not found",
           405: "Not allowed", 413: "Too large", 422: "Please check the form", 429: "Too many tries",
           500: "Something went wrong", 503: "Not available yet"}


def answer(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The error as JSON (`{"detail": message}`) for the API, or as the panel's error page."""
    if request.url.path.startswith("/api") or request.url.path == "/health":
        return JSONResponse({"detail": message}, status_code=status, headers=dict(headers or {}))
    if status == 401 and request.method == "GET":
        return sign_in_first(request)
    values = {"status": status, "title": _TITLES.get(status, "That did not work"), "message": message,
              "principal": signed_in(request)}
    return PAGES.TemplateResponse(request, "error.html", values, status_code=status,
                                      headers=dict(headers or {}))


def sign_in_first(request: Request) -> Response:
    """A page asked for without a session: the sign-in page, coming back here after it."""
    response: Response = see_other(f"/signin?next={quote(request.url.path, safe='/')}")
    if SESSION_COOKIE in request.cookies:
        clear_session_cookie(response)  # an ended or foreign session's cookie goes
    return response


def install(app: FastAPI) -> None:
    """Answer every error the panel expects in plain words."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return answer(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return answer(request, 422, describe(exc.errors()))

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return answer(request, 404, f"Not found: {exc}. It may have been erased or expired; go back to the list.")

    @app.exception_handler(ValueError)
    async def refused(request: Request, exc: ValueError) -> Response:
        return answer(request, 400, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")

    @app.exception_handler(SignInRefused)
    async def refused_sign_in(request: Request, exc: SignInRefused) -> Response:
        return answer(request, 429 if exc.locked else 401, str(exc))

    @app.exception_handler(AccountError)
    async def account_error(request: Request, exc: AccountError) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(IntegrityError)
    async def tampered(request: Request, exc: IntegrityError) -> Response:
        _LOGGER.error("a stored record failed its integrity check: %s", exc)
        return answer(request, 500, f"{exc}.")

    @app.exception_handler(ApplianceError)
    async def unavailable(request: Request, exc: ApplianceError) -> Response:
        return answer(request, 503, f"{str(exc)[:1].upper()}{str(exc)[1:]}.")


def describe(errors: Any) -> str:
    """Validation errors as one sentence per field: where, and what is wrong."""
    parts = []
    for error in errors:
        where = " ".join(str(part) for part in error.get("loc", ())[1:]) or "the request"
        parts.append(f"{where}: {str(error.get('msg', 'not valid')).lower()}")
    return "Please check what was sent. " + "; ".join(parts) + "."
