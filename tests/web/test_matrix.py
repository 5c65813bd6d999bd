"""Every panel route against every role, from the permission matrix: allowed gets 2xx (or a redirect after a
form), not allowed gets 403, nobody signed in gets 401 (a page: the sign-in page), an unknown role gets 403. And no
route is missing here or in the sign-in and account routes' table (tests/web/accounts/test_account_matrix.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from appliance.service import Appliance
from tests.web.accounts.test_account_matrix import GUARDED, PUBLIC, TARGET
from tests.web.conftest import PASSWORD, ROLES, Act, contact_of, message_of, recording_of
from web.app import ROUTERS
from web.permissions import Permission, allowed


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {call}, {contact}, {message}, {recording}: filled from the seeded store
    permission: Permission
    json: dict[str, Any] | None = None
    form: dict[str, str] | None = None


P = Permission
ROUTES = [
    Route("GET", "/api/calls", P.VIEW_CALLS),
    Route("GET", "/api/calls/{call}", P.VIEW_CALLS),
    Route("GET", "/api/calls/{call}/transcript", P.READ_TRANSCRIPTS),
    Route("GET", "/api/calls/{call}/recordings/{recording}", P.PLAY_RECORDINGS),
    Route("GET", "/api/messages", P.VIEW_MESSAGES),
    Route("GET", "/api/messages/counts", P.VIEW_MESSAGES),
    Route("GET", "/api/messages/team", P.WORK_MESSAGES),
    Route("POST", "/api/messages/{message}/assign", P.WORK_MESSAGES, json={"user_id": 3}),
    Route("POST", "/api/messages/{message}/notes", P.WORK_MESSAGES, json={"text": "called back"}),
    Route("POST", "/api/messages/{message}/done", P.WORK_MESSAGES, json={"done": True}),
    Route("GET", "/api/callers/{contact}", P.VIEW_CALLS),
    Route("POST", "/api/callers/{contact}/correct", P.CORRECT_CALLER, json={"name": "Ana Lopez"}),
    Route("POST", "/api/callers/{contact}/export", P.EXPORT_CALLER),
    Route("GET", "/api/callers/{contact}/erasure", P.ERASE_CALLER),
    Route("POST", "/api/callers/{contact}/erase", P.ERASE_CALLER, json={"password": PASSWORD}),
    Route("GET", "/calls", P.VIEW_CALLS),
    Route("GET", "/calls/{call}", P.VIEW_CALLS),
    Route("GET", "/messages", P.VIEW_MESSAGES),
    Route("POST", "/messages/{message}/assign", P.WORK_MESSAGES, form={"user_id": "3"}),
    Route("POST", "/messages/{message}/note", P.WORK_MESSAGES, form={"text": "called back"}),
    Route("POST", "/messages/{message}/done", P.WORK_MESSAGES, form={"done": "true"}),
    Route("GET", "/callers/{contact}", P.VIEW_CALLS),
    Route("POST", "/callers/{contact}/correct", P.CORRECT_CALLER, form={"name": "Ana Lopez"}),
    Route("POST", "/callers/{contact}/export", P.EXPORT_CALLER),
    Route("GET", "/callers/{contact}/erase", P.ERASE_CALLER),
    Route("POST", "/callers/{contact}/erase", P.ERASE_CALLER, form={"password": PASSWORD}),
]
OPEN = {"/static"}  # the stylesheet


def as_served(path: str) -> str:
    """A table path with the app's own parameter names."""
    for name in ("call", "contact", "message", "recording"):
        path = path.replace(f"{{{name}}}", f"{{{name}_id}}")
    return path


def send(act: Act, appliance: Appliance, route: Route, role: str | None) -> int:
    path = route.path.format(call="a1", contact=contact_of(appliance, "a1"), message=message_of(appliance, "a1"),
                             recording=recording_of(appliance, "a1"))
    response = act(role).request(route.method, path, json=route.json, data=route.form)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_role_gets_what_the_matrix_allows(act: Act, appliance: Appliance, route: Route, role: str) -> None:
    status = send(act, appliance, route, role)
    if allowed(role, route.permission):
        assert 200 <= status < 400
    else:
        assert status == 403


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_nobody_signed_in_gets_401_and_an_unknown_role_403(act: Act, appliance: Appliance, route: Route) -> None:
    page = route.method == "GET" and not route.path.startswith("/api")
    assert send(act, appliance, route, None) == (303 if page else 401)  # a page: the sign-in page
    assert send(act, appliance, route, "root") == 403


def test_every_route_of_the_app_is_in_the_table(act: Act) -> None:
    app = act(None).app
    routes = [*app.routes, *(route for router in ROUTERS for route in router.routes)]  # type: ignore[attr-defined]
    served = {(method, route.path) for route in routes if isinstance(route, APIRoute)
              for method in route.methods if route.path not in OPEN}
    listed = {(route.method, as_served(route.path)) for route in ROUTES} | PUBLIC - {("GET", "/api/openapi.json")}
    listed |= {(method, "/users/{user_id}/{action}" if path.startswith(f"/users/{TARGET}/")
                else path.replace(TARGET, "{user_id}")) for method, path, _, _ in GUARDED}
    assert served == listed


def test_the_openapi_schema_describes_the_api_and_no_page(act: Act) -> None:
    schema = act(None).get("/api/openapi.json").json()
    api = {(route.method, as_served(route.path)) for route in ROUTES if route.path.startswith("/api")}
    api |= {(method, path.replace(TARGET, "{user_id}")) for method, path, _, _ in GUARDED if path.startswith("/api")}
    api |= {(method, path) for method, path in PUBLIC if path.startswith("/api/") and path != "/api/openapi.json"}
    described = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                 if path.startswith("/api")}
    assert described == api
    assert not any(path.startswith(("/calls", "/messages", "/callers")) for path in schema["paths"])
