"""Fuzzing the JSON API from its own OpenAPI schema on the real app and a real store: schemathesis makes the
requests (valid ones and invalid ones, for every operation), Hypothesis runs and shrinks them, and each request is
sent by every role with a live session from the real sign-in (and by nobody, and by a user of an unknown role).
Half the requests name the seeded call, caller, message and recording, so the checks reach past "not found".

Two rules, whatever is sent: no answer is ever a 5xx, and no operation answers 2xx (or a redirect) to a role that
the permission matrix (web/permissions.py, as tabled in tests/web/test_matrix.py) forbids.

Bounded: FUZZ_EXAMPLES examples per operation (default 12; about a minute in all). A longer run:

    FUZZ_EXAMPLES=300 PYTHONPATH=$PWD .venv/bin/python -m pytest tests/web/test_fuzz_api.py -q
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from appliance.cli import init
from appliance.config import load_settings
from appliance.service import Appliance
from tests.web.accounts.test_account_matrix import GUARDED, PUBLIC, TARGET
from tests.web.conftest import contact_of, message_of, recording_of, seed
from tests.web.signin import BASE_URL, FakeClock, PanelClient, User, accounts, add_user, sign_in
from tests.web.test_matrix import ROUTES, as_served
from web.app import create_app
from web.permissions import SECOND_FACTOR_REQUIRED, Permission, allowed
from web.principal import SESSION_COOKIE

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
ANYONE = "anyone"  # an operation open without signing in
SIGNED_IN = "signed-in"  # an operation for any signed-in user, whatever their role
CREW = ("owner", "admin", "staff", "viewer", "root", None)  # root: a role the matrix does not know; None: nobody
# Operations that can end or change a session or a user: afterwards, the crew's sessions are checked (and mended).
CHANGES_SESSIONS = ("/api/session", "/api/account", "/api/users")

Needs = Permission | str


class Reply(Protocol):
    """What the checks read of an answer."""

    @property
    def status_code(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def is_success(self) -> bool: ...


def operations() -> dict[tuple[str, str], Needs]:
    """Every API operation and what it needs, from the matrix tables (which tests/web/test_matrix.py proves cover
    every route of the app and every operation of the schema)."""
    found: dict[tuple[str, str], Needs] = {(route.method, as_served(route.path)): route.permission
                                           for route in ROUTES if route.path.startswith("/api")}
    found |= {(method, path.replace(TARGET, "{user_id}")): permission or SIGNED_IN
              for method, path, permission, _ in GUARDED if path.startswith("/api")}
    found |= {(method, path): ANYONE for method, path in PUBLIC
              if path.startswith("/api/") or path == "/health"}
    found.pop(("GET", "/api/openapi.json"))  # the schema itself is not one of its operations
    return found


OPERATIONS = operations()


def may(role: str | None, needs: Needs) -> bool:
    """Whether the matrix lets `role` (None: nobody signed in) have a success from an operation."""
    if needs == ANYONE:
        return True
    if role is None:
        return False
    return needs == SIGNED_IN or allowed(role, Permission(needs))


@dataclass
class Crew:
    """A signed-in client per role (and one of nobody), each from its own loopback address, so the sign-in
    attempts the fuzzer makes lock out its address, never the sign-ins that mend a session."""

    app: FastAPI
    users: dict[str, User]
    clients: dict[str | None, PanelClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for number, role in enumerate(CREW, start=10):
            made = PanelClient(self.app, base_url=BASE_URL, follow_redirects=False, client=(f"127.0.0.{number}", 5))
            made.headers["X-CSRF-Token"] = made.get("/api/csrf").json()["csrf_token"]
            self.clients[role] = made
            if role is not None:
                self.mend(role)

    def mend(self, role: str) -> None:
        """Give the role's user back their role, their authenticator and an enabled account, and its client a new
        session signed in through the real forms from another address."""
        user, tables = self.users[role], accounts(self.app).users
        tables.update_user(user.user_id, role=role, disabled=0)
        tables.clear_failures(user.user_id)
        if role in SECOND_FACTOR_REQUIRED and tables.totp_secret(user.user_id) is None:
            tables.set_second_factor(user.user_id, user.secret, [], None)
        mended = self.clients[role]
        with PanelClient(self.app, base_url=BASE_URL, follow_redirects=False, client=("127.0.0.2", 5)) as fresh:
            sign_in(self.app, fresh, user)
            for cookie in fresh.cookies.jar:
                if cookie.name == SESSION_COOKIE:
                    mended.cookies.jar.set_cookie(cookie)
            mended.headers["X-CSRF-Token"] = fresh.csrf
        assert mended.get("/api/me").json()["role"] == role, f"the {role} could not sign in again"

    def check(self, roles: tuple[str | None, ...]) -> None:
        """Mend the sessions of these roles that a request ended, or whose user it changed."""
        for role in roles:
            if role is not None:
                me = self.clients[role].get("/api/me")
                if me.status_code != 200 or me.json()["role"] != role:
                    self.mend(role)

    def close(self) -> None:
        """Close every client."""
        for made in self.clients.values():
            made.close()


@dataclass
class Panel:
    """One real panel for the whole module (the fuzzing is stateful, as a panel in use is): its app on a seeded
    data folder, the signed-in crew, the schema, and path values that name what the store holds."""

    app: FastAPI
    crew: Crew
    schema: Any
    known: dict[str, str]
    answers: defaultdict[tuple[str, str, str | None], set[int]] = field(default_factory=lambda: defaultdict(set))

    def known_to(self, method: str, path: str) -> dict[str, str]:
        """The stored things' ids for one operation's path."""
        names = {parameter.name for parameter in self.schema[path][method].path_parameters}
        return {name: value for name, value in self.known.items() if name in names}

    def plain(self, method: str, path: str) -> Case[Any]:
        """The plainest request to an operation: the stored things' ids (an id of nothing for a session or a
        token), no query, no body."""
        operation = self.schema[path][method]
        named = {parameter.name: "nothing" for parameter in operation.path_parameters}
        made: Case[Any] = operation.Case(path_parameters=named | self.known_to(method, path))
        return made

    def cases(self, method: str, path: str) -> st.SearchStrategy[Case[Any]]:
        """Requests to one operation: valid and invalid ones, with generated path values or with the store's; a
        generated user id is never one of the crew's (the changes made to the user named are checked apart)."""
        operation, known = self.schema[path][method], self.known_to(method, path)
        made = [operation.as_strategy(GenerationMode.POSITIVE)]
        if operation.path_parameters or operation.query or operation.body:
            made.append(operation.as_strategy(GenerationMode.NEGATIVE))
        if known:
            made += [operation.as_strategy(mode, path_parameters=known) for mode in GenerationMode]
        crew_ids = {str(user.user_id) for user in self.crew.users.values()}
        return st.one_of(made).filter(lambda case: str(case.path_parameters.get("user_id")) not in crew_ids)


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Panel]:
    """The seeded data folder (tests/web/conftest.py's calls and users), the real appliance and app, the crew."""
    folder = tmp_path_factory.mktemp("fuzz")
    init(folder)
    settings_ = load_settings(folder / "config.toml")
    users = {user.role: user for user in seed(settings_)}
    appliance = Appliance(settings_)
    appliance.open()
    app = create_app(appliance)
    accounts(app).clock = FakeClock()
    target = add_user(app, "fuzz-target", "viewer")
    known = {"call_id": "a1", "contact_id": contact_of(appliance, "a1"), "message_id": message_of(appliance, "a1"),
             "recording_id": recording_of(appliance, "a1"), "user_id": str(target.user_id)}
    crew = Crew(app, users)
    yield Panel(app, crew, schemathesis.openapi.from_dict(app.openapi()), known)
    crew.close()
    appliance.close()


