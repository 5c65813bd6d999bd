"""A scripted pjsua2 phone for the transfer tests: it calls or answers, plays a tone, accepts or refuses a
REFER, presses keys, hangs up on cue and reports which tones it heard. It runs as its own process (one pjsua2
endpoint per process) and prints one JSON object per line: events as they happen, then a summary.

    python -m tests.e2e.phone --port 5071 --rtp-port 7000 --tone 600 --detect 1000 --hangup-after 5
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import json
import os
import sys
import threading
import time
from typing import Any

import numpy as np
import pjsua2 as pj

from sip.bridge import BridgePool, connect
from sip.calls import active_audio
from sip.config import EndpointConfig
from sip.lib import create_library, make_account_config
from sip.media import FRAME_SAMPLES, SAMPLE_RATE, FrameQueue
from sip.timers import Timers
from tests.e2e.caller import leave

TEARDOWN_S = 10.0  # freeing pjsua2 takes well under a second
QUIET_RMS = 300.0  # below this a frame is silence, whatever its spectrum
TONE_SHARE = 0.6  # a frame "carries" a tone when this share of its energy is within 50 Hz of it


def say(event: str, **fields: Any) -> None:
    """Print one event as a JSON line."""
    sys.stdout.write(json.dumps({"event": event, "at": time.monotonic(), **fields}) + "\n")
    sys.stdout.flush()


def teardown_hung() -> None:
    """Freeing pjsua2 hangs (seen once in CI): put every stack on stderr, say so, and exit 3 (see legs.Phone)."""
    faulthandler.dump_traceback(sys.stderr, all_threads=True)
    say("teardown-hung")
    os._exit(3)


def tone_frames(hz: float, seconds: float) -> list[bytes]:
    """A sine at -10 dBFS as 20 ms frames (whole cycles per second, so it loops without a click)."""
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    pcm = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()
    step = FRAME_SAMPLES * 2
    return [pcm[i : i + step] for i in range(0, len(pcm) - step + 1, step)]


def tones_heard(frames: list[bytes], freqs: list[float]) -> dict[str, int]:
    """How many frames carry each tone."""
    counts = {str(int(f)): 0 for f in freqs}
    window = np.hanning(FRAME_SAMPLES)
    for frame in frames:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        if float(np.sqrt(np.mean(samples**2))) < QUIET_RMS:
            continue
        power = np.abs(np.fft.rfft(samples * window)) ** 2
        total = float(power.sum())
        for f in freqs:
            k = round(f * FRAME_SAMPLES / SAMPLE_RATE)
            if float(power[max(k - 1, 0) : k + 2].sum()) >= TONE_SHARE * total:
                counts[str(int(f))] += 1
    return counts


class PhoneCall(pj.Call):  # type: ignore[misc]
    """One call of the phone; kept in the phone's table until it disconnects."""

    def __init__(self, phone: Phone, call_id: int, number: int) -> None:
        super().__init__(phone.account, call_id)
        self.phone, self.number = phone, number
        self.bridge: Any = None
        self.heard: list[bytes] = []
        self.playout = FrameQueue()

    def onCallState(self, prm: Any) -> None:
        """Answered or ended."""
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.phone.answered(self)
        elif info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.phone.ended(self, int(info.lastStatusCode), str(info.lastReason))

    def onCallMediaState(self, prm: Any) -> None:
        """Play the tone to the call and keep what it sends."""
        index = active_audio(self.getInfo())
        if index is None:
            return
        if self.bridge is None:
            self.bridge = self.phone.bridges.take(self.playout, self.heard.append)
            self.playout.extend(self.phone.tone)
        connect(self.getAudioMedia(index), self.bridge)

    def onCallTransferRequest(self, prm: Any) -> None:
        """A REFER: refuse it, or follow it with a new call."""
        self.phone.referred(self, prm)

    def onDtmfDigit(self, prm: Any) -> None:
        """A key press from the far end."""
        say("dtmf", call=self.number, digit=str(prm.digit))


class PhoneAccount(pj.Account):  # type: ignore[misc]
    """The phone's only identity."""

    def __init__(self, phone: Phone) -> None:
        super().__init__()
        self.phone = phone

    def onIncomingCall(self, prm: Any) -> None:
        """Ring, then answer or refuse as scripted."""
        self.phone.incoming(prm.callId, str(prm.rdata.srcAddress))


