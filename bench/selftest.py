"""The self-test of a box: how fast it runs the configured models, and which model tier it can carry.

    receptionist selftest                        # runs this, from the project folder
    .venv/bin/python -m bench.selftest --config data/config.toml --turns 10 --json selftest.json

Measures speech-to-text on a few seconds of speech (spoken by the installed Piper voice), the LLM's first token,
the voice's first sentence, and voice-to-voice latency on a real SIP call over loopback to an appliance started
with the same models (the latency benchmark's caller: `bench.latency`, `tests.e2e.support`). Then it applies the
rule of `appliance.tier_fit` and prints it with the verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.call.audio import resample
from appliance.call.engines import Engines, load_engines
from appliance.config import Settings, default_config_path, load_settings
from appliance.config_edit import set_keys
from appliance.errors import ApplianceError
from appliance.reception.policy import system_prompt
from appliance.reception.profile import parse_profile
from appliance.tier_fit import RULE, Fit, Measured, judge, verdict
from appliance.tiers import TIERS, configured_tier
from bench.latency import QUESTIONS as MIXES
from bench.latency import percentile, scenario
from models import ChatMessage, ModelRegistry
from tests.e2e.support import start_appliance

SPEECH = "Hello, I would like to book a cleaning for next Tuesday morning. How much does that cost?"
REPLY = "A cleaning is eighty-five dollars."  # a typical first sentence: the one the caller waits for
RUNS = 4
QUESTIONS = MIXES["llm"]  # facts and small talk: the LLM answers some turns, so its size shows in the latency


def _median_ms(work: Callable[[], object], runs: int = RUNS) -> float:
    """Median wall time of `work` in ms, after one warm-up run."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _first_token_ms(engines: Engines, prompt: str, question: str) -> float:
    """Time from asking the LLM to its first piece of reply."""
    started = time.perf_counter()
    pieces = engines.chat.stream([ChatMessage("system", prompt), ChatMessage("user", question)], max_tokens=24)
    try:
        next(pieces, "")
        return (time.perf_counter() - started) * 1000
    finally:
        pieces.close()


def _sample_prompt() -> str:
    """The system prompt of the sample business (the one `receptionist init` writes and the test call reaches)."""
    text = resources.files("appliance").joinpath("business_template.toml").read_text(encoding="utf-8")
    return system_prompt(parse_profile(text, "the sample profile", Path(".")).default)


def measure_stages(settings: Settings) -> tuple[dict[str, float], float]:
    """Median times of each stage with the configured models, and the seconds of speech transcribed."""
    engines = load_engines(settings, ModelRegistry())
    voice = engines.synthesizer
    speech = resample(voice.synthesize(SPEECH), voice.sample_rate, 16000)
    stt = _median_ms(lambda: engines.transcriber.transcribe(speech, 16000))
    prompt = _sample_prompt()
    engines.chat.warm(prompt)
    _first_token_ms(engines, prompt, QUESTIONS[0])  # the first reply after a load pays for allocations
    llm = statistics.median(_first_token_ms(engines, prompt, q) for q in QUESTIONS[:RUNS])
    tts = _median_ms(lambda: voice.synthesize(REPLY))
    return {"stt_ms": stt, "llm_first_token_ms": llm, "tts_ms": tts}, len(speech) / 16000


def _piper_wav(engines_voice: Any, text: str, path: Path) -> Path:
    """A caller's question spoken by the installed Piper voice, as the 16 kHz mono WAV the test caller sends."""
    pcm = resample(engines_voice.synthesize(text), engines_voice.sample_rate, 16000)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(pcm.tobytes())
    return path


def appliance_config_changes(settings: Settings) -> dict[str, str]:
    """Line replacements that give a fresh config (the template) the configured [models] keys."""
    template = resources.files("appliance").joinpath("config_template.toml").read_text(encoding="utf-8")
    values = {key: str(value) if isinstance(value, Path) else value
              for key, value in settings.models.model_dump().items()}
    edited = set_keys(template, "models", values)
    old, new = template.splitlines(), edited.splitlines()
    if len(old) != len(new):
        raise ApplianceError("the config template lacks a [models] key; cannot copy the configured models")
    return {a: b for a, b in zip(old, new, strict=True) if a != b}


