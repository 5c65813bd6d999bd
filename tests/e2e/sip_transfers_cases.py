"""Transfer mechanics over real SIP on loopback: a bare SipEndpoint in this process (no appliance, no models)
reports to a recording listener; scripted pjsua2 phones and SIPp are the callers and the transfer targets."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sip.config import EndpointConfig
from sip.endpoint import SipEndpoint
from tests.e2e.legs import Phone, Sipp, Switch, ulaw_tone, wait_until
from tests.e2e.phone import tone_frames
from tests.e2e.support import free_port

pytestmark = [pytest.mark.sip, pytest.mark.skipif(shutil.which("sipp") is None, reason="needs sipp (setup --dev)")]
CALLER_HZ, TARGET_HZ, BRIEF_HZ = 1000.0, 600.0, 400.0


@pytest.fixture(scope="module")
def switch() -> Switch:
    """The listener every test's events go to."""
    return Switch()


@pytest.fixture(scope="module")
def endpoint(switch: Switch) -> Iterator[SipEndpoint]:
    """One endpoint for the module (pjsua2 allows one per process); it must end with no call left."""
    config = EndpointConfig(bind_address="127.0.0.1", port=free_port(), transports=("udp", "tcp"),
                            rtp_port=free_port(), rtp_port_range=40, codecs=("PCMU",), identity="desk")
    sip = SipEndpoint(config, switch)
    sip.start()
    yield sip
    wait_until(lambda: sip.active_calls == 0, 10, "every call to end")
    sip.stop()


@pytest.fixture
def processes(endpoint: SipEndpoint) -> Iterator[list[Phone | Sipp]]:
    """Phones and SIPps started by a test, stopped after it whatever happened; the endpoint starts each test
    with no call (the library has only four call slots), and a failed test's calls are hung up, not left."""
    try:
        wait_until(lambda: endpoint.active_calls == 0, 40, "the earlier tests' calls to end")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; still live: {endpoint.live_calls()}") from exc
    started: list[Phone | Sipp] = []
    yield started
    for key in endpoint.live_calls():
        endpoint.hangup(key)
    for process in started:
        process.kill()


def desk_uri(endpoint: SipEndpoint) -> str:
    return f"sip:desk@127.0.0.1:{endpoint.config.port}"


def answered_caller(endpoint: SipEndpoint, switch: Switch, processes: list[Phone | Sipp], *args: str) -> str:
    """A phone calls the endpoint; the key of its answered call."""
    mark = switch.mark()
    processes.append(Phone("--call", desk_uri(endpoint), *args, identity="caller"))
    return str(switch.wait(mark, "started")[1])


def test_blind_transfer_by_refer_reaches_the_target(endpoint: SipEndpoint, switch: Switch,
                                                    processes: list[Phone | Sipp], tmp_path: Path) -> None:
    target = Sipp(tmp_path, "uas_answer_bye.xml", {"USER": "bob"})
    processes.append(target)
    key = answered_caller(endpoint, switch, processes, "--max-s", "20")
    caller = processes[-1]
    assert isinstance(caller, Phone)
    mark = switch.mark()
    endpoint.transfer(key, target.uri("bob"))
    assert switch.wait(mark, "transfer", key) == ("transfer", key, target.uri("bob"), True, 200, "refer")
    switch.wait(mark, "ended", key)  # our leg hangs up once the caller reached the target
    assert target.uri("bob") in caller.wait("refer")["to"]  # the REFER's Refer-To
    assert target.finish() == 0  # SIPp got the INVITE for bob, answered it and hung up after a second
    assert [e for e in switch.since(mark) if e[0] in ("answered", "failed", "started")] == []
    caller.finish()


def test_a_refused_refer_falls_back_to_a_bridged_call(endpoint: SipEndpoint, switch: Switch,
                                                      processes: list[Phone | Sipp], tmp_path: Path) -> None:
    target = Phone("--detect", str(CALLER_HZ), "--hangup-after", "3", "--max-s", "25", identity="bob")
    processes.append(target)
    tone = ulaw_tone(tmp_path / "tone.ulaw", CALLER_HZ, 10.0)
    mark = switch.mark()
    caller = Sipp(tmp_path, "uac_refuse_refer.xml", {"TONE": str(tone)}, f"127.0.0.1:{endpoint.config.port}",
                  "-s", "desk")
    processes.append(caller)
    key = str(switch.wait(mark, "started")[1])
    wait_until(lambda: switch.frames[key] > 25, 5, "the caller's tone to reach the application")
    endpoint.transfer(key, target.uri())
    assert switch.wait(mark, "transfer", key) == ("transfer", key, target.uri(), True, 200, "bridged")
    at_bridge = switch.frames[key]
    target.wait("answered")
    switch.wait(mark, "ended", key)  # the target hung up after 3 s, so the endpoint hung up the caller
    assert switch.frames[key] - at_bridge <= 3  # bridged: the caller's audio no longer reaches the application
    assert caller.finish() == 0  # SIPp was sent the REFER, answered 501, and got the BYE
    heard = target.finish()["heard"]["1"]
    assert heard[str(int(CALLER_HZ))] > 100, heard  # ~150 frames of the caller's tone in 3 s, through the bridge
    assert [e[0] for e in switch.since(mark)] == ["started", "transfer", "ended"]  # the leg stays internal