def send(panel: PanelClient, case: Case[Any]) -> Reply:
    """Send a generated request through a crew member's client (its cookies and CSRF header)."""
    sent = case.as_transport_kwargs(base_url=BASE_URL)
    body: dict[str, Any] = {}
    if "json" in sent:
        body["json"] = sent["json"]
    elif isinstance(sent.get("data"), (bytes, str)):
        body["content"] = sent["data"]
    elif sent.get("data") is not None:
        body["data"] = sent["data"]
    headers = {key: value for key, value in sent["headers"].items() if not key.lower().startswith("x-schemathesis")}
    return panel.request(sent["method"], sent["url"], params=sent.get("params") or None, headers=headers, **body)


def asked(role: str | None, case: Case[Any]) -> str:
    """A request in words, for a failure's message."""
    return (f"{role or 'nobody'}: {case.method} {case.formatted_path} query={case.query} "
            f"body={case.body!r:.300}")


def judge(role: str | None, needs: Needs, case: Case[Any], reply: Reply) -> None:
    """The two rules for one answer."""
    said = f"{asked(role, case)} -> {reply.status_code} {reply.text[:300]}"
    assert reply.status_code < 500, f"a server error: {said}"
    if not may(role, needs):
        assert reply.status_code >= 400, f"{needs} is forbidden to {role or 'nobody'} but answered: {said}"


@pytest.mark.parametrize(("method", "path"), sorted(OPERATIONS))
def test_no_server_error_and_no_forbidden_success(panel: Panel, method: str, path: str) -> None:
    needs, strategy, crew = OPERATIONS[(method, path)], panel.cases(method, path), panel.crew
    changes = method != "GET" and path.startswith(CHANGES_SESSIONS)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    @example(case=panel.plain(method, path))
    def fuzz(case: Case[Any]) -> None:
        for role in CREW:
            try:
                reply = send(crew.clients[role], case)
            except Exception as exc:  # the app raised: the TestClient hands on what a browser would see as a 500
                raise AssertionError(f"a server error: {asked(role, case)}") from exc
            judge(role, needs, case, reply)
            panel.answers[(method, path, role)].add(reply.status_code)
            if changes and not path.startswith("/api/users"):
                crew.check((role,))  # signed out, or a session ended
            elif changes and reply.is_success:
                crew.check(CREW)  # the owner changed a user

    fuzz()


def test_every_operation_of_the_schema_is_fuzzed(panel: Panel) -> None:
    described = {(method.upper(), path) for path, item in panel.app.openapi()["paths"].items() for method in item}
    assert described == set(OPERATIONS)


def test_the_fuzzing_got_past_the_door(panel: Panel) -> None:
    """The crew really was signed in: every read it may make answered 2xx at least once (the plain request to each
    operation, on the stored things, is always among the examples; this runs after the fuzzing)."""
    missed = [f"{role} {method} {path}: {sorted(panel.answers[(method, path, role)])}"
              for (method, path), needs in OPERATIONS.items() if method == "GET" and needs != ANYONE
              for role in CREW if may(role, needs) and not any(200 <= status < 300
                                                                for status in panel.answers[(method, path, role)])]
    assert missed == []
