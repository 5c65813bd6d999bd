"""An INVITE flood from one source against a running appliance (SIPp over loopback), and genuine calls from
another source through it.

    .venv/bin/python -m bench.burst                   # 60 s at 100 INVITEs a second (6,000)
    .venv/bin/python -m bench.burst --seconds 20      # a shorter run

The flooder calls from 127.0.0.2 (SIPp's built-in `uac`: each answered call held 100 ms, then BYE; at most 200
at once). The genuine caller calls from 127.0.0.1 once before the flood (the baseline), then every `--every`
seconds while it lasts. Prints what the flooder got against what its per-source limit allows, whether each
genuine call was answered and how soon (set-up: dial to answer; greeting: answer to the first word), and the
appliance's open descriptors and memory before and after. The default config applies: 4 lines, 3 per source, 5
new calls a second per source after a burst of 10.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sip.admission import AdmissionLimits
from tests.e2e.support import RunningAppliance, place_call, sipp, sipp_stats, start_appliance

FLOODER, GENUINE = "127.0.0.2", "127.0.0.1"
HOLD_MS = 100  # short answered calls, so the per-source rate, not the per-source lines, is what binds


def fds_and_rss(pid: int) -> tuple[int, float]:
    """Open file descriptors and resident memory (MB) of a process."""
    rss = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return len(os.listdir(f"/proc/{pid}/fd")), int(rss.group(1)) / 1024 if rss else 0.0


def genuine_call(appliance: RunningAppliance, folder: Path) -> dict[str, Any]:
    """One call from the genuine source that hangs up a second into the greeting."""
    return place_call(appliance.uri(), folder, "--bind", GENUINE, "--hangup-in-greeting", "1.0")


def describe(calls: list[dict[str, Any]]) -> str:
    """Answered count, and the median and worst set-up and greeting times of genuine calls."""
    answered = [c for c in calls if c["answered"] and c.get("greeting_ms") is not None]
    if not answered:
        return f"0/{len(calls)} answered"
    setup = [float(c["answer_ms"]) for c in answered]
    greeting = [float(c["greeting_ms"]) for c in answered]
    return (f"{len(answered)}/{len(calls)} answered; set-up median {statistics.median(setup):.0f} ms, worst "
            f"{max(setup):.0f} ms; greeting median {statistics.median(greeting):.0f} ms, worst {max(greeting):.0f} ms")


def flood(appliance: RunningAppliance, folder: Path, seconds: int, rate: int, every: float) -> None:
    """Flood for `seconds` while calling genuinely every `every` s; print the figures."""
    stats = folder / "flood-stats.csv"
    started = time.monotonic()
    burst = sipp(appliance, FLOODER, "-sn", "uac", "-r", str(rate), "-m", str(rate * seconds), "-d", str(HOLD_MS),
                 "-l", "200", timeout=seconds + 60, stats=stats)
    during: list[dict[str, Any]] = []
    while burst.poll() is None:
        time.sleep(max(0.0, started + every * (len(during) + 0.5) - time.monotonic()))
        if burst.poll() is None:
            during.append(genuine_call(appliance, folder / f"during-{len(during)}"))
    burst.communicate()
    figures = sipp_stats(stats)
    elapsed = time.monotonic() - started
    answered, refused = int(figures["SuccessfulCall(C)"]), int(figures["FailedCall(C)"])
    print(f"flood from {FLOODER}: {figures['OutgoingCall(C)']} INVITEs in {elapsed:.1f} s ({rate}/s): {answered} "
          f"answered ({answered / elapsed:.1f}/s), {refused} refused; the per-source limit allows at most "
          f"{AdmissionLimits().admitted_at_most(elapsed):.0f}")
    print(f"genuine calls from {GENUINE} during the flood: {describe(during)}")


def main() -> None:
    """Start an appliance, flood it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long the flood lasts")
    parser.add_argument("--rate", type=int, default=100, help="INVITEs per second from the flooder")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between genuine calls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
        folder = Path(tmp)
        appliance = start_appliance(folder / "data")
        try:
            genuine_call(appliance, folder / "warm")  # the first call sets up what later calls reuse
            print(f"genuine call before the flood: {describe([genuine_call(appliance, folder / 'baseline')])}")
            fds, rss = fds_and_rss(appliance.process.pid)
            print(f"before: {fds} open descriptors, RSS {rss:.0f} MB")
            flood(appliance, folder, args.seconds, args.rate, args.every)
            time.sleep(3.0)
            fds, rss = fds_and_rss(appliance.process.pid)
            alive = appliance.process.poll() is None
            print(f"after: {fds} open descriptors, RSS {rss:.0f} MB, appliance alive: {alive}")
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
