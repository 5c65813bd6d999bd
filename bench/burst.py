"""A burst of INVITEs against a running appliance (SIPp over loopback), and a genuine call in the middle of it.

    .venv/bin/python -m bench.burst                   # 2,000 calls at 100 per second (the crash reproduction)
    .venv/bin/python -m bench.burst --calls 500       # a shorter run

The flooder calls from 127.0.0.2 (SIPp's built-in `uac`, 1 s per answered call, 200 at once at most); the
genuine caller calls from 127.0.0.1 two seconds in. Prints what the flooder got, whether the genuine call was
answered and how soon its greeting started, and the appliance's open file descriptors and memory before and
after. The default config applies: 4 lines, 3 per source, 5 new calls per second per source after a burst of 10.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from tests.e2e.support import free_port, place_call, start_appliance


def _fds_and_rss(pid: int) -> tuple[int, float]:
    rss = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    return len(os.listdir(f"/proc/{pid}/fd")), int(rss.group(1)) / 1024 if rss else 0.0


def _sipp_counts(output: str) -> dict[str, int]:
    found = {}
    for label in ("Successful call", "Failed call"):
        match = re.search(rf"{label}\s+\|\s+\d+\s+\|\s+(\d+)", output)
        found[label] = int(match.group(1)) if match else -1
    return found


def main() -> None:
    """Start an appliance, burst it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=100, help="new calls per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as tmp:
        appliance = start_appliance(Path(tmp) / "data")
        try:
            place_call(appliance.uri(), Path(tmp) / "warm", "--hangup-in-greeting", "0.5")
            fds, rss = _fds_and_rss(appliance.process.pid)
            print(f"before: {fds} open descriptors, RSS {rss:.0f} MB")
            started = time.monotonic()
            burst = subprocess.Popen(
                ["sipp", "-sn", "uac", f"127.0.0.1:{appliance.sip_port}", "-i", "127.0.0.2", "-p", str(free_port()),
                 "-r", str(args.rate), "-m", str(args.calls), "-d", "1000", "-l", "200", "-nostdin",
                 "-timeout", f"{args.calls // args.rate + 60}s"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            time.sleep(2.0)
            genuine = place_call(appliance.uri(), Path(tmp) / "genuine", "--hangup-in-greeting", "1.0")
            out, _ = burst.communicate()
            print(f"burst: {args.calls} INVITEs at {args.rate}/s in {time.monotonic() - started:.1f} s: "
                  f"{_sipp_counts(out)}")
            print(f"genuine call during the burst: answered={genuine['answered']}, "
                  f"greeting after {genuine.get('greeting_ms')} ms")
            time.sleep(3.0)
            fds, rss = _fds_and_rss(appliance.process.pid)
            alive = appliance.process.poll() is None
            print(f"after: {fds} open descriptors, RSS {rss:.0f} MB, appliance alive: {alive}")
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