@pytest.mark.parametrize(
    "case",  # who is called, the leg's ring timeout, the status on_leg_failed must report
    [("486", 20.0, 486), ("603", 20.0, 603), ("ring", 1.5, 408), ("closed-tcp-port", 5.0, 503)],
    ids=["busy", "declined", "no-answer", "unreachable"],
)
def test_a_leg_that_is_not_answered_leaves_the_caller_untouched(endpoint: SipEndpoint, switch: Switch,
                                                                processes: list[Phone | Sipp], tmp_path: Path,
                                                                case: tuple[str, float, int]) -> None:
    callee, ring_timeout_s, status = case
    key = answered_caller(endpoint, switch, processes, "--tone", str(CALLER_HZ), "--max-s", "20")
    if callee == "closed-tcp-port":
        uri, sipp = f"sip:bob@127.0.0.1:{free_port()};transport=tcp", None
    else:
        scenario = "uas_ring.xml" if callee == "ring" else "uas_final.xml"
        sipp = Sipp(tmp_path, scenario, {"FINAL": callee})
        processes.append(sipp)
        uri = sipp.uri("bob")
    mark, dialled = switch.mark(), time.monotonic()
    leg = endpoint.dial(uri, ring_timeout_s=ring_timeout_s)
    assert switch.wait(mark, "failed", leg) == ("failed", leg, status)
    if callee == "ring":
        assert ring_timeout_s - 0.1 < time.monotonic() - dialled < ring_timeout_s + 2.0
    switch.wait(mark, "ended", leg)
    if sipp is not None:
        assert sipp.finish() == 0  # refused as scripted, or cancelled (200 to CANCEL, 487, ACK)
    frames = switch.frames[key]
    wait_until(lambda: switch.frames[key] > frames + 25, 5, "the caller's audio to keep flowing")
    assert not [e for e in switch.since(mark) if e[1] == key]  # the caller's call is untouched
    endpoint.hangup(key)
    switch.wait(mark, "ended", key)


def test_dial_brief_bridge_and_hang_up_ends_both(endpoint: SipEndpoint, switch: Switch,
                                                 processes: list[Phone | Sipp]) -> None:
    key = answered_caller(endpoint, switch, processes, "--tone", str(CALLER_HZ), "--detect", str(TARGET_HZ),
                          "--max-s", "25")
    caller = processes[-1]
    target = Phone("--tone", str(TARGET_HZ), "--detect", str(CALLER_HZ), "--detect", str(BRIEF_HZ), "--dtmf", "1",
                   "--dtmf-after", "0.5", "--hangup-after", "4", "--max-s", "25", identity="bob")
    processes.append(target)
    mark = switch.mark()
    leg = endpoint.dial(target.uri(), ring_timeout_s=10)
    assert switch.wait(mark, "answered", leg) == ("answered", leg, "bob")
    info = switch.infos[leg]
    assert info.outgoing and not switch.infos[key].outgoing
    switch.wait(mark, "dtmf", leg, "1")  # the team member pressed 1 on the leg
    info.control.extend(tone_frames(BRIEF_HZ, 0.6))  # the brief, played to the leg only
    wait_until(lambda: len(info.control) == 0, 3, "the brief to be played")
    endpoint.bridge(key, leg)
    time.sleep(0.2)
    frames = switch.frames[key], switch.frames[leg]
    switch.wait(mark, "ended", leg)  # the team member hangs up 4 s after answering...
    switch.wait(mark, "ended", key)  # ...and the endpoint hangs up the caller
    assert (switch.frames[key], switch.frames[leg]) == frames  # bridged: nothing reached the application
    assert isinstance(caller, Phone)
    heard_by_caller = caller.finish()["heard"]["1"]
    heard_by_target = target.finish()["heard"]["1"]
    assert heard_by_caller[str(int(TARGET_HZ))] > 60, heard_by_caller  # ~2.5 s bridged
    assert heard_by_target[str(int(CALLER_HZ))] > 60, heard_by_target
    assert heard_by_target[str(int(BRIEF_HZ))] >= 20, heard_by_target  # the 0.6 s brief (30 frames)
    assert not [e for e in switch.since(mark) if e[0] == "started"]  # the leg never looked like a new caller
