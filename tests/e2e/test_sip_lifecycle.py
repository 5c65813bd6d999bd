"""Who may call, and shutting down with a call in progress."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.storage.store import CallStore
from tests.e2e.support import RECEPTIONIST, ROOT, RunningAppliance, free_port, place_call, start_appliance

pytestmark = pytest.mark.sip
ALLOWED = 'allowed_sources = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fe80::/10"]'


@pytest.fixture(scope="module")
def strict_appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """An appliance that accepts calls from 127.0.0.1 only."""
    running = start_appliance(tmp_path_factory.mktemp("strict"), {ALLOWED: 'allowed_sources = ["127.0.0.1/32"]'})
    yield running
    running.stop()


def test_calls_from_other_sources_get_no_answer(strict_appliance: RunningAppliance, tmp_path: Path) -> None:
    ignored = place_call(strict_appliance.uri(), tmp_path / "a", "--bind", "127.0.0.2", "--answer-timeout", "5")
    assert not ignored["answered"] and ignored["error"] == "not answered", ignored  # no reply: it gave up after 5 s
    allowed = place_call(strict_appliance.uri(), tmp_path / "b", "--hangup-in-greeting", "0.3")
    assert allowed["answered"]
    assert "ignored SIP requests from 127.0.0.2" in strict_appliance.log.read_text()


def test_keys_cannot_be_rotated_under_the_running_service(strict_appliance: RunningAppliance) -> None:
    config = strict_appliance.data_dir / "config.toml"
    done = subprocess.run([*RECEPTIONIST, "keys", "rotate", "--config", str(config)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)
    assert done.returncode == 2 and "the appliance or another receptionist command" in done.stderr
    assert not (strict_appliance.data_dir / "master.key.old").exists()


def test_sigusr1_writes_every_threads_stack_and_calls_go_on(strict_appliance: RunningAppliance,
                                                            tmp_path: Path) -> None:
    strict_appliance.process.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while "most recent call first" not in strict_appliance.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = strict_appliance.log.read_text()
    assert 'Thread 0x' in log and "most recent call first" in log, log[-3000:]
    assert place_call(strict_appliance.uri(), tmp_path, "--hangup-in-greeting", "0.3")["answered"]


def test_shutdown_with_a_call_in_progress_ends_cleanly(strict_appliance: RunningAppliance, tmp_path: Path) -> None:
    caller = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.caller", strict_appliance.uri(), "--out", str(tmp_path), "--rtp-port",
         str(free_port()), "--quiet", "30", "--max-reply", "60"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    time.sleep(3)  # the call is answered and the greeting is playing
    assert strict_appliance.stop() == 0, strict_appliance.since_stop()
    out, _ = caller.communicate(timeout=60)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["answered"] and result["remote_hangup"]
    log = strict_appliance.log.read_text()
    assert "hanging up 1 call(s)" in log and "SIP endpoint stopped" in log and "Traceback" not in log
    assert log.rstrip().endswith("receptionist.cli: stopped")  # the last line: it left without finalization
    store = CallStore(strict_appliance.data_dir / "receptionist.db")
    last = store.recent_calls(1)[0]
    store.close()
    assert last["outcome"] != "in-progress" and last["ended_at"] is not None
    assert last["end_reason"] == "appliance shut down"
