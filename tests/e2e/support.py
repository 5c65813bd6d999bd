"""Helpers for end-to-end tests: a real appliance process, real SIP callers, real speech."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from appliance.call.audio import resample
from appliance.cli import init
from appliance.clock import CLOCK_ENV

ROOT = Path(__file__).resolve().parents[2]
# The console as `python -m` from ROOT, so the tree under test runs (not whatever the venv's script points at).
RECEPTIONIST = [sys.executable, "-m", "receptionist"]
# Calls in these tests come on a Wednesday morning, whatever the time of the run: the sample business is
# open, so its greeting and answers do not depend on when CI runs (after-hours tests set their own moment).
OPEN_MOMENT = "2026-12-02T10:00:00-05:00"
os.environ.setdefault(CLOCK_ENV, OPEN_MOMENT)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for both UDP and TCP on loopback."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, other) as second:
            try:
                second.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port on loopback")


# The voices of the scripted callers. The e2e tests and benches speak with espeak-ng's "f3" variant (its
# formants shifted up), which tiny.en hears worst. The scenario suite speaks with espeak-ng's reference
# voice for American English. Measured offline on the suite's 74 spoken steps (bench.hearing, December 2026):
# "en-us" 63 (85 %), "en-us+f2" 62, "en-us+m3" 63, "en-gb" 62, "en-us+m1" 57, "en-us+f4" 54, "en-us+f3" 53 (72 %).
TEST_VOICE = "en-us+f3"
SCENARIO_VOICE = "en-us"


def espeak_wav(text: str, path: Path, voice: str = TEST_VOICE) -> Path:
    """Speak a question with espeak-ng (a voice unlike the appliance's) into a 16 kHz mono WAV."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
    with wave.open(str(raw), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(resample(pcm, rate, 16000).tobytes())
    return path


def read_wav(path: Path) -> np.ndarray:
    """A 16 kHz mono WAV as float32 samples."""
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


@dataclass
class RunningAppliance:
    """`receptionist run` in its own process, on free loopback ports."""

    process: subprocess.Popen[str]
    data_dir: Path
    sip_port: int
    web_port: int
    log: Path

    def uri(self, user: str = "frontdesk", transport: str = "") -> str:
        suffix = f";transport={transport}" if transport else ""
        return f"sip:{user}@127.0.0.1:{self.sip_port}{suffix}"

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def since_stop(self) -> str:
        """The log from the stop on (with the threads' stacks if it hung), for a failed test's message."""
        log = self.log.read_text()
        return log[log.rfind("stopping ("):] if "stopping (" in log else log[-3000:]


WITH_TCP = {'transports = ["udp"]': 'transports = ["udp", "tcp"]'}  # config: TCP too (off by default)


def start_appliance(data_dir: Path, replace: dict[str, str] | None = None, append: str = "",
                    timeout: float = 240.0, log: Path | None = None, *,
                    command: list[str] | None = None) -> RunningAppliance:
    """Write a config for free ports and start the appliance (its output in `log`, by default appliance.log in the
    data folder; `command`: another launcher of `run`, e.g. the fault tests' own); wait until it says it is
    ready."""
    init(data_dir)
    sip_port, web_port = free_port(), free_port(socket.SOCK_STREAM)
    config = (data_dir / "config.toml").read_text()
    config = panel_ports(config.replace("port = 5060", f"port = {sip_port}"), web_port)
    config = config.replace('bind_address = "0.0.0.0"', 'bind_address = "127.0.0.1"')
    config = config.replace("rtp_port = 4000", f"rtp_port = {free_port()}")
    for old, new in (replace or {}).items():
        assert old in config, old
        config = config.replace(old, new)
    (data_dir / "config.toml").write_text(config + "\n" + append)
    return launch(data_dir, sip_port, web_port, log or data_dir / "appliance.log", timeout, command=command)


def launch(data_dir: Path, sip_port: int, web_port: int, log: Path, timeout: float = 240.0, *,
           command: list[str] | None = None) -> RunningAppliance:
    """Run the appliance on a data folder whose config is written (again, after a crash: the same ports); wait
    until it says it is ready."""
    process = subprocess.Popen([*(command or RECEPTIONIST), "run", "--config", str(data_dir / "config.toml")],
                               stdout=log.open("w"), stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    running = RunningAppliance(process, data_dir, sip_port, web_port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Receptionist ready" in log.read_text():
            return running
        if process.poll() is not None:
            raise RuntimeError(f"the appliance exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    running.stop()
    raise RuntimeError(f"the appliance did not get ready in {timeout} s:\n{log.read_text()[-3000:]}")


def record_calls(data_dir: Path) -> None:
    """Set up a data folder whose business records its calls (the profile's [recording] turned on)."""
    init(data_dir)
    profile = data_dir / "business.toml"
    text = profile.read_text()
    assert "[recording]\nenabled = false" in text
    profile.write_text(text.replace("[recording]\nenabled = false", "[recording]\nenabled = true"))


def panel_ports(config: str, web_port: int, redirect_port: int = 0) -> str:
    """A config's text with the panel on `web_port` (HTTPS) and its plain-HTTP redirect on `redirect_port` (0: off)."""
    assert "redirect_port = 8080" in config and "\nport = 8443" in config
    return config.replace("redirect_port = 8080", f"redirect_port = {redirect_port}").replace(
        "\nport = 8443", f"\nport = {web_port}")


def panel_context(data_dir: Path) -> ssl.SSLContext:
    """A TLS client context that trusts the appliance's own self-signed panel certificate (and checks it)."""
    return ssl.create_default_context(cafile=str(data_dir / "panel.crt"))


def panel_json(appliance: RunningAppliance, path: str = "/health") -> dict[str, Any]:
    """GET a panel path over HTTPS (checking the box's certificate) and return its JSON."""
    url = f"https://127.0.0.1:{appliance.web_port}{path}"
    with urllib.request.urlopen(url, timeout=5, context=panel_context(appliance.data_dir)) as reply:
        return dict(json.load(reply))


def place_call(uri: str, out: Path, *args: str, timeout: float = 180.0) -> dict[str, Any]:
    """Run the scripted SIP caller in its own process and return its JSON result."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    done = subprocess.run([sys.executable, "-m", "tests.e2e.caller", uri, "--out", str(out), "--rtp-port",
                           str(free_port()), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"caller failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def sipp(appliance: RunningAppliance, source: str, *args: str, timeout: float = 120.0,
         stats: Path | None = None) -> subprocess.Popen[str]:
    """Start SIPp calling the appliance from `source` (a loopback address of its own), at most `timeout` s; with
    `stats`, SIPp writes its figures there (read them with sipp_stats)."""
    command = ["sipp", f"127.0.0.1:{appliance.sip_port}", "-i", source, "-p", str(free_port()),
               "-mp", str(free_port()), "-s", "frontdesk", "-nostdin", "-timeout", f"{int(timeout)}s",
               "-timeout_error", *args]
    if stats is not None:
        command += ["-trace_stat", "-stf", str(stats), "-fd", "1"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def sipp_stats(path: Path) -> dict[str, str]:
    """SIPp's last `-trace_stat` line by column: "SuccessfulCall(C)", "FailedCall(C)", "ResponseTime1(C)"
    (the mean time from INVITE to 200 OK, "HH:MM:SS:micros"), ... ((C): since the start; (P): the last period)."""
    header, *rows = path.read_text().strip().splitlines()
    return dict(zip(header.split(";"), rows[-1].split(";"), strict=False)) if rows else {}


def sipp_ms(value: str) -> float:
    """A SIPp duration "HH:MM:SS:micros" in milliseconds."""
    hours, minutes, seconds, micros = (int(part) for part in value.split(":"))
    return (hours * 3600 + minutes * 60 + seconds) * 1000 + micros / 1000


def have_espeak() -> bool:
    """Whether espeak-ng (the callers' voice) is installed."""
    return shutil.which("espeak-ng") is not None


BARESIP_CONFIG = """module_path /usr/lib/baresip/modules
sip_listen 127.0.0.1:{port}
audio_source aufile,{source}
audio_player aufile,{folder}/unused.wav
module g711.so
module aufile.so
module sndfile.so
snd_path {folder}/snd
module_app account.so
module_app menu.so
"""


def baresip_call(uri: str, question: Path, folder: Path, seconds: int = 22) -> Path:
    """Call with baresip, speaking `question` after the greeting; return the WAV of what baresip heard."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "snd").mkdir(exist_ok=True)
    pcm = (read_wav(question) * 32768).astype(np.int16)
    silence = np.zeros(4 * 16000, dtype=np.int16)  # the greeting plays first
    source = folder / "question-8k.wav"
    with wave.open(str(source), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(resample(np.concatenate([silence, pcm, silence, silence, silence]), 16000, 8000).tobytes())
    (folder / "config").write_text(BARESIP_CONFIG.format(port=free_port(), source=source, folder=folder))
    (folder / "accounts").write_text("<sip:baresip@127.0.0.1>;regint=0\n")
    subprocess.run(["baresip", "-f", str(folder), "-e", f"/dial {uri}", "-t", str(seconds)],
                   capture_output=True, timeout=seconds + 30, check=False)
    heard = sorted((folder / "snd").glob("*-dec.wav"))
    if not heard:
        raise RuntimeError("baresip recorded nothing: the call did not connect")
    return heard[-1]


def transcribed_parts(transcriber: Any, pcm: np.ndarray, rate: int, gap_s: float = 0.5) -> str:
    """What a recording says, transcribed part by part between its silences (the tiny model, given one long
    recording with pauses in it, often stops after its first sentence)."""
    mono = resample(pcm, rate, 16000).astype(np.float32) / 32768.0
    frames = mono[: mono.size // 320 * 320].reshape(-1, 320)
    voiced = np.sqrt(np.mean(frames**2, axis=1)) > 0.01  # above -40 dBFS
    parts, start, quiet = [], None, 0
    for index, loud in enumerate([*voiced, False] + [False] * int(gap_s / 0.02)):
        if loud:
            start, quiet = (index if start is None else start), 0
        elif start is not None:
            quiet += 1
            if quiet > gap_s / 0.02:
                parts.append(mono[max(0, start - 10) * 320: (index - quiet + 11) * 320])  # 0.2 s either side
                start = None
    return " ".join(transcriber.transcribe(part) for part in parts)
