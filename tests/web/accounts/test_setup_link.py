"""The first owner's one-time setup link, and signing in through the JSON API."""

from __future__ import annotations

import pyotp
from fastapi import FastAPI

from appliance.accounts import policy
from appliance.service import Appliance
from tests.store.conftest import contains, file_bytes
from tests.web.signin import PASSWORD, FakeClock, accounts, add_user, client, form_csrf, totp_now
from web.permissions import Role


def _create(app: FastAPI, path: str, username: str = "olga", password: str = PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    panel = client(app)
    csrf = form_csrf(panel)  # the before-sign-in token of any form page
    return panel, panel.post(path, data={"username": username, "password": password,
                                         "again": password if again is None else again, "csrf_token": csrf})


def test_a_setup_link_creates_one_owner_once(app: FastAPI, appliance: Appliance) -> None:
    token = accounts(app).create_setup_link("owner")
    path = f"/setup/{token}"
    assert "This link creates one owner account" in client(app).get(path).text
    _, differ = _create(app, path, again="something else entirely")
    assert differ.status_code == 400 and "The two passwords differ" in differ.text
    _, weak = _create(app, path, password="password2024!")
    assert weak.status_code == 400 and "too common" in weak.text
    panel, made = _create(app, path)
    assert made.status_code == 303 and made.headers["location"].startswith("/enrol")
    assert [(u["username"], u["role"]) for u in accounts(app).list_users()] == [("olga", "owner")]
    assert "<svg" in panel.get("/enrol").text  # the owner sets up the authenticator next
    again = client(app).get(path)
    assert again.status_code == 404 and "used already or has expired" in again.text
    assert _create(app, path, username="mallory")[1].status_code == 404
    assert not contains(file_bytes(appliance.settings.database_path), token)  # stored as a digest only


def test_a_setup_link_expires_after_a_day(app: FastAPI, clock: FakeClock) -> None:
    token = accounts(app).create_setup_link("owner")
    clock.advance(policy.SETUP_LINK_S)
    assert client(app).get(f"/setup/{token}").status_code == 404
    assert _create(app, f"/setup/{token}")[1].status_code == 404 and accounts(app).count_users() == 0


def test_signing_in_through_the_json_api(app: FastAPI, clock: FakeClock) -> None:
    admin = add_user(app, "ada", Role.ADMIN)
    api = client(app)
    csrf = api.get("/api/csrf").json()["csrf_token"]
    wrong = api.post("/api/session", json={"username": "ada", "password": "nope"}, headers={"X-CSRF-Token": csrf})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "The user name or password is wrong."
    first = api.post("/api/session", json={"username": "ada", "password": PASSWORD}, headers={"X-CSRF-Token": csrf})
    assert first.json()["stage"] == "second-factor" and api.get("/api/me").status_code == 401
    second = api.post("/api/session/second-factor", json={"code": totp_now(app, admin)},
                      headers={"X-CSRF-Token": first.json()["csrf_token"]})
    assert second.status_code == 200 and second.json()["stage"] == "signed-in"
    assert api.get("/api/me").json()["role"] == "admin"
    reused = pyotp.TOTP(admin.secret or "").at(clock())
    assert api.delete("/api/session", headers={"X-CSRF-Token": second.json()["csrf_token"]}).status_code == 204
    assert api.get("/api/me").status_code == 401
    csrf = api.get("/api/csrf").json()["csrf_token"]
    again = api.post("/api/session", json={"username": "ada", "password": PASSWORD}, headers={"X-CSRF-Token": csrf})
    refused = api.post("/api/session/second-factor", json={"code": reused},
                       headers={"X-CSRF-Token": again.json()["csrf_token"]})
    assert refused.status_code == 401 and "used already" in refused.json()["detail"]


def test_the_audit_log_says_who_what_and_from_where(app: FastAPI, appliance: Appliance) -> None:
    owner = add_user(app, "olga", Role.OWNER)
    panel = client(app)
    panel.post("/signin", data={"username": "olga", "password": "wrong one", "csrf_token": form_csrf(panel)})
    appliance.audit(actor="olga", action="playback", subject="call-123", detail="recording streamed",
                    source="192.0.2.7")
    entries = app.state.appliance.audit_log()
    played = next(e for e in entries if e["action"] == "playback")
    assert (played["actor"], played["subject"], played["address"]) == ("olga", "call-123", "192.0.2.7")
    failed = next(e for e in entries if e["action"] == "signin-failed")
    assert failed["subject"] == str(owner.user_id) and failed["address"] == "testclient" and failed["at"] > 0
    assert "wrong one" not in str(entries)  # never a password
