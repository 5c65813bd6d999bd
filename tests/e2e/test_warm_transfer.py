"""A warm transfer over real SIP: a caller presses 0, the front desk's phone rings, hears the brief, presses 1,
and the two phones then hear each other (through the box's bridge) while the receptionist has left; and one
the front desk declines, after which the caller is offered a message."""

from __future__ import annotations

import time
from pathlib import Path

from appliance.cli import init
from tests.e2e.conftest import stored_call
from tests.e2e.legs import Phone
from tests.e2e.support import RunningAppliance, place_call, start_appliance

CALLER_TONE, DESK_TONE = 600.0, 1000.0


def appliance_with_desk(folder: Path, desk: Phone, replace: dict[str, str] | None = None) -> RunningAppliance:
    """The sample business, its front desk reached at a loopback phone (warm transfer, the default)."""
    init(folder)
    profile = folder / "business.toml"
    profile.write_text(profile.read_text().replace('target = "200"', f'target = "{desk.uri()}"'))
    return start_appliance(folder, replace)


def last_call(appliance: RunningAppliance) -> dict[str, object]:
    from appliance.storage.store import CallStore  # noqa: PLC0415 - reads the appliance's own database

    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        newest = store.recent_calls(1)[0]
    finally:
        store.close()
    return stored_call(appliance, str(newest["sip_call_id"]))


def wait_ended(appliance: RunningAppliance, timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call = last_call(appliance)
        if call["outcome"] != "in-progress":
            return call
        time.sleep(0.5)
    raise AssertionError("the call did not end")


def test_the_front_desk_takes_the_call_and_the_phones_hear_each_other(tmp_path: Path) -> None:
    desk = Phone("--tone", str(DESK_TONE), "--detect", str(CALLER_TONE), "--dtmf", "1", "--dtmf-after", "7",
                 "--max-s", "60", identity="desk")
    appliance = appliance_with_desk(tmp_path / "data", desk)
    try:
        caller = Phone("--call", appliance.uri("reception"), "--tone", str(CALLER_TONE), "--detect", str(DESK_TONE),
                       "--dtmf", "0", "--dtmf-after", "5", "--hangup-after", "26", "--max-s", "60", identity="caller")
        desk.wait("answered", 40)
        heard_by_caller = caller.finish(60)["heard"]
        heard_by_desk = desk.finish(60)["heard"]
        call = wait_ended(appliance)
    finally:
        appliance.stop()
        desk.kill()
    assert call["outcome"] == "transferred" and call["end_reason"] == f"transferred:{desk.uri()}"
    assert any(e["kind"] == "transfer" for e in call["events"])  # type: ignore[union-attr]
    assert _frames(heard_by_desk, CALLER_TONE) > 100, heard_by_desk  # the caller, through the bridge
    assert _frames(heard_by_caller, DESK_TONE) > 100, heard_by_caller  # and the desk, the other way


def test_a_declined_warm_transfer_comes_back_to_the_caller(tmp_path: Path) -> None:
    desk = Phone("--answer", "603", "--max-s", "40", identity="desk")
    appliance = appliance_with_desk(tmp_path / "data", desk)
    try:
        caller = Phone("--call", appliance.uri("reception"), "--dtmf", "0", "--dtmf-after", "5", "--hangup-after",
                       "16", "--max-s", "40", identity="caller")
        caller.finish(60)
        call = wait_ended(appliance)
    finally:
        appliance.stop()
        desk.kill()
    failed = [e for e in call["events"] if e["kind"] == "transfer-failed"]  # type: ignore[union-attr]
    assert len(failed) == 1 and '"status": 603' in str(failed[0]["data"])
    said = [t["text"] for t in call["turns"] if t["speaker"] == "receptionist"]  # type: ignore[union-attr]
    assert any("isn't available right now" in text for text in said), said
    assert call["outcome"] != "transferred"


def test_a_ringing_leg_holds_a_line_so_the_next_caller_beyond_the_limit_is_busy(tmp_path: Path) -> None:
    desk = Phone("--answer", "180", "--max-s", "40", identity="desk")  # rings on, never answers
    appliance = appliance_with_desk(tmp_path / "data", desk, {"max_concurrent_calls = 4": "max_concurrent_calls = 2",
                                                              "transfer_ring_s = 20": "transfer_ring_s = 6"})
    try:
        caller = Phone("--call", appliance.uri("reception"), "--dtmf", "0", "--dtmf-after", "3", "--hangup-after",
                       "16", "--max-s", "40", identity="caller")
        desk.wait("incoming", 30)  # the leg rings: one caller and one leg hold both lines
        second = place_call(appliance.uri("reception"), tmp_path / "second", "--answer-timeout", "5")
        caller.finish(60)
        call = wait_ended(appliance)
    finally:
        appliance.stop()
        desk.kill()
    assert not second["answered"] and second["end_reason"].startswith("486"), second
    failed = [e for e in call["events"] if e["kind"] == "transfer-failed"]  # type: ignore[union-attr]
    assert len(failed) == 1  # it rang out (or was refused) and came back to the caller
    said = [t["text"] for t in call["turns"] if t["speaker"] == "receptionist"]  # type: ignore[union-attr]
    assert any("message" in text for text in said[-2:]), said


def _frames(heard: dict[str, dict[str, int]], hz: float) -> int:
    """Frames of a tone one phone heard, over its calls."""
    return sum(counts.get(str(int(hz)), 0) for counts in heard.values())
