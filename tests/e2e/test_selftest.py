"""`receptionist selftest` for real: the embedded models measured on this box, a loopback SIP call, and a
verdict that follows from the measured numbers by the rule it prints."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from appliance.cli import init
from appliance.tier_fit import RULE, Measured, judge, verdict
from appliance.tiers import TIERS
from tests.e2e.support import RECEPTIONIST, ROOT

pytestmark = pytest.mark.models


def test_selftest_measures_the_embedded_models_and_derives_its_verdict_from_the_numbers(tmp_path: Path) -> None:
    init(tmp_path / "data")
    done = subprocess.run([*RECEPTIONIST, "selftest", "--config", str(tmp_path / "data" / "config.toml"),
                           "--turns", "3", "--json", str(tmp_path / "selftest.json")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "with the configured models (the embedded tier)" in lines[0]
    for stage in ("speech-to-text", "first LLM token", "voice, one sentence", "voice-to-voice, loopback call"):
        assert any(line.lstrip().startswith(stage) for line in lines), stage
    assert f"Rule: {RULE}" in lines
    assert [line.split()[0] for line in lines if line.startswith("  ") and line.split()[0] in TIERS] == list(TIERS)
    result = json.loads((tmp_path / "selftest.json").read_text())
    measured = Measured(**result["measured"])
    assert measured.tier == "embedded" and result["call"]["turns"] >= 3 and result["call"]["unanswered"] == 0
    assert min(measured.stt_ms, measured.llm_first_token_ms, measured.tts_ms) > 0
    assert 0 < measured.p50_ms <= measured.p95_ms
    fits = judge(measured, TIERS, result["gpu"])  # the rule, applied to the numbers it printed
    assert [fit.__dict__ for fit in fits] == result["fits"]
    assert result["verdict"] == verdict(measured, fits) and lines[-1] == f"Verdict: {result['verdict']}"
