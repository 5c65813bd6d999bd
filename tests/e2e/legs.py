"""Helpers for the transfer tests: a listener that records what a bare SipEndpoint reports, scripted pjsua2
phones (tests.e2e.phone) and SIPp, each in its own process, all bounded in time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sip.events import CallInfo, TransferHow
from tests.e2e.support import ROOT, free_port

SIPP = Path(__file__).parent / "sipp"
Event = tuple[Any, ...]


class Switch:
    """A SipListener that records every event (in order) for the tests to wait on."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.frames: Counter[str] = Counter()  # on_audio frames per call key
        self.infos: dict[str, CallInfo] = {}
        self._cond = threading.Condition()

    def _add(self, *event: Any) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def on_call_started(self, call: CallInfo) -> None:
        self.infos[call.key] = call
        self._add("started", call.key, call.caller_number)

    def on_audio(self, key: str, frame: bytes) -> None:
        self.frames[key] += 1

    def on_dtmf(self, key: str, digit: str) -> None:
        self._add("dtmf", key, digit)

    def on_call_ended(self, key: str, reason: str) -> None:
        self._add("ended", key, reason)

    def on_leg_answered(self, call: CallInfo) -> None:
        self.infos[call.key] = call
        self._add("answered", call.key, call.caller_number)

    def on_leg_failed(self, key: str, status: int, reason: str) -> None:
        self._add("failed", key, status)

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        self._add("transfer", key, target_uri, ok, status, how)

    def mark(self) -> int:
        """Where the events of the next step start."""
        with self._cond:
            return len(self.events)

    def wait(self, since: int, kind: str, *fields: Any, timeout: float = 15.0) -> Event:
        """The first event of `kind` after `since` whose leading fields equal `fields`."""
        def match(event: Event) -> bool:
            return event[0] == kind and event[1 : 1 + len(fields)] == fields

        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events[since:] if match(e)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} {fields} within {timeout} s; events: {self.events[since:]}")
                self._cond.wait(left)

    def since(self, since: int) -> list[Event]:
        """Every event after `since`."""
        with self._cond:
            return list(self.events[since:])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Phone:
    """A scripted pjsua2 phone (tests.e2e.phone) in its own process; its JSON events are read as they come."""

    def __init__(self, *args: str, identity: str = "phone", port: int = 0) -> None:
        self.port, self.identity = port or free_port(), identity
        command = [sys.executable, "-m", "tests.e2e.phone", "--port", str(self.port), "--rtp-port",
                   str(free_port()), "--identity", identity, *args]
        # pjsua2's own log and any stack dump of a hang; it lives as long as the phone (closed in kill())
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                        cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.events: list[dict[str, Any]] = []
        self._closed = False  # its output ended (it exited)
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait("ready")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                with self._cond:
                    self.events.append(json.loads(line))
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def uri(self) -> str:
        """Where to call this phone."""
        return f"sip:{self.identity}@127.0.0.1:{self.port}"

    def wait(self, event: str, timeout: float = 15.0) -> dict[str, Any]:
        """The first event of this name."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for item in self.events:
                    if item["event"] == event:
                        return item
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise AssertionError(f"phone {self.identity}: no {event!r} in {timeout} s: {self.events}\n"
                                         f"its stderr ends: {self.stderr_tail()}")
                self._cond.wait(left)

    def stderr_tail(self, size: int = 3000) -> str:
        """The end of what the phone wrote to stderr."""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-size:]

    def finish(self, timeout: float = 30.0) -> dict[str, Any]:
        """Wait for the phone to end its calls and exit; its summary (what each call heard)."""
        done = self.wait("done", timeout)
        code = self.process.wait(20)
        if code == 3 and any(item["event"] == "teardown-hung" for item in self.events):
            # The calls are over and summed up; only freeing the test phone's pjsua2 hung. That is not the
            # appliance, so the test goes on, and the stacks stay in the captured output for a look.
            print(f"phone {self.identity}: pjsua2 teardown hung; stacks:\n{self.stderr_tail(8000)}")
            return done
        assert code == 0, f"phone {self.identity} exited {code} after its calls; its stderr ends: {self.stderr_tail()}"
        return done

    def kill(self) -> None:
        """Stop the process if it is still running (test clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._stderr.close()


class Sipp:
    """SIPp running one call of a scenario, as a callee (UAS) or a caller (UAC)."""

    def __init__(self, folder: Path, scenario: str, fill: dict[str, str], *args: str) -> None:
        text = (SIPP / scenario).read_text()
        for field, value in fill.items():
            text = text.replace(f"@{field}@", value)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / scenario
        path.write_text(text)
        self.port = free_port()
        command = ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(self.port), "-mp", str(free_port()),
                   "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err",
                   "-error_file", str(folder / "errors.log"), *args]
        self.folder = folder
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        cwd=folder)
        time.sleep(0.3)  # SIPp binds its port

    def uri(self, user: str) -> str:
        """Where to call this SIPp (as a callee)."""
        return f"sip:{user}@127.0.0.1:{self.port}"

    def finish(self, timeout: float = 30.0) -> int:
        """SIPp's exit code (0: the one call went through the scenario exactly)."""
        _, err = self.process.communicate(timeout=timeout)
        log = self.folder / "errors.log"
        if self.process.returncode != 0 and log.exists():
            print(err[-2000:], log.read_text()[-3000:])
        return self.process.returncode

    def kill(self) -> None:
        """Stop SIPp if it is still running (test clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=10)


def ulaw_tone(path: Path, hz: float, seconds: float) -> Path:
    """A raw G.711 mu-law file (8 kHz) of a sine at -10 dBFS, for SIPp's rtp_stream."""
    t = np.arange(int(8000 * seconds)) / 8000
    x = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x), 32635) + 0x84
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    path.write_bytes((~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes())
    return path
