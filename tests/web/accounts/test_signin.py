"""Signing in to the real panel on a real store: sessions, their timeouts, the second factor, lock-outs, CSRF."""

from __future__ import annotations

import pyotp
import pytest
from fastapi import FastAPI

from appliance.accounts import policy
from tests.web.signin import (
    PASSWORD,
    FakeClock,
    accounts,
    add_user,
    client,
    form_csrf,
    panel_csrf,
    sign_in,
    totp_now,
)
from web.permissions import Role
from web.principal import SESSION_COOKIE


def _post_signin(app: FastAPI, username: str, password: str, panel=None):  # type: ignore[no-untyped-def]
    panel = panel or client(app)
    reply = panel.post("/signin", data={"username": username, "password": password, "csrf_token": form_csrf(panel)})
    return panel, reply


def test_no_account_exists_after_setup(app: FastAPI) -> None:
    assert accounts(app).count_users() == 0
    panel, reply = _post_signin(app, "admin", "admin")
    assert reply.status_code == 401 and "The user name or password is wrong." in reply.text
    assert panel.get("/").status_code == 303


def test_the_session_id_changes_at_sign_in_and_again_after_the_second_factor(app: FastAPI) -> None:
    owner = add_user(app, "olga", Role.OWNER)
    panel = client(app)
    panel.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker", domain="testserver.local")
    panel, reply = _post_signin(app, owner.username, PASSWORD, panel)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/second-factor")
    first = panel.cookies[SESSION_COOKIE]
    assert first != "chosen-by-an-attacker"
    assert "Secure" in reply.headers["set-cookie"] and "HttpOnly" in reply.headers["set-cookie"]
    assert "samesite=strict" in reply.headers["set-cookie"].lower() and "Path=/" in reply.headers["set-cookie"]
    assert panel.get("/api/me").status_code == 401  # the password alone is not a sign-in for an owner
    reply = panel.post("/second-factor", data={"code": totp_now(app, owner), "csrf_token": panel_csrf(panel)})
    assert reply.status_code == 303
    second = panel.cookies[SESSION_COOKIE]
    assert second != first and panel.get("/api/me").json()["username"] == "olga"
    stale = client(app)
    stale.cookies.set(SESSION_COOKIE, first, domain="testserver.local")
    assert stale.get("/api/me").status_code == 401  # the password-stage session ended when the new one began


