"""The panel as an owner meets it: no account after setup, the first owner made on the console, then signing in to
the real running appliance over real HTTPS (its own self-signed certificate, checked) with a TOTP code."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pyotp

from appliance.cli import init
from tests.e2e.support import RECEPTIONIST, ROOT, free_port, panel_context, start_appliance

PASSWORD = "violet tractor moonbeam"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def receptionist(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RECEPTIONIST, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=ROOT, check=False)


def _csrf(client: httpx.Client, path: str) -> str:
    match = _CSRF.search(client.get(path).text)
    assert match, path
    return match.group(1)


def test_the_console_makes_accounts_and_setup_links(tmp_path: Path) -> None:
    init(tmp_path)
    config = str(tmp_path / "config.toml")
    assert "no users yet" in receptionist("users", "list", "--config", config).stdout
    weak = receptionist("users", "add", "--role", "owner", "olga", "--config", config, stdin="password1234\n")
    assert weak.returncode == 2 and "too common" in weak.stderr
    done = receptionist("users", "add", "--role", "owner", "olga", "--config", config, stdin=f"{PASSWORD}\n")
    assert done.returncode == 0 and "added olga as owner" in done.stdout, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    listed = receptionist("users", "list", "--config", config).stdout
    assert re.search(r"olga\s+owner\s+off\s+enabled", listed)
    assert receptionist("users", "setup-link", "--if-no-users", "--config", config).stdout == ""
    link = receptionist("users", "setup-link", "--role", "staff", "--host", "box.local", "--config", config).stdout
    assert re.search(r"https://box\.local:8443/setup/[\w-]{43}\n", link)
    assert receptionist("users", "role", "olga", "viewer", "--config", config).returncode == 2  # the only owner
    assert "exists already" in receptionist("certs", "make", "--config", config).stdout


def test_an_owner_signs_in_over_https_with_a_totp_code(tmp_path: Path) -> None:
    init(tmp_path)
    done = receptionist("users", "add", "--role", "owner", "olga", "--config", str(tmp_path / "config.toml"),
                        stdin=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    redirect = free_port(socket.SOCK_STREAM)
    appliance = start_appliance(tmp_path, replace={"redirect_port = 0": f"redirect_port = {redirect}"})
    try:
        base = f"https://127.0.0.1:{appliance.web_port}"
        with httpx.Client(base_url=base, verify=panel_context(tmp_path), timeout=10) as browser:
            assert browser.get("/health").json()["status"] == "ok"
            secret = _enrol(browser)
            assert browser.post("/signout", data={"csrf_token": _me(browser)["csrf_token"]}).status_code == 303
            _sign_in(browser, pyotp.TOTP(secret).at(time.time() + 30))  # the next code: the enrolment used this one
            assert _me(browser)["username"] == "olga"
            assert "Strict-Transport-Security" in browser.get("/account").headers
            calls = browser.get("/calls")
            assert calls.status_code == 200 and "No calls match" in calls.text  # the call log, signed in
        plain = httpx.get(f"http://127.0.0.1:{redirect}/account?x=1", headers={"Host": "127.0.0.1:1"})
        assert plain.status_code == 308 and plain.headers["location"] == f"{base}/account?x=1"
    finally:
        assert appliance.stop() == 0
    assert "Traceback" not in appliance.log.read_text()


def _enrol(browser: httpx.Client) -> str:
    """First sign-in of an owner: password, then set up the authenticator; its secret."""
    reply = browser.post("/signin", data={"username": "olga", "password": PASSWORD,
                                          "csrf_token": _csrf(browser, "/signin")})
    assert reply.status_code == 303 and reply.headers["location"].startswith("/enrol")
    page = browser.get("/enrol").text
    secret = "".join(page.split('class="secret">')[1].split("<")[0].split())
    codes = browser.post("/enrol", data={"code": pyotp.TOTP(secret).now(), "csrf_token": _CSRF.findall(page)[-1]})
    assert codes.status_code == 200 and "shown only now" in codes.text
    return secret


def _sign_in(browser: httpx.Client, code: str) -> None:
    reply = browser.post("/signin", data={"username": "olga", "password": PASSWORD,
                                          "csrf_token": _csrf(browser, "/signin")})
    assert reply.headers["location"].startswith("/second-factor")
    assert browser.post("/second-factor", data={"code": code, "csrf_token": _csrf(browser, "/signin")}
                        ).status_code == 303


def _me(browser: httpx.Client) -> dict[str, str]:
    return dict(browser.get("/api/me").json())
