"""Signing in to the real panel in tests: users of each role on the real store, clients signed in through the real
forms (password, then the TOTP code), and a clock the tests move instead of sleeping.

    client = signed_in(app, Role.ADMIN)       # an HTTPS TestClient with a live session; client.csrf is its token
    client.post("/some/form", data={"csrf_token": client.csrf, ...})
    client.post("/api/...", json={...}, headers={"X-CSRF-Token": client.csrf})
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient

from appliance.accounts import passwords
from appliance.accounts import second_factor as factor
from appliance.accounts.service import Accounts
from appliance.storage.accounts import AccountTables
from appliance.storage.store import CallStore
from web.permissions import SECOND_FACTOR_REQUIRED, Role

PASSWORD = "violet tractor moonbeam"  # passes the password rules
BASE_URL = "https://testserver"  # the panel serves HTTPS only; its cookies are Secure
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class FakeClock:
    """Unix seconds that move only when a test says so."""

    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds


@dataclass
class User:
    """A test user: name, password, role, and their TOTP secret and recovery codes if they enrolled."""

    username: str
    role: str
    password: str = PASSWORD
    secret: str | None = None
    recovery_codes: list[str] = field(default_factory=list)
    user_id: int = 0


class PanelClient(TestClient):
    """A TestClient over HTTPS that remembers its session's CSRF token and (when made by `signed_in`) its user."""

    csrf: str = ""
    user: User | None = None


def accounts(app: FastAPI) -> Accounts:
    """The app's accounts (its clock is what tests move)."""
    found: Accounts = app.state.accounts
    return found


def add_user(app: FastAPI, username: str, role: str, *, totp: bool | None = None) -> User:
    """A user made through the real accounts; enrolled with a TOTP secret and recovery codes if `totp` (by default:
    when their role needs one), the same way the enrolment page stores them."""
    found = accounts(app)
    user = User(username, role)
    user.user_id = found.add_user(username, PASSWORD, role, "test")
    if totp if totp is not None else Role(role) in SECOND_FACTOR_REQUIRED:
        user.secret, user.recovery_codes = factor.new_secret(), factor.new_recovery_codes()
        hashes = [factor.digest(factor.normalized_code(code)) for code in user.recovery_codes]
        found.users.set_second_factor(user.user_id, user.secret, hashes, None)
    return user


@functools.cache
def password_hash() -> str:
    """PASSWORD's argon2id hash, made once per test run (seeding many users stays fast)."""
    return passwords.hash_password(PASSWORD)


def seed_users(store: CallStore, roles: list[str]) -> list[User]:
    """A user named '<role>-user' for each role, in order (ids 1, 2, ...), through the real account tables, with
    PASSWORD; enrolled with a TOTP secret when the role needs one."""
    tables, made = AccountTables(store), []
    for role in roles:
        user = User(f"{role}-user", role)
        user.user_id = tables.add_user(user.username, password_hash(), role, 0.0)
        if role in SECOND_FACTOR_REQUIRED:
            user.secret, user.recovery_codes = factor.new_secret(), factor.new_recovery_codes()
            hashes = [factor.digest(factor.normalized_code(code)) for code in user.recovery_codes]
            tables.set_second_factor(user.user_id, user.secret, hashes, None)
        made.append(user)
    return made


def client(app: FastAPI) -> PanelClient:
    """A browser-like client of the panel over HTTPS (no redirects followed, so tests see them)."""
    return PanelClient(app, base_url=BASE_URL, follow_redirects=False)


def form_csrf(panel: TestClient, path: str = "/signin") -> str:
    """The CSRF token in a page's form (before sign-in this also sets the form's cookie)."""
    match = _CSRF.search(panel.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def totp_now(app: FastAPI, user: User) -> str:
    """A TOTP code of the user's secret for the next time step (the clock moves 30 s, so no code repeats)."""
    assert user.secret, f"{user.username} has no authenticator"
    clock = accounts(app).clock
    if isinstance(clock, FakeClock):
        clock.advance(factor.STEP_S)
    return pyotp.TOTP(user.secret).at(clock())


def sign_in(app: FastAPI, panel: PanelClient, user: User) -> PanelClient:
    """Sign a client in through the forms: password, then the TOTP code if the user has one."""
    reply = panel.post("/signin", data={"username": user.username, "password": user.password,
                                        "csrf_token": form_csrf(panel)})
    assert reply.status_code == 303, reply.text
    if reply.headers["location"].startswith("/second-factor"):
        reply = panel.post("/second-factor", data={"code": totp_now(app, user), "csrf_token": panel_csrf(panel)})
        assert reply.status_code == 303, reply.text
    panel.csrf = panel_csrf(panel)
    return panel


def panel_csrf(panel: TestClient) -> str:
    """The CSRF token of the client's current session (at any stage: a form page shows it until sign-in ends)."""
    me = panel.get("/api/me")
    return str(me.json()["csrf_token"]) if me.status_code == 200 else form_csrf(panel, "/signin")


def signed_in(app: FastAPI, role: str, username: str | None = None) -> PanelClient:
    """A new user of `role` and a client signed in as them (through the password and TOTP forms)."""
    user = add_user(app, username or f"{role}-user", role)
    panel = sign_in(app, client(app), user)
    panel.user = user
    return panel
