"""A scripted SIP caller: dials, waits for the greeting, speaks WAV questions and records the replies.

Used by the end-to-end tests and the latency benchmark. It runs as its own process (one pjsua2 endpoint per
process) and prints one JSON object with what it heard and when:

    python -m tests.e2e.caller sip:desk@127.0.0.1:5060 --say question.wav --out /tmp/call1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import sys
import threading
import time
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from sip.config import EndpointConfig
from sip.events import CallInfo, TransferHow
from sip.media import FRAME_BYTES, SAMPLE_RATE, SILENCE

VOICE_DBFS = -40.0
DTMF_STEP = "dtmf:"  # a --say step that presses keys instead of speaking


class _Line:
    """SipListener that keeps what the far end sent, with arrival times."""

    def __init__(self, echo_gain: float = 0.0) -> None:
        self.echo_gain = echo_gain  # > 0: play back what is heard this much quieter, mixed with what is said
        self.reset()

    def reset(self) -> None:
        """Forget the previous call (calls are placed one after another)."""
        self.started = threading.Event()
        self.ended = threading.Event()
        self.info: CallInfo | None = None
        self.frames: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()
        self.outgoing: deque[bytes] = deque()  # with an echo: what is said goes out one frame per frame heard
        self.end_reason = ""

    def on_call_started(self, call: CallInfo) -> None:
        self.info = call
        self.started.set()

    def on_audio(self, key: str, frame: bytes) -> None:
        self.frames.put((time.monotonic(), frame))
        if self.echo_gain and self.info is not None:
            self.info.control.playout.extend([self._with_echo(frame)])

    def _with_echo(self, heard: bytes) -> bytes:
        """The next frame to say, with the frame just heard mixed in (a speakerphone, or a line echo)."""
        said = np.frombuffer(self.outgoing.popleft() if self.outgoing else SILENCE, dtype="<i2").astype(np.int32)
        echo = np.frombuffer(heard, dtype="<i2").astype(np.float64) * self.echo_gain
        return np.clip(said + echo.astype(np.int32), -32768, 32767).astype("<i2").tobytes()

    def on_dtmf(self, key: str, digit: str) -> None:
        """Not used by the caller."""

    def on_call_ended(self, key: str, reason: str) -> None:
        self.end_reason = reason
        self.ended.set()

    def on_leg_answered(self, call: CallInfo) -> None:
        """The caller's own call (an outgoing leg) was answered."""
        self.on_call_started(call)

    def on_leg_failed(self, key: str, status: int, reason: str) -> None:
        """Not used: on_call_ended follows with the reason."""

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        """Not used by the caller."""


@dataclass
class Heard:
    """One stretch of far-end audio: when the voice began and the PCM received."""

    first_voice: float | None = None
    pcm: bytearray = field(default_factory=bytearray)


def is_voiced(frame: bytes) -> bool:
    """Whether a received frame carries voice rather than silence or comfort noise."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
    return bool(20 * np.log10(max(rms, 1e-9) / 32768.0) > VOICE_DBFS)


def listen(line: _Line, quiet_s: float, max_s: float, stop_after_voice_s: float | None = None) -> Heard:
    """Collect far-end audio until quiet_s of silence follows voice, the call ends or max_s passes."""
    heard, deadline, last_voice = Heard(), time.monotonic() + max_s, 0.0
    while time.monotonic() < deadline and not line.ended.is_set():
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
        if heard.first_voice and at - last_voice >= quiet_s:
            break
    return heard


def read_question(path: Path) -> list[bytes]:
    """A 16 kHz mono 16-bit WAV as 20 ms frames."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise SystemExit(f"{path}: need a 16 kHz mono 16-bit WAV (try: sox in.wav -r 16000 -c 1 -b 16 out.wav)")
        raw = wav.readframes(wav.getnframes())
    raw += bytes(-len(raw) % FRAME_BYTES)
    return [raw[i : i + FRAME_BYTES] for i in range(0, len(raw), FRAME_BYTES)]


def _drain(line: _Line) -> None:
    while True:
        try:
            line.frames.get_nowait()
        except queue.Empty:
            return


def _save(pcm: bytearray, path: Path) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(bytes(pcm))


def _speak(line: _Line, frames: list[bytes]) -> float:
    """Queue a question and return when its last voiced frame left (monotonic time).

    Frames leave every 20 ms, so the last voiced one left (frames after it) x 20 ms before the last frame.
    """
    assert line.info is not None
    playout = line.info.control.playout
    voiced = [i for i, frame in enumerate(frames) if is_voiced(frame)]
    trailing = len(frames) - 1 - (voiced[-1] if voiced else len(frames) - 1)
    (line.outgoing if line.echo_gain else playout).extend(frames)
    while (len(line.outgoing) or len(playout)) and not line.ended.is_set():
        time.sleep(0.002)
    return playout.last_sent_at - trailing * 0.020


def _greeting(line: _Line, args: argparse.Namespace, answered: float, out: Path) -> dict[str, Any]:
    heard = listen(line, quiet_s=args.quiet, max_s=args.max_reply, stop_after_voice_s=args.hangup_in_greeting)
    _save(heard.pcm, out / "greeting.wav")
    ms = None if heard.first_voice is None else round((heard.first_voice - answered) * 1000, 1)
    return {"greeting_ms": ms, "greeting_wav": str(out / "greeting.wav")}


