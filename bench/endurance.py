"""Endurance: many short calls in a row against one running appliance, watched from outside for leaks.

    .venv/bin/python -m bench.endurance                      # 500 calls, at most 75 minutes
    .venv/bin/python -m bench.endurance --calls 100 --minutes 15

Each call hears the greeting (a short one), asks one question (a fact, or a statement the LLM answers: the two
alternate by batch), hears the start of the reply and hangs up. After a warm-up batch, the appliance's resident
memory, open file descriptors and threads are read between batches (idle). At the end it prints the growth of
each, and p50/p95 voice-to-voice (caller side, as `bench.latency` times it) of the first and the last 50 turns.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.cli import init
from bench.latency import memory_mb, percentile
from tests.e2e.support import RunningAppliance, espeak_wav, place_call, start_appliance

QUESTIONS = ("Is there parking?", "I will bring my little dog with me.")  # a fact; the LLM
GREETING = 'greeting = "Maple Street Dental, hello."'
SHORT_CALL = ("--quiet", "0.8", "--hangup-in-reply", "0.5")  # the caller hangs up half a second into the reply
SETTLE_S = 1.5  # after a batch: the last call's record is written and its threads have ended
WINDOW = 50  # turns compared at the start and at the end


@dataclass(frozen=True)
class Figures:
    """What the appliance process holds at one moment."""

    rss_mb: float
    fds: int
    threads: int


def figures(pid: int) -> Figures:
    """Resident memory, open file descriptors and threads of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
    return Figures(memory_mb(pid)[0], len(os.listdir(f"/proc/{pid}/fd")), threads)


def short_data_dir(folder: Path) -> Path:
    """A data folder whose business greets briefly (the calls are short; the greeting's length is not tested)."""
    init(folder)
    profile = folder / "business.toml"
    lines = profile.read_text().splitlines()
    profile.write_text("\n".join(GREETING if line.startswith("greeting = ") else line for line in lines) + "\n")
    return folder


def batch(appliance: RunningAppliance, question: Path, calls: int, out: Path) -> list[dict[str, Any]]:
    """Place `calls` short calls in a row from one caller; return each call's result."""
    result = place_call(appliance.uri(), out, "--say", str(question), "--calls", str(calls), *SHORT_CALL,
                        timeout=60 + 30 * calls)
    return list(result["calls"]) if "calls" in result else [result]


@dataclass
class Endurance:
    """Calls placed so far, and the appliance's figures after each batch (the first: after the warm-up)."""

    calls: list[dict[str, Any]]
    samples: list[Figures]

    def latencies(self) -> list[float]:
        return [float(t["latency_ms"]) for c in self.calls for t in c["turns"] if t["latency_ms"] is not None]


def endure(appliance: RunningAppliance, questions: list[Path], out: Path, *, calls: int, batch_size: int,
           until: float, progress: Callable[[int, Figures], None] = lambda n, f: None) -> Endurance:
    """Warm up with one batch, then place `calls` calls in batches (the questions by turns) until done or the
    monotonic deadline `until`; read the appliance's figures after each batch."""
    batch(appliance, questions[0], 2, out / "warm-up")
    time.sleep(SETTLE_S)
    run = Endurance([], [figures(appliance.process.pid)])
    while len(run.calls) < calls and time.monotonic() < until:
        question = questions[(len(run.calls) // batch_size) % len(questions)]
        size = min(batch_size, calls - len(run.calls))
        run.calls += batch(appliance, question, size, out / f"batch{len(run.calls)}")
        time.sleep(SETTLE_S)
        run.samples.append(figures(appliance.process.pid))
        progress(len(run.calls), run.samples[-1])
    return run


def report(run: Endurance, load: tuple[float, float, float]) -> None:
    """Print the growth of memory, descriptors and threads, and the first and last turns' latency."""
    first, last = run.samples[0], run.samples[-1]
    answered = sum(bool(c["answered"]) for c in run.calls)
    latencies = run.latencies()
    print(f"\n{len(run.calls)} calls, {answered} answered, {len(latencies)} timed turns; load average at the end "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"memory (RSS)  {first.rss_mb:7.1f} -> {last.rss_mb:7.1f} MB  ({last.rss_mb - first.rss_mb:+.1f} MB, "
          f"peak between batches {max(s.rss_mb for s in run.samples):.1f} MB)")
    print(f"descriptors   {first.fds:7d} -> {last.fds:7d}     ({last.fds - first.fds:+d})")
    print(f"threads       {first.threads:7d} -> {last.threads:7d}     ({last.threads - first.threads:+d})")
    if len(latencies) >= 2 * WINDOW:
        head, tail = latencies[:WINDOW], latencies[-WINDOW:]
        p95_head, p95_tail = percentile(head, 0.95), percentile(tail, 0.95)
        print(f"voice-to-voice, first {WINDOW} turns  p50 {percentile(head, 0.5):6.0f} ms  p95 {p95_head:6.0f} ms")
        print(f"voice-to-voice, last {WINDOW} turns   p50 {percentile(tail, 0.5):6.0f} ms  p95 {p95_tail:6.0f} ms  "
              f"({(p95_tail / p95_head - 1) * 100:+.1f} % p95)")


def main() -> None:
    """Start an appliance, place the calls, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--batch", type=int, default=25, help="calls per caller process (figures between)")
    parser.add_argument("--minutes", type=float, default=75.0, help="stop placing batches after this long")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-endurance-") as tmp:
        root = Path(tmp)
        wavs = [espeak_wav(q, root / f"q{i}.wav") for i, q in enumerate(QUESTIONS)]
        appliance = start_appliance(short_data_dir(root / "data"))
        began = time.monotonic()
        try:
            run = endure(appliance, wavs, root / "calls", calls=args.calls, batch_size=args.batch,
                         until=began + args.minutes * 60,
                         progress=lambda n, f: print(f"{n:4d} calls  {time.monotonic() - began:6.0f} s  RSS "
                                                     f"{f.rss_mb:6.1f} MB  fds {f.fds}  threads {f.threads}",
                                                     flush=True))
            report(run, os.getloadavg())
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