def test_idle_and_absolute_timeouts(app: FastAPI, clock: FakeClock) -> None:
    staff = add_user(app, "sam", Role.STAFF)
    panel = sign_in(app, client(app), staff)
    clock.advance(policy.IDLE_S - 5)
    assert panel.get("/api/me").status_code == 200  # used in time: the idle timeout starts again
    clock.advance(policy.IDLE_S - 5)
    assert panel.get("/api/me").status_code == 200
    clock.advance(policy.IDLE_S)
    assert panel.get("/api/me").status_code == 401
    panel = sign_in(app, client(app), staff)
    for _ in range(policy.ABSOLUTE_S // (policy.IDLE_S // 2)):
        clock.advance(policy.IDLE_S // 2)
        if panel.get("/api/me").status_code != 200:
            break
    assert accounts(app).clock() - clock.now == 0 and panel.get("/api/me").status_code == 401
    page = panel.get("/account")
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/account"


def test_lock_out_after_repeated_failures_in_plain_words(app: FastAPI, clock: FakeClock) -> None:
    add_user(app, "sam", Role.STAFF)
    for _ in range(policy.ACCOUNT_FAILURES - 1):
        assert _post_signin(app, "sam", "wrong password here")[1].status_code == 401
    reply = _post_signin(app, "sam", "wrong password here")[1]
    assert reply.status_code == 429 and "This account is locked for 15 more minutes" in reply.text
    assert _post_signin(app, "sam", PASSWORD)[1].status_code == 429  # even the right password waits
    clock.advance(policy.ACCOUNT_LOCK_S)
    assert _post_signin(app, "sam", PASSWORD)[1].status_code == 303
    actions = [entry["action"] for entry in app.state.appliance.audit_log()]
    assert actions.count("signin-failed") == 5 and "lockout" in actions and "signin-locked" in actions


def test_one_address_is_limited_across_accounts(app: FastAPI) -> None:
    for attempt in range(policy.ADDRESS_FAILURES):
        assert _post_signin(app, f"nobody{attempt}", "wrong password here")[1].status_code == 401
    add_user(app, "sam", Role.STAFF)
    reply = _post_signin(app, "sam", PASSWORD)[1]
    assert reply.status_code == 429 and "Too many failed sign-ins from this computer" in reply.text


def test_a_totp_code_works_once(app: FastAPI, clock: FakeClock) -> None:
    admin = add_user(app, "ada", Role.ADMIN)
    code = totp_now(app, admin)
    first, _ = _post_signin(app, admin.username, PASSWORD)
    assert first.post("/second-factor", data={"code": code, "csrf_token": panel_csrf(first)}).status_code == 303
    again, _ = _post_signin(app, admin.username, PASSWORD)
    reply = again.post("/second-factor", data={"code": code, "csrf_token": panel_csrf(again)})
    assert reply.status_code == 401 and "wrong or was used already" in reply.text
    older = pyotp.TOTP(admin.secret or "").at(clock() - 30)  # the step before: older than the one used
    assert again.post("/second-factor", data={"code": older, "csrf_token": panel_csrf(again)}).status_code == 401


def test_a_recovery_code_works_once(app: FastAPI) -> None:
    owner = add_user(app, "olga", Role.OWNER)
    code = owner.recovery_codes[3].upper().replace("-", " ")  # typed loosely
    first, _ = _post_signin(app, owner.username, PASSWORD)
    assert first.post("/second-factor", data={"code": code, "csrf_token": panel_csrf(first)}).status_code == 303
    assert accounts(app).recovery_codes_left(owner.user_id) == 9
    again, _ = _post_signin(app, owner.username, PASSWORD)
    assert again.post("/second-factor", data={"code": code, "csrf_token": panel_csrf(again)}).status_code == 401


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_missing_or_wrong_csrf_token_is_refused(app: FastAPI, token: str | None) -> None:
    owner = add_user(app, "olga", Role.OWNER)
    panel = sign_in(app, client(app), owner)
    data = {"username": "newbie", "password": PASSWORD, "role": "staff"}
    headers = {} if token is None else {"X-CSRF-Token": token}
    assert panel.post("/users", data=data if token is None else {**data, "csrf_token": token}).status_code == 403
    assert panel.post("/api/users", json=data, headers=headers).status_code == 403
    anonymous = client(app)
    reply = anonymous.post("/signin", data={"username": "olga", "password": PASSWORD,
                                            **({} if token is None else {"csrf_token": token})})
    assert reply.status_code == 403 and "did not come from this panel" in reply.text
    assert [u["username"] for u in accounts(app).list_users()] == ["olga"]
    assert panel.post("/api/users", json=data, headers={"X-CSRF-Token": panel.csrf}).status_code == 201


def test_an_owner_without_an_authenticator_enrols_and_gets_recovery_codes(app: FastAPI, clock: FakeClock) -> None:
    add_user(app, "olga", Role.OWNER, totp=False)
    panel, reply = _post_signin(app, "olga", PASSWORD)
    assert reply.headers["location"].startswith("/enrol")
    page = panel.get("/enrol")
    assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text
    secret = "".join(page.text.split('class="secret">')[1].split("<")[0].split())
    wrong = panel.post("/enrol", data={"code": "000000", "csrf_token": panel_csrf(panel)})
    assert wrong.status_code == 400 and "does not match" in wrong.text
    before = panel.cookies[SESSION_COOKIE]
    done = panel.post("/enrol", data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": panel_csrf(panel)})
    assert done.status_code == 200 and done.text.count("<li>") >= 10 and "shown only now" in done.text
    assert panel.cookies[SESSION_COOKIE] != before and panel.get("/api/me").json()["username"] == "olga"
    assert accounts(app).recovery_codes_left(1) == 10


def test_changing_the_password_asks_for_it_and_ends_other_sessions(app: FastAPI) -> None:
    staff = add_user(app, "sam", Role.STAFF)
    here, elsewhere = sign_in(app, client(app), staff), sign_in(app, client(app), staff)
    new = "amber kettle orchard lamp"
    wrong = here.post("/account/password", data={"current": "not it at all", "new": new, "again": new,
                                                "csrf_token": here.csrf})
    assert wrong.status_code == 400 and "password is wrong" in wrong.text
    done = here.post("/account/password", data={"current": PASSWORD, "new": new, "again": new,
                                               "csrf_token": here.csrf})
    assert done.status_code == 200 and "other sessions have ended" in done.text
    assert here.get("/api/me").status_code == 200 and elsewhere.get("/api/me").status_code == 401
    weak = here.post("/account/password", data={"current": new, "new": "password1234!", "again": "password1234!",
                                                "csrf_token": here.csrf})
    assert weak.status_code == 400 and "too common" in weak.text


def test_sign_out_and_sign_out_everywhere(app: FastAPI) -> None:
    staff = add_user(app, "sam", Role.STAFF)
    one, two, three = (sign_in(app, client(app), staff) for _ in range(3))
    assert one.post("/signout", data={"csrf_token": one.csrf}).status_code == 303
    assert one.get("/api/me").status_code == 401 and two.get("/api/me").status_code == 200
    assert two.post("/account/signout-everywhere", data={"csrf_token": two.csrf}).status_code == 303
    assert two.get("/api/me").status_code == 401 and three.get("/api/me").status_code == 401


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app: FastAPI) -> None:
    owner, staff = add_user(app, "olga", Role.OWNER), add_user(app, "sam", Role.STAFF)
    boss, worker = sign_in(app, client(app), owner), sign_in(app, client(app), staff)
    assert boss.post(f"/users/{staff.user_id}/disable", data={"csrf_token": boss.csrf}).status_code == 200
    assert worker.get("/api/me").status_code == 401
    assert "This account is disabled" in _post_signin(app, "sam", PASSWORD)[1].text
    last = boss.post(f"/users/{owner.user_id}/disable", data={"csrf_token": boss.csrf})
    assert last.status_code == 400 and "only enabled owner" in last.text


def test_a_stale_or_foreign_session_cookie_and_a_bad_token_are_refused_and_audited(app: FastAPI,
                                                                                   clock: FakeClock) -> None:
    staff = add_user(app, "sam", Role.STAFF)
    stale = sign_in(app, client(app), staff)
    clock.advance(policy.IDLE_S)
    page = stale.get("/messages")
    assert page.status_code == 303 and '__Host-session=""' in page.headers["set-cookie"]  # the cookie goes
    foreign = client(app)
    foreign.cookies.set(SESSION_COOKIE, "x" * 500, domain="testserver.local")
    assert foreign.get("/api/me").status_code == 401
    script = client(app)
    script.headers["Authorization"] = "Bearer rcp_not-a-token"
    assert script.get("/api/me").status_code == 401
    audited = {(e["actor"], e["action"], e["detail"]) for e in app.state.appliance.audit_log()}
    assert {("sam", "session-ended", "the session timed out"),
            ("-", "session-refused", "a session cookie that is unknown or ended"),
            ("-", "token-refused", "an unknown or revoked API token")} <= audited
