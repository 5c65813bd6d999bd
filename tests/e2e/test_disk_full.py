"""The data folder's disk fills up during a call: a size-limited tmpfs, mounted as root (skipped, saying why,
where mounting is not allowed). The call goes on and the caller hears every reply; the log says once that the
disk is full and what to do, with no caller data; once there is room again every record of the call is
written, its recording too; nothing is corrupted and the call before is intact."""

from __future__ import annotations

import errno
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.call.events import CallStarted
from appliance.cli import init
from appliance.config import load_settings
from appliance.errors import ApplianceError
from appliance.service import Appliance
from appliance.storage.recordings import recordings_of
from appliance.storage.store import CallStore
from bench.crash import check_store, dial, stored_calls, wait_answered
from tests.e2e.support import RunningAppliance, place_call, record_calls, start_appliance

pytestmark = pytest.mark.sip

SIZE = "24m"  # the data folder's disk: the database, keys, certificate and a recording or two
CALLER = "15550142777"  # the callers' number: it must never reach the log
FULL = "is full: call records cannot be written"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on its own small filesystem, unmounted afterwards."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command here: the full-disk test needs a size-limited tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"a size-limited tmpfs cannot be mounted here (it needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Write a file until the disk has no byte left; the file (delete it to make room)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    out.write(bytes(chunk))
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return filler


def _wait_for(log: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while text not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    return text in log.read_text()


def test_a_call_goes_on_when_the_disk_fills_and_is_stored_once_there_is_room(
        small_disk: Path, tmp_path: Path, questions: dict[str, Path]) -> None:
    data = small_disk / "data"
    record_calls(data)
    appliance = start_appliance(data, log=tmp_path / "appliance.log")  # the log on another disk, as journald's is
    try:
        _call_with_the_disk_full(appliance, small_disk, tmp_path, questions)
        assert appliance.stop() == 0
    finally:
        if appliance.process.poll() is None:
            appliance.process.kill()
    whole, report = check_store(appliance)
    assert whole, report


def _call_with_the_disk_full(appliance: RunningAppliance, disk: Path, tmp_path: Path,
                             questions: dict[str, Path]) -> None:
    script = ("--identity", CALLER, "--say", str(questions["hours"]))
    before = place_call(appliance.uri(), tmp_path / "before", *script)
    callers = dial(appliance, tmp_path / "during", 1, *script, "--say", str(questions["price"]))
    assert len(wait_answered(appliance, callers, 1)) == 1
    filler = _fill(disk)
    [during] = callers.results(timeout=120)
    log = appliance.log.read_text()
    assert len(during["turns"]) == 2 and all(t["latency_ms"] is not None for t in during["turns"]), during
    assert log.count(FULL) == 1 and "Free space there now" in log, log[-3000:]
    assert CALLER not in log and "Traceback" not in log
    filler.unlink()
    assert place_call(appliance.uri(), tmp_path / "after", "--hangup-in-greeting", "1.0")["answered"]
    assert _wait_for(appliance.log, "has room again", 30), appliance.log.read_text()[-3000:]
    calls = stored_calls(appliance.data_dir, [before["sip_call_id"], during["sip_call_id"]])
    for result in (before, during):
        call = calls[result["sip_call_id"]]
        assert call is not None and call["outcome"] != "in-progress" and call["ended_at"] is not None
        assert sum(turn["speaker"] == "caller" for turn in call["turns"]) == len(result["turns"])  # type: ignore[attr-defined]
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        assert _wait_for_recording(store, str(calls[during["sip_call_id"]]["id"]))  # type: ignore[index]
    finally:
        store.close()


def _wait_for_recording(store: CallStore, call_id: str) -> bool:
    deadline = time.monotonic() + 30
    while not recordings_of(store, call_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(recordings_of(store, call_id))


@pytest.mark.parametrize("stopped", ["cleanly", "by a crash"])
def test_a_start_on_a_full_disk_says_so_and_changes_nothing(small_disk: Path, stopped: str) -> None:
    init(data := small_disk / "data")
    settings = load_settings(data / "config.toml")
    first = CallStore(settings.database_path)
    first.open_call("c1", CallStarted("c1", "+15550100123", "desk", 1.0))  # left in progress
    if stopped == "cleanly":
        first.close()  # the -wal and -shm files go: the next start must make them
    filler = _fill(small_disk)
    with pytest.raises(ApplianceError, match=r"data folder .* is full, so the call database cannot be opened"):
        Appliance(settings).open()
    filler.unlink()
    if stopped != "cleanly":
        first.close()
    again = Appliance(settings)
    again.open()
    try:
        assert again.call("c1")["outcome"] == "interrupted"
    finally:
        again.close()
