"""SIP scanners against the running appliance (SIPVicious over loopback): from outside allowed_sources they get
no answer at all, a scanning tool gets none even from inside, no extension can be told from another, and none of
it reaches a call."""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.storage.store import CallStore
from tests.e2e.support import ROOT, RunningAppliance, panel_json, place_call, start_appliance

pytestmark = [pytest.mark.sip,
              pytest.mark.skipif(shutil.which("svmap") is None, reason="needs sipvicious (setup --dev)")]
ALLOWED = 'allowed_sources = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10"]'
GENUINE, STRANGER = "127.0.0.1", "127.0.0.3"
PHONE = "Yealink SIP-T46S 66.86.0.15"  # an ordinary desk phone's User-Agent
SVWAR = ROOT / "tests" / "e2e" / "svwar_from.py"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """An appliance that takes calls from 127.0.0.1 alone."""
    running = start_appliance(tmp_path_factory.mktemp("guarded"), {ALLOWED: f'allowed_sources = ["{GENUINE}/32"]'})
    yield running
    assert running.stop() == 0, running.since_stop()
    assert "Traceback" not in running.log.read_text()


def request(method: str, user: str, source: str, port: int, agent: str) -> bytes:
    """A request as a phone would send it outside a dialog."""
    tag = random.getrandbits(32)
    return (f"{method} sip:{user}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{tag};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag={tag}\r\nTo: <sip:{user}@127.0.0.1>\r\n"
            f"Call-ID: {tag}@{source}\r\nCSeq: 1 {method}\r\nContact: <sip:{user}@{source}:{port}>\r\n"
            f"User-Agent: {agent}\r\nContent-Length: 0\r\n\r\n").encode()


def ask(appliance: RunningAppliance, method: str, user: str, source: str = GENUINE, *, agent: str = PHONE,
        times: int = 1) -> list[str]:
    """Send a request `times` times from `source` at once; the responses that came back within a second."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((source, 0))
        sock.settimeout(1.0)
        for _ in range(times):
            sock.sendto(request(method, user, source, sock.getsockname()[1], agent), ("127.0.0.1", appliance.sip_port))
        answers: list[str] = []
        while True:
            try:
                answers.append(sock.recv(65535).decode())
            except TimeoutError:
                return answers


def shape(responses: list[str]) -> list[tuple[str, list[str]]]:
    """Responses' status lines and header names, without the values that echo the request."""
    shapes = []
    for response in responses:
        lines = response.split("\r\n\r\n", 1)[0].split("\r\n")
        shapes.append((lines[0], [line.split(":", 1)[0].lower() for line in lines[1:]]))
    return shapes


def nothing_reached_a_call(appliance: RunningAppliance) -> None:
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        assert store.recent_calls(10) == []
    finally:
        store.close()
    assert panel_json(appliance, "/health")["active_calls"] == 0
    log = appliance.log.read_text()
    assert "appliance.switchboard" not in log and "appliance.call" not in log  # no call, no speech work


@pytest.mark.parametrize("method", ["OPTIONS", "INVITE"])
def test_svmap_from_a_stranger_finds_no_sip_device(guarded: RunningAppliance, method: str) -> None:
    done = subprocess.run(["svmap", "-b", STRANGER, "-p", str(guarded.sip_port), "-m", method, "127.0.0.1"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert "found nothing" in done.stderr + done.stdout, done.stdout + done.stderr
    assert f"127.0.0.1:{guarded.sip_port}" not in done.stdout
    nothing_reached_a_call(guarded)


@pytest.mark.parametrize(("source", "method"), [(STRANGER, "REGISTER"), (STRANGER, "OPTIONS"), (STRANGER, "INVITE"),
                                                (GENUINE, "REGISTER"), (GENUINE, "OPTIONS"), (GENUINE, "INVITE")])
def test_svwar_finds_no_extension_from_a_stranger_nor_from_an_allowed_source(guarded: RunningAppliance, source: str,
                                                                            method: str) -> None:
    done = subprocess.run(["/usr/bin/python3", str(SVWAR), source, str(guarded.sip_port), method, "100-120,200-210"],
                          capture_output=True, text=True, timeout=120, check=True)
    scan = json.loads(done.stdout.strip().splitlines()[-1])
    assert scan["found"] == {}, scan
    assert "socket error: timed out" in scan["log"], scan  # its first request got no answer: it gave up
    nothing_reached_a_call(guarded)


def test_a_stranger_gets_no_answer_to_anything_and_the_log_says_what_to_do(guarded: RunningAppliance) -> None:
    for method in ("INVITE", "OPTIONS", "REGISTER", "SUBSCRIBE", "MESSAGE", "FROBNICATE"):
        assert ask(guarded, method, "frontdesk", STRANGER) == [], method
    assert ask(guarded, "INVITE", "frontdesk", STRANGER, times=200) == []  # far beyond any rate: still silence
    nothing_reached_a_call(guarded)
    log = guarded.log.read_text()
    assert f"ignored SIP requests from {STRANGER}, which is not in [sip] allowed_sources" in log
    assert f"refused call from {STRANGER}" not in log


def test_existing_and_missing_users_get_the_same_answer_with_no_version(guarded: RunningAppliance) -> None:
    users = ["receptionist", "frontdesk", "reception", "100", "201", "nobody-here-4711"]
    answers = {user: shape(ask(guarded, "OPTIONS", user)) for user in users}
    assert len(set(map(repr, answers.values()))) == 1, answers
    [options] = ask(guarded, "OPTIONS", "frontdesk")
    assert options.startswith("SIP/2.0 200 OK"), options
    agents = [line for line in options.split("\r\n") if line.lower().startswith(("user-agent:", "server:"))]
    assert agents == ["User-Agent: receptionist-appliance"], agents  # the product, never a version
    assert all(ask(guarded, "REGISTER", user) == [] for user in users)  # not a registrar: silence for all
    nothing_reached_a_call(guarded)


def test_a_phones_options_are_all_answered_and_spend_none_of_its_calls(guarded: RunningAppliance,
                                                                        tmp_path: Path) -> None:
    answers = ask(guarded, "OPTIONS", "frontdesk", times=50)  # keep-alives: not INVITEs, not rate-limited
    assert len(answers) == 50 and all(answer.startswith("SIP/2.0 200 OK") for answer in answers), shape(answers)
    nothing_reached_a_call(guarded)


def test_a_genuine_caller_is_still_answered_after_the_scans(guarded: RunningAppliance, tmp_path: Path) -> None:
    result = place_call(guarded.uri(), tmp_path, "--hangup-in-greeting", "1.0")
    assert result["answered"] and result["greeting_ms"] is not None, result