def measure_call(settings: Settings, root: Path, turns: int) -> dict[str, float]:
    """Voice-to-voice latency (caller side) of one call at a time over loopback SIP, with the configured models."""
    voice = ModelRegistry().synthesizer(settings.models.voice, settings.models.voice_config)
    asked = QUESTIONS[:turns] if turns < len(QUESTIONS) else QUESTIONS  # a short test asks fewer, in one call
    wavs = [_piper_wav(voice, q, root / f"q{i}.wav") for i, q in enumerate(asked)]
    appliance = start_appliance(root / "data", replace=appliance_config_changes(settings))
    try:
        calls = scenario(appliance, wavs, root / "calls", parallel=1, turns=turns, codec="PCMU")
    finally:
        appliance.stop()
    latencies = [t["latency_ms"] for c in calls for t in c["turns"] if t["latency_ms"] is not None]
    if not latencies:
        raise ApplianceError(f"the test call got no reply to any question; see {appliance.log}")
    unanswered = sum(t["latency_ms"] is None for c in calls for t in c["turns"])
    return {"p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "turns": len(latencies), "unanswered": unanswered}


def has_cuda() -> bool:
    """Whether speech recognition would find a CUDA GPU on this box."""
    try:
        import ctranslate2  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy

        return int(ctranslate2.get_cuda_device_count()) > 0
    except (ImportError, RuntimeError):
        return False


def report(tier: str, stages: dict[str, float], seconds: float, call: dict[str, float], *, gpu: bool,
           fits: list[Fit], said: str) -> None:
    """Print the measurements, the rule and the verdict."""
    cores, load = len(os.sched_getaffinity(0)), os.getloadavg()[0]
    print(f"Self-test of this box ({cores} cores, {'a CUDA GPU' if gpu else 'no CUDA GPU'}, load average {load:.1f} "
          f"now) with the configured models ({tier if tier == 'custom' else f'the {tier} tier'}):")
    print(f"  speech-to-text, {seconds:.1f} s of speech   median {stages['stt_ms']:6.0f} ms  ({RUNS} runs)")
    print(f"  first LLM token                 median {stages['llm_first_token_ms']:6.0f} ms  ({RUNS} questions)")
    print(f"  voice, one sentence             median {stages['tts_ms']:6.0f} ms  ({RUNS} runs)")
    print(f"  voice-to-voice, loopback call   p50 {call['p50_ms']:6.0f} ms   p95 {call['p95_ms']:6.0f} ms  "
          f"({call['turns']:.0f} turns, {call['unanswered']:.0f} unanswered)")
    print(f"Rule: {RULE}")
    for fit in fits:
        numbers = f"p50 {fit.p50_ms:6.0f} ms  p95 {fit.p95_ms:6.0f} ms" if fit.p50_ms is not None else " " * 29
        print(f"  {fit.tier:<9} {fit.how:<11} {numbers}  {fit.note}")
    print(f"Verdict: {said}")


def main(argv: list[str] | None = None) -> int:
    """Measure, judge, print (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="config file (default: data/config.toml)")
    parser.add_argument("--turns", type=int, default=10, help="timed turns of the loopback call (at least)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results here")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config or default_config_path())
        tier = configured_tier(settings.models.model_dump(), settings.data_dir, TIERS)
        stages, seconds = measure_stages(settings)
        with tempfile.TemporaryDirectory(prefix="selftest-") as tmp:
            call = measure_call(settings, Path(tmp), max(1, args.turns))
    except ApplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    measured = Measured(tier, stages["stt_ms"], stages["llm_first_token_ms"], stages["tts_ms"], call["p50_ms"],
                        call["p95_ms"])
    gpu = has_cuda()
    fits = judge(measured, TIERS, gpu)
    said = verdict(measured, fits)
    report(tier, stages, seconds, call, gpu=gpu, fits=fits, said=said)
    if args.json:
        args.json.write_text(json.dumps({"measured": asdict(measured), "call": call, "gpu": gpu, "rule": RULE,
                                         "fits": [asdict(f) for f in fits], "verdict": said}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
