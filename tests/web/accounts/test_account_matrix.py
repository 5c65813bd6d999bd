"""The sign-in, account, users and audit routes by every role, against the permission matrix (web.permissions.MATRIX),
through real sessions and real API tokens. `tests/web/test_matrix.py` checks that these tables and its own cover
every route of the app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.web.signin import PASSWORD, PanelClient, add_user, client, form_csrf, sign_in
from web.permissions import Permission, Role, allowed

TARGET = "{target}"  # replaced by the id of a viewer the routes may change
# (method, path, the permission it needs or None for any signed-in user, what to send)
GUARDED: list[tuple[str, str, Permission | None, dict[str, Any]]] = [
    ("GET", "/", None, {}),
    ("GET", "/account", None, {}),
    ("POST", "/account/password", None, {"data": {"current": "wrong", "new": "x", "again": "y"}}),
    ("POST", "/account/second-factor", None, {"data": {"password": "wrong"}}),
    ("POST", "/account/recovery-codes", None, {"data": {"password": "wrong"}}),
    ("POST", "/account/sessions/{handle}/end", None, {}),
    ("POST", "/account/tokens", None, {"data": {"name": "matrix"}}),
    ("POST", "/account/tokens/{token_id}/revoke", None, {}),
    ("POST", "/account/signout-everywhere", None, {}),
    ("GET", "/api/me", None, {}),
    ("POST", "/api/account/password", None, {"json": {"current": "wrong", "new": "x"}}),
    ("GET", "/api/account/sessions", None, {}),
    ("DELETE", "/api/account/sessions/{handle}", None, {}),
    ("GET", "/api/account/tokens", None, {}),
    ("POST", "/api/account/tokens", None, {"json": {"name": "matrix"}}),
    ("DELETE", "/api/account/tokens/{token_id}", None, {}),
    ("GET", "/users", Permission.MANAGE_USERS, {}),
    ("POST", "/users", Permission.MANAGE_USERS, {"data": {"username": "u1", "password": PASSWORD, "role": "staff"}}),
    ("POST", f"/users/{TARGET}/role", Permission.MANAGE_USERS, {"data": {"role": "staff"}}),
    ("POST", f"/users/{TARGET}/reset-2fa", Permission.MANAGE_USERS, {}),
    ("POST", f"/users/{TARGET}/disable", Permission.MANAGE_USERS, {}),
    ("POST", f"/users/{TARGET}/enable", Permission.MANAGE_USERS, {}),
    ("GET", "/api/users", Permission.MANAGE_USERS, {}),
    ("POST", "/api/users", Permission.MANAGE_USERS, {"json": {"username": "u2", "password": PASSWORD,
                                                              "role": "viewer"}}),
    ("PATCH", f"/api/users/{TARGET}", Permission.MANAGE_USERS, {"json": {"role": "viewer"}}),
    ("POST", f"/api/users/{TARGET}/reset-2fa", Permission.MANAGE_USERS, {}),
    ("GET", "/audit", Permission.READ_AUDIT, {}),
    ("GET", "/api/audit", Permission.READ_AUDIT, {}),
]
# Open without signing in: health for monitoring, the OpenAPI schema, and the sign-in steps themselves.
PUBLIC = {("GET", "/health"), ("GET", "/api/openapi.json"), ("GET", "/signin"), ("POST", "/signin"),
          ("GET", "/second-factor"), ("POST", "/second-factor"), ("GET", "/enrol"), ("POST", "/enrol"),
          ("POST", "/signout"), ("GET", "/setup/{token}"), ("POST", "/setup/{token}"), ("GET", "/api/csrf"),
          ("POST", "/api/session"), ("POST", "/api/session/second-factor"), ("DELETE", "/api/session")}
SIGNS_OUT = {"/account/signout-everywhere"}


def concrete(path: str, target: int) -> str:
    """A table path with a user id, and ids of a session and a token that do not exist."""
    return path.replace(TARGET, str(target)).replace("{handle}", "nope").replace("{token_id}", "nope")


def _call(panel: PanelClient, method: str, path: str, send: dict[str, Any], target: int) -> int:
    path = concrete(path, target)
    if "data" in send or (method == "POST" and "json" not in send):
        return panel.request(method, path, data={**send.get("data", {}), "csrf_token": panel.csrf}).status_code
    return panel.request(method, path, json=send.get("json"), headers={"X-CSRF-Token": panel.csrf}).status_code


@pytest.mark.parametrize("role", list(Role))
def test_every_route_and_role_against_the_matrix(app: FastAPI, role: Role) -> None:
    target = add_user(app, "target", Role.VIEWER).user_id
    user = add_user(app, f"the-{role}", role)
    wrong, panel = [], sign_in(app, client(app), user)
    for method, path, permission, send in GUARDED:
        status = _call(panel, method, path, send, target)
        denied = permission is not None and not allowed(role, permission)
        if (status == 403) != denied or status == 401 or status >= 500:
            wrong.append(f"{role} {method} {path}: {status}")
        if path in SIGNS_OUT:
            panel = sign_in(app, client(app), user)
    assert wrong == []


@pytest.mark.parametrize("role", list(Role))
def test_an_api_token_carries_its_users_role(app: FastAPI, role: Role) -> None:
    user = add_user(app, f"the-{role}", role)
    panel = sign_in(app, client(app), user)
    made = panel.post("/api/account/tokens", json={"name": "script"}, headers={"X-CSRF-Token": panel.csrf})
    assert made.status_code == 201
    token = made.json()["token"]
    script = client(app)
    script.headers["Authorization"] = f"Bearer {token}"
    assert script.get("/api/me").json()["role"] == role
    for method, path, permission, _ in GUARDED:
        if method == "GET" and path.startswith("/api/"):
            status = script.get(path).status_code
            assert (status == 403) == (permission is not None and not allowed(role, permission)), path
    assert script.post("/api/account/tokens", json={"name": "no csrf needed"}).status_code == 201
    panel.delete(f"/api/account/tokens/{made.json()['id']}", headers={"X-CSRF-Token": panel.csrf})
    assert script.get("/api/me").status_code == 401


def test_nobody_signed_in_gets_401_or_the_sign_in_page(app: FastAPI) -> None:
    anonymous = client(app)
    csrf = form_csrf(anonymous)
    for method, pattern, _, send in GUARDED:
        path = concrete(pattern, 1)
        if method == "GET":
            status = anonymous.get(path).status_code
            assert status == (401 if path.startswith("/api/") else 303), path
        else:
            kwargs = {"json": send["json"]} if "json" in send else {"data": {**send.get("data", {}),
                                                                            "csrf_token": csrf}}
            assert anonymous.request(method, path, headers={"X-CSRF-Token": csrf}, **kwargs).status_code == 401, path
    bogus = client(app)
    bogus.headers["Authorization"] = "Bearer rcp_made-up"
    assert bogus.get("/api/me").status_code == 401
