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

from models import Transcriber
from tests.e2e.support import RECEPTIONIST, ROOT, RunningAppliance, espeak_wav, free_port, read_wav, transcribed_parts

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
    said = transcribed_parts(transcriber, pcm, rate).lower()
    assert "maple street" in said and "monday to friday" in said, said


# The README's steps to be put through to a second softphone, run with this test's ports and files.
README_PUT_THROUGH = (
    ".venv/bin/receptionist profile show > mine.toml",
    """sed -i 's|^target = "201"|target = "sip:ann@127.0.0.1:5070"|' mine.toml""",
    ".venv/bin/receptionist profile import mine.toml",
    "scripts/call.sh --answer 127.0.0.1:5070",
    "scripts/call.sh",
)


def said_again(text: str, path: Path, times: int, gap_s: float) -> Path:
    """A 16 kHz WAV of `text` said `times` times, `gap_s` apart (a team member saying yes until heard)."""
    once = read_wav(espeak_wav(text, path.with_suffix(".once.wav")))
    gap = np.zeros(int(gap_s * 16000), dtype=np.float32)
    pcm = np.concatenate([part for _ in range(times) for part in (once, gap)])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((pcm * 32767).astype("<i2").tobytes())
    return path


def run_readme_line(line: str, appliance: RunningAppliance, ann_port: int, folder: Path) -> None:
    """One of the README's profile steps, with this appliance's config and Ann's port."""
    config = f"--config {appliance.data_dir / 'config.toml'}"
    line = line.replace("127.0.0.1:5070", f"127.0.0.1:{ann_port}").replace(".venv/bin/receptionist", shlex.join(
        RECEPTIONIST))
    for action in ("show", "import mine.toml"):
        line = line.replace(f"profile {action}", f"profile {action} {config}")
    done = subprocess.run(["/bin/bash", "-c", line], capture_output=True, text=True, timeout=120, cwd=folder,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, line + "\n" + done.stderr[-2000:]


def test_the_readme_puts_a_caller_through_to_a_second_softphone(baresip: None, appliance: RunningAppliance,
                                                                 transcriber: Transcriber, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert all(line in readme for line in README_PUT_THROUGH)
    ann_port = free_port()
    in_use = appliance.log.read_text().count("in use:")
    for line in README_PUT_THROUGH[:3]:
        run_readme_line(line, appliance, ann_port, tmp_path)
    deadline = time.monotonic() + 60  # the running appliance takes the imported version up (about 8 s here)
    while appliance.log.read_text().count("in use:") == in_use and time.monotonic() < deadline:
        time.sleep(0.2)
    yes = said_again("Yes, put them through.", tmp_path / "yes.wav", times=6, gap_s=2.5)
    billing = espeak_wav("Can I speak to someone in billing?", tmp_path / "billing.wav")
    ann_heard = tmp_path / "ann-heard.wav"
    ann = subprocess.Popen([str(CALL_SH), "--answer", f"127.0.0.1:{ann_port}", "--audio", "none", "--wav", str(yes),
                            "--wait", "6", "--seconds", "70", "--record", str(ann_heard)], cwd=ROOT,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.0)  # Ann's softphone listens before the caller dials
        done = call_sh("--audio", "none", "--wav", str(billing), "--seconds", "45", f"127.0.0.1:{appliance.sip_port}",
                       timeout=90)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        calls = exported_calls(appliance, tmp_path / "calls.json")
    finally:
        ann.terminate()
        ann_out = ann.communicate(timeout=30)[0]
    call = calls[-1]
    assert "billing" in call["turns"][1]["text"].lower(), call["turns"]
    assert "I'll see if Ann Lee is available" in call["turns"][2]["text"]
    story = [t["text"] for t in call["turns"]] + [f'{e["kind"]} {e["data"]}' for e in call["events"]]
    assert (call["outcome"], call["end_reason"]) == ("transferred", f"transferred:sip:ann@127.0.0.1:{ann_port}"), \
        "\n".join([*story, ann_out[-3000:]])
    with wave.open(str(ann_heard), "rb") as wav:  # Ann heard the brief: who is calling and what they said
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        said = transcribed_parts(transcriber, pcm, wav.getframerate())
    assert "calling" in said.lower() and "billing" in said.lower(), said
