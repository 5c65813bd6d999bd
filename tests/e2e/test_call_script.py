"""The README's `scripts/call.sh`, run as a newcomer would: baresip from a throw-away folder calls the box."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from appliance.call.audio import resample
from models import Transcriber
from tests.e2e.support import RECEPTIONIST, ROOT, RunningAppliance

pytestmark = pytest.mark.sip

CALL_SH = ROOT / "scripts" / "call.sh"
# The README's call without a sound card, run here with this test's files and port.
README_CALL = "scripts/call.sh --audio none --wav question.wav --seconds 20 --record heard.wav 127.0.0.1:5060"


@pytest.fixture
def baresip() -> None:
    """Skip without baresip, except in CI, where scripts/setup.sh --dev must have installed it."""
    if shutil.which("baresip") is None:
        reason = "baresip is missing: scripts/setup.sh --dev installs it (apt-get install baresip-core)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def call_sh(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CALL_SH), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          stdin=subprocess.DEVNULL, env=env, check=False)


def exported_calls(appliance: RunningAppliance, out: Path) -> list[dict[str, Any]]:
    """Every stored call, once the last has ended, through `receptionist export --all` as the README shows."""
    deadline = time.monotonic() + 15
    while " ended: " not in appliance.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    done = subprocess.run([*RECEPTIONIST, "export", "--config", str(appliance.data_dir / "config.toml"), "--all",
                           "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [call for contact in json.loads(out.read_text())["contacts"] for call in contact["calls"]]


def test_readme_help_and_what_to_install_without_baresip(tmp_path: Path) -> None:
    assert README_CALL in (ROOT / "README.md").read_text()
    assert "--seconds N" in call_sh("--help").stdout
    (tmp_path / "bin").mkdir()  # a PATH without baresip
    done = subprocess.run(["/bin/bash", str(CALL_SH)], capture_output=True, text=True, timeout=10,
                          env={"PATH": str(tmp_path / "bin")}, check=False)
    assert done.returncode == 2 and "apt-get install baresip-core" in done.stderr


def test_the_readme_call_reaches_the_box_and_the_caller_hears_it(baresip: None, appliance: RunningAppliance,
                                                                 questions: dict[str, Path],
                                                                 transcriber: Transcriber, tmp_path: Path) -> None:
    heard = tmp_path / "heard.wav"
    ours = {"question.wav": str(questions["hours"]), "heard.wav": str(heard),
            "127.0.0.1:5060": f"127.0.0.1:{appliance.sip_port}"}
    done = call_sh(*[ours.get(arg, arg) for arg in shlex.split(README_CALL)[1:]])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]

    [call] = exported_calls(appliance, tmp_path / "calls.json")
    assert call["called"] == "reception" and call["caller_number"] == "anonymous"
    assert call["outcome"] == "answered" and call["end_reason"] == "caller hung up"
    texts = [turn["text"] for turn in call["turns"]]
    assert "opening hours" in texts[1].lower() and "Monday to Friday" in texts[2]

    with wave.open(str(heard), "rb") as wav:
        rate = wav.getframerate()
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert len(pcm) > 15 * rate and np.sqrt(np.mean((pcm / 32768.0) ** 2)) > 0.01
    said = transcriber.transcribe(resample(pcm, rate, 16000).astype(np.float32) / 32768.0).lower()
    assert "maple street" in said and "monday to friday" in said, said
