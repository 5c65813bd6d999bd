"""Errors in words: a page request gets a page (or, when nobody is signed in, the sign-in page), an /api request
gets JSON `{"detail": "..."}`."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from web.pages import render, see_other
from web.principal import SESSION_COOKIE
from web.security import clear_session_cookie

TITLES = {400: "That did not work", 401: "Sign in first", 403: "Not allowed", 404: "Not found",
          405: "Not allowed", 413: "Too large", 422: "The form was not complete", 429: "Too many tries"}
INVALID = ("The form was incomplete, or a field was too long or of the wrong kind. Go back, check it and try "
           "again.")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


async def http_error(request: Request, exc: Exception) -> Response:
    """An HTTP error as JSON for the API, a page for a browser (401: the sign-in page, then back here)."""
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401 and request.method == "GET":
        response: Response = see_other(f"/signin?next={quote(request.url.path, safe='/')}")
        if SESSION_COOKIE in request.cookies:
            clear_session_cookie(response)  # an ended or foreign session's cookie goes
        return response
    detail = exc.detail if isinstance(exc.detail, str) else "Something went wrong."
    return render(request, "error.html", status_code=exc.status_code, title=TITLES.get(exc.status_code),
                  error=detail)


async def invalid_request(request: Request, exc: Exception) -> Response:
    """A malformed form or body: the fields at fault for the API, a page in words for a browser."""
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        errors = [{"field": ".".join(str(p) for p in error.get("loc", ())), "problem": error.get("msg", "")}
                  for error in exc.errors()]
        return JSONResponse({"detail": INVALID, "errors": errors}, status_code=422)
    return render(request, "error.html", status_code=400, title=TITLES[400], error=INVALID)


def install(app: FastAPI) -> None:
    """Answer errors in words on every route."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
