"""Voice-to-voice latency over real SIP: scripted callers dial a running appliance and time its replies.

    .venv/bin/python -m bench.latency            # starts its own appliance on free loopback ports
    .venv/bin/python -m bench.latency --turns 40 --codec G722
    .venv/bin/python -m bench.latency --parallel 1,2,4 --mix llm   # capacity: turns the LLM answers too

Prints p50/p95/max of (last caller speech frame sent -> first reply audio frame received) for 1 and 2 (or the
given numbers of) simultaneous calls, the greeting delay, per-stage timings and the slowest turns from the call
records, the gaps in the appliance's outgoing audio at the caller (as root) and the appliance's memory.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from appliance.storage.store import CallStore
from bench import rtp_gaps
from bench.rtp_gaps import GapWatch
from tests.e2e.support import RunningAppliance, espeak_wav, place_call, start_appliance

QUESTIONS = {
    "facts": [
        "How much is a cleaning?",
        "Is there parking?",
        "What are your opening hours?",
        "Do you accept insurance?",
        "My tooth has been hurting since Sunday.",  # a statement: answered from the profile's needs
    ],
    "llm": [  # facts and small talk, which the LLM answers
        "How much is a cleaning?",
        "I wanted to say thank you for last week.",
        "What are your opening hours?",
        "My neighbour recommended you to me.",
        "It's my first time calling.",
    ],
}
STAGES = ("eot_wait_ms", "stt_ms", "llm_first_token_ms", "tts_first_ms", "voice_to_voice_ms")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def _caller(appliance: RunningAppliance, wavs: list[Path], out: Path, calls: int, codec: str) -> list[dict[str, Any]]:
    args = [a for w in wavs for a in ("--say", str(w))]
    result = place_call(appliance.uri(), out, *args, "--calls", str(calls), "--codec", codec, timeout=1800)
    return list(result["calls"]) if "calls" in result else [result]


def scenario(appliance: RunningAppliance, wavs: list[Path], out: Path, *, parallel: int, turns: int,
             codec: str) -> list[dict[str, Any]]:
    """Run `parallel` callers at once until about `turns` turns were timed; return every call's result."""
    calls_each = max(1, -(-turns // (parallel * len(wavs))))
    with ThreadPoolExecutor(parallel) as pool:
        futures = [pool.submit(_caller, appliance, wavs, out / f"p{parallel}-{n}", calls_each, codec)
                   for n in range(parallel)]
        return [call for future in futures for call in future.result()]


def stage_timings(appliance: RunningAppliance, sip_ids: set[str]) -> tuple[dict[str, list[float]], list[str]]:
    """Per-stage timings of the receptionist's replies, from the call records, and the three slowest turns."""
    store = CallStore(appliance.data_dir / "receptionist.db")
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    turns: list[tuple[float, str]] = []
    for row in store.recent_calls(1000):
        if row["sip_call_id"] in sip_ids:
            spoken = store.call(str(row["id"]))["turns"]
            for heard, turn in zip([None, *spoken], spoken, strict=False):
                for name in STAGES:
                    if turn["speaker"] == "receptionist" and name in turn["timings"]:
                        stages[name].append(float(turn["timings"][name]))
                if heard is not None and "voice_to_voice_ms" in turn["timings"]:
                    turns.append((turn["timings"]["voice_to_voice_ms"], f"{heard['text']!r} -> {turn['text'][:60]!r} "
                                  f"{turn['timings']}"))
    store.close()
    return stages, [text for _, text in sorted(turns, reverse=True)[:3]]


@contextlib.contextmanager
def gap_watch(appliance: RunningAppliance) -> Iterator[GapWatch | None]:
    """Watch the appliance's outgoing RTP (from its first RTP port on) while the block runs, where allowed."""
    if not rtp_gaps.available():
        yield None
        return
    first = int(re.search(r"rtp_port = (\d+)", (appliance.data_dir / "config.toml").read_text()).group(1))  # type: ignore[union-attr]
    with GapWatch(range(first, first + 200)) as watch:
        yield watch


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def report(label: str, calls: list[dict[str, Any]], stages: dict[str, list[float]], slowest: list[str]) -> None:
    """Print one scenario's figures."""
    latencies = [t["latency_ms"] for c in calls for t in c["turns"] if t["latency_ms"] is not None]
    missing = sum(t["latency_ms"] is None for c in calls for t in c["turns"])
    greetings = [c["greeting_ms"] for c in calls if c.get("greeting_ms") is not None]
    print(f"\n== {label}: {len(calls)} calls, {len(latencies)} timed turns, {missing} without a reply")
    if latencies:
        print(f"voice-to-voice (caller side)  p50 {percentile(latencies, 0.5):7.0f} ms   "
              f"p95 {percentile(latencies, 0.95):7.0f} ms   max {max(latencies):7.0f} ms")
    if greetings:
        print(f"greeting after answer         p50 {percentile(greetings, 0.5):7.0f} ms   "
              f"p95 {percentile(greetings, 0.95):7.0f} ms")
    for name, values in stages.items():
        if values:
            print(f"  {name:<26}  p50 {statistics.median(values):7.0f} ms   p95 {percentile(values, 0.95):7.0f} ms"
                  f"   (n={len(values)})")
    print("slowest turns (appliance side):", *slowest, sep="\n  ")


def main() -> None:
    """Start an appliance, run the scenarios, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="timed turns per scenario (at least)")
    parser.add_argument("--codec", default="PCMU", choices=["PCMU", "PCMA", "G722"])
    parser.add_argument("--parallel", default="1,2", help="numbers of simultaneous calls, e.g. 1,2,4")
    parser.add_argument("--llm-copies", type=int, default=0, help="[models] llm_copies (0: automatic)")
    parser.add_argument("--whisper-beam", type=int, default=0, help="[models] whisper_beam (0: automatic; 1: greedy)")
    parser.add_argument("--mix", default="facts", choices=sorted(QUESTIONS), help="the callers' questions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        root = Path(tmp)
        wavs = [espeak_wav(q, root / f"q{i}.wav") for i, q in enumerate(QUESTIONS[args.mix])]
        started = time.monotonic()
        # every caller dials from 127.0.0.1: let one source hold all four lines, as a PBX would
        appliance = start_appliance(root / "data", replace={"max_calls_per_source = 3": "max_calls_per_source = 4",
                                                            "llm_copies = 0": f"llm_copies = {args.llm_copies}",
                                                            "whisper_beam = 0": f"whisper_beam = {args.whisper_beam}"})
        rss = memory_mb(appliance.process.pid)[0]
        print(f"appliance ready in {time.monotonic() - started:.1f} s; RSS {rss:.0f} MB")
        try:
            for parallel in (int(n) for n in args.parallel.split(",")):
                with gap_watch(appliance) as gaps:
                    calls = scenario(appliance, wavs, root / "calls", parallel=parallel, turns=args.turns,
                                     codec=args.codec)
                time.sleep(1.0)  # let the last records reach the database
                stages, slowest = stage_timings(appliance, {c["sip_call_id"] for c in calls if c.get("sip_call_id")})
                report(f"{parallel} simultaneous call(s), {args.codec}, {args.mix}", calls, stages, slowest)
                print(gaps.summary() if gaps else "outgoing audio gaps: not measured (needs root for a raw socket)")
            rss, peak = memory_mb(appliance.process.pid)
            print(f"\nappliance memory: RSS {rss:.0f} MB, peak RSS {peak:.0f} MB")
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
