"""What every response of the panel carries, what stays open, and the pages' look (no script, nothing external)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI

from tests.web.signin import client, signed_in
from web.permissions import Role

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def test_security_headers_on_every_response(app: FastAPI) -> None:
    panel = signed_in(app, Role.OWNER)
    for path in ("/", "/account", "/users", "/audit", "/api/me", "/health", "/signin", "/nowhere", "/api/nowhere"):
        headers = panel.get(path).headers
        assert headers["strict-transport-security"].startswith("max-age="), path
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store", path
    assert client(app).get("/static/panel.css").headers["x-content-type-options"] == "nosniff"


def test_health_is_open_and_says_nothing_about_callers(app: FastAPI) -> None:
    reply = client(app).get("/health")
    assert reply.status_code == 200 and set(reply.json()) == {"status", "version", "sip", "active_calls",
                                                             "profile_version", "uptime_s", "llm_stuck_s",
                                                             "faults"}


def test_the_openapi_schema_is_served_under_api(app: FastAPI) -> None:
    schema = client(app).get("/api/openapi.json").json()
    assert "/api/users" in schema["paths"] and "/api/session" in schema["paths"] and "/signin" not in schema["paths"]
    assert client(app).get("/docs").status_code == 404  # the Swagger page would load script from a CDN


def test_pages_have_no_inline_script_and_load_nothing_from_elsewhere() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and " style=" not in text, template
        assert not re.search(r"<[^>]*\son[a-z]+=", text), template  # no onclick= and the like
        assert not re.search(r"(src|href)=\"(https?:)?//", text), template


def test_pages_escape_what_users_typed(app: FastAPI) -> None:
    owner = signed_in(app, Role.OWNER)
    reply = owner.post("/users", data={"username": "<script>x", "password": "x", "role": "staff",
                                       "csrf_token": owner.csrf})
    assert reply.status_code == 400 and "<script>x" not in reply.text and "&lt;script&gt;x" in reply.text


def test_errors_are_in_words(app: FastAPI) -> None:
    viewer = signed_in(app, Role.VIEWER)
    page = viewer.get("/users")
    assert page.status_code == 403 and "Your role does not allow this. Ask the owner." in page.text
    assert viewer.get("/api/users").json() == {"detail": "Your role does not allow this. Ask the owner."}
    bad = viewer.post("/api/account/tokens", json={"name": "x" * 500}, headers={"X-CSRF-Token": viewer.csrf})
    assert bad.status_code == 422 and "name: string should have at most 80 characters" in bad.json()["detail"]
    form = viewer.post("/account/tokens", data={"name": "x" * 500, "csrf_token": viewer.csrf})
    assert form.status_code == 422 and "at most 80 characters" in form.text
