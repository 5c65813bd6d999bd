"""The scenario suite's SIP caller: plays one scenario's steps over real SIP and reports what it heard.

It speaks each step's WAV once the previous reply is over (or that far into it, for a step said over a reply),
presses keys, and refuses any REFER (501), so that the box calls the team member itself and bridges the two calls:
then it checks the bridged audio both ways, hearing the team phone's tone and playing its own. It runs as its own
process (one pjsua2 endpoint per process) and prints one JSON object:

    python -m tests.scenarios.sip_caller PLAN.json

PLAN: {"uri", "identity", "out", "steps": [{"wav" | "keys", "over_reply_s"}], "expect_transfer", "wait_hangup_s"}
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sip.calls import PjCall
from sip.config import EndpointConfig
from sip.endpoint import SipEndpoint
from tests.e2e.caller import Heard, _drain, _Line, _save, _speak, is_voiced, leave, read_question
from tests.e2e.phone import tone_frames, tones_heard

CALLER_HZ, PHONE_HZ = 1000.0, 600.0  # the tone this caller plays once bridged, and the one team phones play
HOLD_HZ = 440.0  # the box's hold tone (appliance.call.warm.hold_tone), heard while the team phone rings
QUIET_S = 1.5  # silence that ends a reply
MAX_REPLY_S = 30.0
REFER_WAIT_S = 3.0  # a transfer is expected: how long after a reply its REFER may take
AFTER_REFER_S = 35.0  # the box rings the team member for up to 20 s, then speaks again
BRIDGED_AFTER = 10  # frames of the phone's tone that show the calls are joined
TONE_S = 3.0
ANSWER_TIMEOUT_S = 15.0


class ScenarioLine(_Line):
    """The caller's listener: what the far end sent, a refused call's status, and the REFERs received."""

    def reset(self) -> None:
        """Forget the previous call."""
        super().reset()
        self.status = 0
        self.refers: list[str] = []
        self.refer_came = threading.Event()

    def on_leg_failed(self, key: str, status: int, reason: str) -> None:
        """The call was refused (a blocked caller gets 603)."""
        self.status = status


LINE = ScenarioLine()


def _refuse_refer(call: PjCall, prm: Any) -> None:
    """Keep the REFER's target and refuse it: the box then dials the team member and bridges the calls."""
    LINE.refers.append(str(prm.dstUri))
    LINE.refer_came.set()
    prm.statusCode = 501


setattr(PjCall, "onCallTransferRequest", _refuse_refer)  # noqa: B010 - a pjsua2 callback, set for this process


def _over(steps: list[dict[str, Any]], index: int) -> float | None:
    """How far into the reply the step at index is said (None: after it, or no such step)."""
    return steps[index].get("over_reply_s") if index < len(steps) else None


def listen(line: ScenarioLine, stop_after_voice_s: float | None) -> Heard:
    """A reply: far-end audio until QUIET_S of silence follows voice, the call ends, MAX_REPLY_S pass, a REFER
    comes (what follows is the transfer's), or stop_after_voice_s of the reply were heard."""
    heard, deadline, last_voice, refers = Heard(), time.monotonic() + MAX_REPLY_S, 0.0, len(line.refers)
    while time.monotonic() < deadline and not line.ended.is_set() and len(line.refers) == refers:
        try:
            at, frame = line.frames.get(timeout=0.05)
        except queue.Empty:
            continue
        heard.pcm.extend(frame)
        if is_voiced(frame):
            heard.first_voice = heard.first_voice or at
            last_voice = at
        if heard.first_voice and stop_after_voice_s is not None and at - heard.first_voice >= stop_after_voice_s:
            break
        if heard.first_voice and at - last_voice >= QUIET_S:
            break
    return heard


def after_refer(line: ScenarioLine, out: Path) -> dict[str, Any]:
    """Follow a refused REFER: hear the hold tone while the team phone rings, the team phone's tone once bridged
    (then play ours to it), or the receptionist speaking again when the transfer failed; until the call ends."""
    heard, phone_frames, played, first_voice, last_voice = bytearray(), 0, False, 0.0, 0.0
    hold_frames = 0
    deadline = time.monotonic() + AFTER_REFER_S
    while time.monotonic() < deadline and not line.ended.is_set():
        try:
            at, frame = line.frames.get(timeout=0.05)
        except queue.Empty:
            continue
        heard.extend(frame)
        tones = tones_heard([frame], [PHONE_HZ, HOLD_HZ])
        if tones[str(int(PHONE_HZ))]:
            phone_frames += 1
        elif tones[str(int(HOLD_HZ))]:
            hold_frames += 1
        elif is_voiced(frame):
            first_voice, last_voice = first_voice or at, at
        if phone_frames >= BRIDGED_AFTER and not played and line.info is not None:
            line.info.control.playout.extend(tone_frames(CALLER_HZ, TONE_S))
            played = True
        if first_voice and at - last_voice >= QUIET_S:
            break
    path = out / f"after-refer{len(line.refers)}.wav"
    _save(heard, path)
    return {"refer_to": line.refers[-1], "phone_tone_frames": phone_frames, "hold_tone_frames": hold_frames,
            "played_tone": played,
            "spoke_again": bool(first_voice), "wav": str(path)}


def play(endpoint: SipEndpoint, plan: dict[str, Any]) -> dict[str, Any]:
    """Place the scenario's call; what happened."""
    out, steps, line = Path(plan["out"]), plan["steps"], LINE
    out.mkdir(parents=True, exist_ok=True)
    key = endpoint.dial(plan["uri"])
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not (line.started.is_set() or line.ended.is_set()) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not line.started.is_set():
        endpoint.hangup(key)
        line.ended.wait(5)
        return {"answered": False, "status": line.status, "end_reason": line.end_reason}
    assert line.info is not None
    result: dict[str, Any] = {"answered": True, "sip_call_id": line.info.sip_call_id, "transfers": []}
    _save(listen(line, _over(steps, 0)).pcm, out / "greeting.wav")
    for index, step in enumerate(steps):
        if line.ended.is_set():
            break
        _drain(line)
        if step.get("keys"):
            endpoint.send_dtmf(key, step["keys"])
        else:
            _speak(line, read_question(Path(step["wav"])))
        _save(listen(line, _over(steps, index + 1)).pcm, out / f"reply{index + 1}.wav")
        _follow_transfers(line, plan, out, result)
    line.ended.wait(plan.get("wait_hangup_s", 0.0))
    _follow_transfers(line, plan, out, result)
    if not line.ended.is_set():
        endpoint.hangup(key)
        line.ended.wait(5)
    return result | {"refers": line.refers, "end_reason": line.end_reason}


def _follow_transfers(line: ScenarioLine, plan: dict[str, Any], out: Path, result: dict[str, Any]) -> None:
    if plan.get("expect_transfer") and not line.refers:
        line.refer_came.wait(REFER_WAIT_S)
    if len(line.refers) > len(result["transfers"]):
        result["transfers"].append(after_refer(line, out))


def main(argv: list[str] | None = None) -> None:
    """Run the plan given as the only argument; print the JSON result."""
    plan = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    config = EndpointConfig(bind_address="127.0.0.1", port=0, transports=("udp", "tcp"), rtp_port=plan["rtp_port"],
                            codecs=(plan.get("codec", "PCMU"),), identity=plan["identity"])
    endpoint = SipEndpoint(config, LINE)
    endpoint.start()
    try:
        result = play(endpoint, plan)
    finally:
        endpoint.stop()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    leave()


if __name__ == "__main__":
    main()
