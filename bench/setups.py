"""Call set-ups per second: 1,000 short SIPp calls from a trunk against a running appliance, over loopback.

    .venv/bin/python -m bench.setups                  # 1,000 calls offered at 25 a second
    .venv/bin/python -m bench.setups --rate 40        # find where it stops keeping up

The calls come from 127.0.0.5, configured as a trunk (`[sip] trunk_sources`), as an installer sets up a PBX or
SIP trunk: no per-source rate or line limit applies to it, only the box's own (`max_concurrent_calls`, the
set-ups per second of all sources together). SIPp's built-in `uac` places each call (INVITE, 200 OK, ACK), hangs
up at once (BYE) and keeps at most as many calls up as the box has lines. Prints the calls answered and
refused, the set-ups per second achieved, the mean time from INVITE to 200 OK, how many calls the store
recorded, and the appliance's descriptors and memory before and after. The target: >= 20 set-ups a second with
every call answered.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from appliance.storage.store import CallStore
from bench.burst import fds_and_rss
from sip.admission import AdmissionLimits
from tests.e2e.support import RunningAppliance, place_call, sipp, sipp_ms, sipp_stats, start_appliance

TRUNK = "127.0.0.5"


def stored_calls(appliance: RunningAppliance) -> int:
    """How many calls the appliance's store holds."""
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        return len(store.recent_calls(100_000))
    finally:
        store.close()


def run(appliance: RunningAppliance, folder: Path, calls: int, rate: int) -> None:
    """Offer `calls` calls at `rate` a second; print the figures."""
    lines, stats = AdmissionLimits().max_calls, folder / "setups.csv"
    started = time.monotonic()
    sipp_run = sipp(appliance, TRUNK, "-sn", "uac", "-r", str(rate), "-m", str(calls), "-l", str(lines), "-d", "0",
                    timeout=calls / rate * 3 + 60, stats=stats)
    _, err = sipp_run.communicate()
    elapsed = time.monotonic() - started
    figures = sipp_stats(stats)
    answered, refused = int(figures["SuccessfulCall(C)"]), int(figures["FailedCall(C)"])
    print(f"{calls} calls offered at {rate}/s, at most {lines} at once: {answered} answered, {refused} refused, in "
          f"{elapsed:.1f} s: {answered / elapsed:.1f} set-ups a second; INVITE to 200 OK "
          f"{sipp_ms(figures['ResponseTime1(C)']):.1f} ms on average ({100 * answered / calls:.1f} % answered)")
    if sipp_run.returncode:
        print(f"SIPp exited with {sipp_run.returncode}: {err.strip()[-500:]}")


def main() -> None:
    """Start an appliance with a trunk, place the calls, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=25, help="calls offered per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-setups-") as tmp:
        folder = Path(tmp)
        appliance = start_appliance(folder / "data", {"trunk_sources = []": f'trunk_sources = ["{TRUNK}/32"]'})
        try:
            place_call(appliance.uri(), folder / "warm", "--hangup-in-greeting", "0.5")  # lazy set-up
            fds, rss = fds_and_rss(appliance.process.pid)
            print(f"before: {fds} open descriptors, RSS {rss:.0f} MB")
            run(appliance, folder, args.calls, args.rate)
            time.sleep(3.0)
            fds, rss = fds_and_rss(appliance.process.pid)
            print(f"after: {fds} open descriptors, RSS {rss:.0f} MB, appliance alive: "
                  f"{appliance.process.poll() is None}, calls stored: {stored_calls(appliance)}")
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