class Phone:
    """The scripted phone: a pjsua2 library polled from the main thread."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        config = EndpointConfig(bind_address="127.0.0.1", port=args.port, transports=("udp",),
                                rtp_port=args.rtp_port, rtp_port_range=20, codecs=("PCMU",), identity=args.identity)
        self.ep = create_library(config)
        self.account: Any = PhoneAccount(self)
        self.account.create(make_account_config(config, None), True)
        self.bridges = BridgePool()
        self.calls: dict[int, PhoneCall] = {}
        self.heard: dict[int, list[bytes]] = {}
        self.timers = Timers()
        self.tone = tone_frames(args.tone, 1.0) * int(args.max_s + 1) if args.tone else []
        self.numbers = iter(range(1, 1000))
        self.had_call = False

    def new_call(self, call_id: int) -> PhoneCall:
        """A call object in the table (PJSIP's call id, or INVALID for one placed by us)."""
        call = PhoneCall(self, call_id, next(self.numbers))
        self.calls[call.number] = call
        self.heard[call.number] = call.heard
        self.had_call = True
        return call

    def incoming(self, call_id: int, source: str) -> None:
        """Answer, ring forever, or refuse an INVITE."""
        call = self.new_call(call_id)
        say("incoming", call=call.number, source=source)
        prm = pj.CallOpParam()
        prm.statusCode = 180 if self.args.answer in (180, 200) else self.args.answer
        if prm.statusCode == 180:
            call.answer(prm)
            if self.args.answer == 200:
                self.later(self.args.answer_delay, lambda: self.respond(call.number, 200))
        else:
            call.hangup(prm)

    def respond(self, number: int, status: int) -> None:
        """Answer a ringing call (if it is still there)."""
        if (call := self.calls.get(number)) is not None:
            prm = pj.CallOpParam()
            prm.statusCode = status
            call.answer(prm)

    def answered(self, call: PhoneCall) -> None:
        """Press the scripted keys and schedule the hang-up."""
        say("answered", call=call.number)
        number = call.number
        if self.args.dtmf:
            self.later(self.args.dtmf_after, lambda: self.press(number))
        if self.args.hangup_after:
            self.later(self.args.hangup_after, lambda: self.hang_up(number))

    def press(self, number: int) -> None:
        """Send the scripted keys (RFC 4733)."""
        if (call := self.calls.get(number)) is not None:
            call.dialDtmf(self.args.dtmf)

    def hang_up(self, number: int) -> None:
        """End a call from our side."""
        if (call := self.calls.get(number)) is not None:
            say("hanging-up", call=number)
            call.hangup(pj.CallOpParam(True))

    def referred(self, call: PhoneCall, prm: Any) -> None:
        """Refuse the REFER with the scripted status, or accept it and let PJSIP call the target."""
        say("refer", call=call.number, to=str(prm.dstUri))
        if self.args.refer != 202:
            prm.statusCode = self.args.refer
            return
        prm.newCall = self.new_call(pj.PJSUA_INVALID_ID)

    def ended(self, call: PhoneCall, status: int, reason: str) -> None:
        """Forget a finished call inside its own callback (see PJSUA2-NOTES)."""
        say("ended", call=call.number, status=status, reason=reason)
        self.calls.pop(call.number, None)
        if call.bridge is not None:
            self.bridges.give_back(call.bridge)
            call.bridge = None

    def later(self, seconds: float, action: Any) -> None:
        """Run an action on the phone's thread after a while."""
        self.timers.at(time.monotonic() + seconds, action)

    def run(self) -> None:
        """Place the scripted call, then poll until every call ended (or time is up)."""
        say("ready", port=self.args.port)
        if self.args.call:
            self.new_call(pj.PJSUA_INVALID_ID).makeCall(self.args.call, pj.CallOpParam(True))
        deadline, idle_since = time.monotonic() + self.args.max_s, None
        while time.monotonic() < deadline:
            self.ep.libHandleEvents(10)
            self.timers.run_due(time.monotonic())
            idle = self.had_call and not self.calls
            idle_since = (idle_since or time.monotonic()) if idle else None
            if idle_since is not None and time.monotonic() - idle_since > 0.5:
                break

    def close(self) -> None:
        """Hang up, say what each call heard, and free pjsua2 in the safe order."""
        if self.calls:
            self.ep.hangupAllCalls()
            until = time.monotonic() + 2.0
            while self.calls and time.monotonic() < until:
                self.ep.libHandleEvents(20)
        self.timers.clear()
        while self.calls:
            self.calls.popitem()[1].bridge = None
        say("done", heard={str(n): tones_heard(frames, self.args.detect) for n, frames in self.heard.items()})
        watchdog = threading.Timer(TEARDOWN_S, teardown_hung)
        watchdog.daemon = True
        watchdog.start()
        self.bridges.destroy()
        gc.collect()
        self.ep.libHandleEvents(100)
        self.account.shutdown()
        self.account = None
        gc.collect()
        self.ep.libDestroy()
        watchdog.cancel()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the phone."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.phone", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="SIP port (UDP) on 127.0.0.1")
    parser.add_argument("--rtp-port", type=int, required=True)
    parser.add_argument("--identity", default="phone")
    parser.add_argument("--call", default="", help="place one call to this URI at start")
    parser.add_argument("--answer", type=int, default=200, help="incoming calls: 200, 180 (ring on) or a refusal")
    parser.add_argument("--answer-delay", type=float, default=0.3, help="seconds of ringing before answering")
    parser.add_argument("--refer", type=int, default=202, help="answer to a REFER: 202 follows it, else refuse")
    parser.add_argument("--tone", type=float, default=0.0, help="play a sine of this frequency on every call")
    parser.add_argument("--detect", type=float, action="append", default=[], help="count frames of this tone")
    parser.add_argument("--dtmf", default="", help="keys to press once a call is answered")
    parser.add_argument("--dtmf-after", type=float, default=1.0)
    parser.add_argument("--hangup-after", type=float, default=0.0, help="hang up N s after a call is answered")
    parser.add_argument("--max-s", type=float, default=30.0, help="give up after this long")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the phone; print its events and then what it heard."""
    args = parse_args(argv)
    faulthandler.enable()
    faulthandler.dump_traceback_later(args.max_s + 5, exit=True)  # a hang in the call loop: where, then exit 1
    phone = Phone(args)
    try:
        phone.run()
    finally:
        faulthandler.cancel_dump_traceback_later()
        phone.close()
        del phone  # no pjsua2 object may outlive libDestroy (it has run)
    leave()


if __name__ == "__main__":
    main()
