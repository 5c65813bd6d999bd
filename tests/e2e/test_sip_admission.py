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

from sip.admission import AdmissionLimits
from tests.e2e.support import RunningAppliance, panel_json, place_call, sipp, sipp_stats, start_appliance

pytestmark = [pytest.mark.sip, pytest.mark.skipif(shutil.which("sipp") is None, reason="needs sipp (setup --dev)")]
SIPP = Path(__file__).parent / "sipp"
ALLOWED = 'allowed_sources = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10"]'
GENUINE, FLOODER, TRUNK = "127.0.0.1", "127.0.0.2", "127.0.0.4"
FD_SLACK = 4  # descriptors that may legitimately come and go (log rotation, a pending HTTP socket)


@pytest.fixture(scope="module")
def gated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """An appliance that takes calls from the genuine caller, the flooder and a trunk."""
    running = start_appliance(tmp_path_factory.mktemp("gated"), {
        ALLOWED: f'allowed_sources = ["{GENUINE}/32", "{FLOODER}/32"]',
        "trunk_sources = []": f'trunk_sources = ["{TRUNK}/32"]',
    })
    place_call(running.uri(), tmp_path_factory.mktemp("warm"), "--hangup-in-greeting", "0.5")  # lazy set-up
    yield running
    assert running.stop() == 0, running.since_stop()
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


def test_a_flood_from_one_source_is_held_to_its_rate_while_another_source_is_answered(gated: RunningAppliance,
                                                                                    tmp_path: Path) -> None:
    """The fast variant of `python -m bench.burst` (60 s): 10 s at 100 INVITEs a second."""
    baseline, stats = open_fds(gated), tmp_path / "flood.csv"
    started = time.monotonic()
    flood = sipp(gated, FLOODER, "-sn", "uac", "-r", "100", "-m", "1000", "-d", "100", "-l", "200", stats=stats)
    time.sleep(3.0)  # the flood is in full flow
    genuine = place_call(gated.uri(), tmp_path / "genuine", "--hangup-in-greeting", "1.0")
    flood.communicate(timeout=150)
    elapsed = time.monotonic() - started
    assert genuine["answered"] and genuine["greeting_ms"] is not None, genuine
    assert gated.process.poll() is None, gated.log.read_text()[-3000:]
    figures = sipp_stats(stats)
    answered, refused = int(figures["SuccessfulCall(C)"]), int(figures["FailedCall(C)"])
    assert answered + refused == 1000, figures
    assert 0 < answered <= AdmissionLimits().admitted_at_most(elapsed), figures
    assert f"refused call from {FLOODER} with 503" in gated.log.read_text()
    after = settled_fds(gated, baseline)
    assert after <= baseline + FD_SLACK, (baseline, after)
    assert_still_answers(gated, tmp_path / "after")


def hold_lines(appliance: RunningAppliance, source: str, lines: int) -> subprocess.Popen[str]:
    """`lines` answered calls from `source`, each held 10 s; returns once the appliance has them all up."""
    run = sipp(appliance, source, "-sn", "uac", "-r", "10", "-m", str(lines), "-l", str(lines), "-d", "10000")
    deadline = time.monotonic() + 20
    while active_calls(appliance) < lines and time.monotonic() < deadline:
        time.sleep(0.2)
    assert active_calls(appliance) == lines
    return run


def test_beyond_the_lines_every_caller_gets_busy_at_once(gated: RunningAppliance, tmp_path: Path) -> None:
    held = hold_lines(gated, TRUNK, 4)  # a trunk may take every line
    busy = sipp(gated, FLOODER, "-sf", str(scenario(tmp_path, 486)), "-r", "5", "-m", "5", timeout=20)
    _, err = busy.communicate(timeout=60)
    assert busy.returncode == 0, err[-2000:]  # each of the 5 got 486 Busy Here, none waited (SIPp times out)
    genuine = place_call(gated.uri(), tmp_path / "busy", "--answer-timeout", "5")
    assert not genuine["answered"] and genuine["end_reason"].startswith("486"), genuine
    assert held.wait(30) == 0
    assert_still_answers(gated, tmp_path / "after")


def test_one_source_cannot_take_the_last_line(gated: RunningAppliance, tmp_path: Path) -> None:
    held = hold_lines(gated, FLOODER, 3)  # max_calls_per_source
    busy = sipp(gated, FLOODER, "-sf", str(scenario(tmp_path, 486)), "-m", "1", timeout=20)
    assert busy.wait(60) == 0  # its fourth call: busy
    assert_still_answers(gated, tmp_path / "other")  # the last line is another source's
    assert held.wait(30) == 0


def test_a_codec_mismatch_a_hundred_times_gives_every_socket_back(gated: RunningAppliance, tmp_path: Path) -> None:
    """No common codec: PJSIP sets up media, then refuses with 488 and frees it. (A source outside
    allowed_sources gets no answer at all: tests/e2e/test_sip_scanners.py.)"""
    baseline = open_fds(gated)
    run = sipp(gated, TRUNK, "-sf", str(scenario(tmp_path, 488, "3 GSM/8000")), "-r", "10", "-m", "100")
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
