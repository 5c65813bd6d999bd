"""Bursts and refusals against the running appliance (SIPp over loopback): it stays up, gives its sockets back,
and a genuine caller still gets through."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import RunningAppliance, free_port, panel_json, place_call, start_appliance

pytestmark = [pytest.mark.sip, pytest.mark.skipif(shutil.which("sipp") is None, reason="needs sipp (setup --dev)")]
SIPP = Path(__file__).parent / "sipp"
ALLOWED = 'allowed_sources = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10"]'
GENUINE, FLOODER, STRANGER, TRUNK = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"
FD_SLACK = 4  # descriptors that may legitimately come and go (log rotation, a pending HTTP socket)


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """An appliance that takes calls from the genuine caller, the flooder and a trunk; not from the stranger."""
    running = start_appliance(tmp_path_factory.mktemp("gated"), {
        ALLOWED: f'allowed_sources = ["{GENUINE}/32", "{FLOODER}/32"]',
        "trunk_sources = []": f'trunk_sources = ["{TRUNK}/32"]',
    })
    place_call(running.uri(), tmp_path_factory.mktemp("warm"), "--hangup-in-greeting", "0.5")  # lazy set-up
    yield running
    assert running.stop() == 0, running.log.read_text()[-3000:]
    assert "Traceback" not in running.log.read_text()


def open_fds(appliance: RunningAppliance) -> int:
    """File descriptors the appliance process holds."""
    return len(os.listdir(f"/proc/{appliance.process.pid}/fd"))


def settled_fds(appliance: RunningAppliance, baseline: int, timeout: float = 30.0) -> int:
    """Wait until no call is up and the descriptors are back near the baseline; return the count."""
    deadline = time.monotonic() + timeout
    while True:
        count = open_fds(appliance)
        if (count <= baseline + FD_SLACK and active_calls(appliance) == 0) or time.monotonic() > deadline:
            return count
        time.sleep(0.5)


def active_calls(appliance: RunningAppliance) -> int:
    return int(panel_json(appliance, "/health")["active_calls"])


def sipp(appliance: RunningAppliance, source: str, *args: str, timeout: float = 120.0) -> subprocess.Popen[str]:
    """Start SIPp calling the appliance from `source` (a loopback address of its own)."""
    command = ["sipp", f"127.0.0.1:{appliance.sip_port}", "-i", source, "-p", str(free_port()),
               "-mp", str(free_port()), "-s", "frontdesk", "-nostdin", "-timeout", f"{int(timeout)}s",
               "-timeout_error", *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def scenario(folder: Path, final: int, payload: str = "0 PCMU/8000") -> Path:
    """The expect-final template for one status and one offered codec."""
    pt, codec = payload.split(" ", 1)
    text = (SIPP / "expect_final.xml").read_text().replace("@FINAL@", str(final))
    path = folder / f"expect-{final}.xml"
    path.write_text(text.replace("@PT@", pt).replace("@CODEC@", codec))
    return path


def assert_still_answers(appliance: RunningAppliance, folder: Path) -> None:
    result = place_call(appliance.uri(), folder, "--hangup-in-greeting", "1.0")
    assert result["answered"] and result["greeting_ms"] is not None, result
    assert appliance.process.poll() is None


def test_a_burst_of_invites_neither_crashes_nor_locks_out_a_genuine_caller(gated: RunningAppliance,
                                                                           tmp_path: Path) -> None:
    baseline = open_fds(gated)
    burst = sipp(gated, FLOODER, "-sn", "uac", "-r", "100", "-m", "500", "-d", "1000", "-l", "200")
    time.sleep(2.0)  # the burst is in full flow
    genuine = place_call(gated.uri(), tmp_path / "genuine", "--hangup-in-greeting", "1.0")
    burst.communicate(timeout=150)
    assert genuine["answered"] and genuine["greeting_ms"] is not None, genuine
    assert gated.process.poll() is None, gated.log.read_text()[-3000:]
    after = settled_fds(gated, baseline)
    assert after <= baseline + FD_SLACK, (baseline, after)
    log = gated.log.read_text()
    assert f"refused call from {FLOODER} with 503" in log and f"refused call from {FLOODER} with 486" in log
    assert_still_answers(gated, tmp_path / "after")


@pytest.mark.parametrize(
    ("source", "final", "payload"),
    [
        (STRANGER, 403, "0 PCMU/8000"),  # not an allowed source: refused before PJSIP sees the call
        (TRUNK, 488, "3 GSM/8000"),  # no common codec: PJSIP sets up media, then refuses and frees it
    ],
    ids=["forbidden-source", "codec-mismatch"],
)
def test_each_refusal_path_a_hundred_times_gives_every_socket_back(gated: RunningAppliance, tmp_path: Path,
                                                                   source: str, final: int, payload: str) -> None:
    baseline = open_fds(gated)
    run = sipp(gated, source, "-sf", str(scenario(tmp_path, final, payload)), "-r", "10", "-m", "100")
    _, err = run.communicate(timeout=150)
    assert run.returncode == 0, err[-2000:]  # every one of the 100 calls got exactly `final`
    assert settled_fds(gated, baseline) <= baseline + FD_SLACK
    assert_still_answers(gated, tmp_path / "after")


def test_callers_who_cancel_at_once_a_hundred_times(gated: RunningAppliance, tmp_path: Path) -> None:
    baseline = open_fds(gated)
    run = sipp(gated, TRUNK, "-sf", str(SIPP / "cancel.xml"), "-r", "10", "-m", "100")
    _, err = run.communicate(timeout=150)
    assert run.returncode == 0, err[-2000:]
    assert settled_fds(gated, baseline) <= baseline + FD_SLACK
    assert_still_answers(gated, tmp_path / "after")


def test_calls_to_any_user_part_a_hundred_times(gated: RunningAppliance, tmp_path: Path) -> None:
    baseline = open_fds(gated)
    run = sipp(gated, TRUNK, "-sn", "uac", "-s", "nobody-here", "-r", "10", "-m", "100", "-d", "200")
    _, err = run.communicate(timeout=150)
    assert run.returncode == 0, err[-2000:]  # each answered, talked to for 0.2 s and hung up
    assert settled_fds(gated, baseline) <= baseline + FD_SLACK
    assert_still_answers(gated, tmp_path / "after")