def _turn(line: _Line, args: argparse.Namespace, index: int, step: str, out: Path, *,
          press: Callable[[str], None]) -> dict[str, Any]:
    """One step of the script: speak a WAV, or press keys ("dtmf:1"); then time and record the reply."""
    _drain(line)
    if step.startswith(DTMF_STEP):
        press(step.removeprefix(DTMF_STEP))
        sent = time.monotonic()
    else:
        sent = _speak(line, read_question(Path(step)))
    last = index == len(args.say) - 1
    cut = args.hangup_in_reply if last else None
    heard = listen(line, quiet_s=args.quiet, max_s=args.max_reply, stop_after_voice_s=cut)
    path = out / f"reply{index + 1}.wav"
    _save(heard.pcm, path)
    latency = None if heard.first_voice is None else round((heard.first_voice - sent) * 1000, 1)
    return {"question": step, "latency_ms": latency, "reply_wav": str(path)}


def run_script(args: argparse.Namespace) -> dict[str, Any]:
    """Place the scripted call(s) one after another; return what happened (a list for --calls > 1)."""
    from sip.endpoint import SipEndpoint  # noqa: PLC0415 - loads pjsua2 only when calling

    line = _Line(10 ** (args.echo_db / 20) if args.echo_db is not None else 0.0)
    config = EndpointConfig(bind_address=args.bind, port=args.port, transports=("udp", "tcp"),
                            rtp_port=args.rtp_port, codecs=tuple(args.codec), identity=args.identity)
    endpoint = SipEndpoint(config, line)
    endpoint.start()
    try:
        results = [_one_call(endpoint, line, args, Path(args.out) / f"call{n + 1}") for n in range(args.calls)]
    finally:
        endpoint.stop()
    return results[0] if args.calls == 1 else {"calls": results}


def _one_call(endpoint: Any, line: _Line, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    line.reset()
    result: dict[str, Any] = {"answered": False, "turns": []}
    dialled = time.monotonic()
    key = endpoint.dial(args.uri)
    if not line.started.wait(args.answer_timeout):
        endpoint.hangup(key)
        line.ended.wait(5)
        return result | {"error": "not answered", "end_reason": line.end_reason}
    answered = time.monotonic()
    assert line.info is not None
    result |= {"answered": True, "answer_ms": round((answered - dialled) * 1000, 1), "codec": line.info.codec,
               "sip_call_id": line.info.sip_call_id}
    print(json.dumps({"answered": line.info.sip_call_id}), file=sys.stderr, flush=True)  # for a watcher (bench.crash)
    if args.dtmf:
        endpoint.send_dtmf(key, args.dtmf)
    result |= _greeting(line, args, answered, out)
    for index, step in enumerate(args.say):
        if line.ended.is_set() or args.hangup_in_greeting is not None:
            break
        result["turns"].append(_turn(line, args, index, step, out, press=lambda keys: endpoint.send_dtmf(key, keys)))
    return result | _finish(endpoint, line, key, args)


def _finish(endpoint: Any, line: _Line, key: str, args: argparse.Namespace) -> dict[str, Any]:
    remote = line.ended.wait(args.wait_hangup) if args.wait_hangup else line.ended.is_set()
    if not line.ended.is_set():
        endpoint.hangup(key)
        line.ended.wait(5)
    return {"remote_hangup": remote, "end_reason": line.end_reason}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the scripted caller."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.caller", description=__doc__.splitlines()[0])
    parser.add_argument("uri", help="whom to call, e.g. sip:desk@127.0.0.1:5060")
    parser.add_argument("--say", action="append", default=[],
                        help="a 16 kHz mono WAV to speak, or dtmf:KEYS to press (repeatable)")
    parser.add_argument("--out", default="caller-out", help="folder for the recorded greeting and replies")
    parser.add_argument("--codec", action="append", choices=["PCMU", "PCMA", "G722"], default=None)
    parser.add_argument("--bind", default="127.0.0.1", help="local address to call from")
    parser.add_argument("--port", type=int, default=0, help="local SIP port (0: any free one)")
    parser.add_argument("--calls", type=int, default=1, help="place the same call N times in a row")
    parser.add_argument("--dtmf", default="", help="keys to press (RFC 4733) once answered")
    parser.add_argument("--rtp-port", type=int, default=6000)
    parser.add_argument("--identity", default="caller")
    parser.add_argument("--quiet", type=float, default=1.5, help="seconds of silence that end a reply")
    parser.add_argument("--max-reply", type=float, default=30.0)
    parser.add_argument("--answer-timeout", type=float, default=15.0)
    parser.add_argument("--hangup-in-greeting", type=float, default=None, help="hang up N s into the greeting")
    parser.add_argument("--hangup-in-reply", type=float, default=None, help="hang up N s into the last reply")
    parser.add_argument("--wait-hangup", type=float, default=0.0, help="wait N s for the far end to hang up")
    parser.add_argument("--echo-db", type=float, default=None,
                        help="play back what is heard, this many dB louder (negative: quieter), like a speakerphone")
    args = parser.parse_args(argv)
    args.codec = args.codec or ["PCMU"]
    return args


def main(argv: list[str] | None = None) -> None:
    """Run the scripted call and print the JSON result."""
    result = run_script(parse_args(argv))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    leave()


def leave(code: int = 0) -> NoReturn:
    """End a test peer as soon as its result is printed. The interpreter's own ending destroys the native
    libraries' objects, and such a destructor hung processes in CI (docs/hardening.md, "Stopping")."""
    with contextlib.suppress(OSError):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
