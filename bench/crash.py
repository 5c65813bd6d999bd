"""Crash safety of the whole appliance: `kill -9` in the middle of calls, round after round.

    .venv/bin/python -m bench.crash                   # 50 rounds, 2 calls each (about 20 minutes)
    .venv/bin/python -m bench.crash --rounds 3        # a short run (the suite's: tests/e2e/test_crash.py)
    .venv/bin/python -m bench.crash --seed 1234       # replay the kill moments of an earlier run

Each round (re)starts `receptionist run` on the same data folder and checks it: its health page says ok, and
`receptionist check` finds the database whole (SQLite's integrity check, its references, every call decrypted
and matching its transcript digest). Then callers dial at once over loopback SIP and ask a question; once every
one is answered, the appliance is killed with SIGKILL after a random delay (in the greeting, the question or the
reply). At the next start, every call answered before a kill must be stored, ended or `interrupted`, and read
back with its turns. After the last kill, one more start must answer a new call and stop cleanly. Prints one
line a round and the totals; the kill moments come from a seeded generator (the seed is printed).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from appliance.storage.store import CallStore
from tests.e2e.support import (
    RECEPTIONIST,
    ROOT,
    RunningAppliance,
    espeak_wav,
    free_port,
    launch,
    panel_json,
    place_call,
    start_appliance,
)

ANSWER_TIMEOUT_S = 30.0  # every caller of a round must be answered within this
KILL_AFTER_S = (0.3, 7.0)  # the kill comes this long after the last caller was answered (uniform)
QUESTION = "What are your opening hours?"


@dataclass
class Totals:
    """What all rounds found."""

    rounds: int = 0
    answered: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # of the calls answered before a kill
    turns: int = 0  # turns stored of those calls
    restarts_s: list[float] = field(default_factory=list)
    checks_s: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Callers:
    """Callers dialled at once, each its own process, with what they printed (in their folders)."""

    processes: list[subprocess.Popen[str]]
    folders: list[Path]

    def answered(self) -> list[str]:
        """The SIP Call-IDs of the calls answered so far (each caller says so on standard error)."""
        ids = []
        for folder in self.folders:
            for line in (folder / "stderr.txt").read_text().splitlines():
                if line.startswith('{"answered"'):
                    ids.append(str(json.loads(line)["answered"]))
        return ids

    def results(self, timeout: float) -> list[dict[str, object]]:
        """Wait for every caller to finish; what each printed (tests.e2e.caller's JSON)."""
        for process in self.processes:
            process.wait(timeout)
        return [json.loads((folder / "stdout.txt").read_text().splitlines()[-1]) for folder in self.folders]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def dial(appliance: RunningAppliance, folder: Path, count: int, *script: str) -> Callers:
    """Start `count` callers at once, each playing the caller's `script` (its options: --say, ...)."""
    processes, folders = [], []
    for number in range(count):
        folders.append(out := folder / f"caller{number}")
        out.mkdir(parents=True)
        with (out / "stdout.txt").open("w") as stdout, (out / "stderr.txt").open("w") as stderr:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.caller", appliance.uri(), "--out", str(out), "--rtp-port",
                 str(free_port()), "--answer-timeout", str(ANSWER_TIMEOUT_S), *script],
                stdout=stdout, stderr=stderr, text=True, cwd=ROOT))
    return Callers(processes, folders)


def wait_answered(appliance: RunningAppliance, callers: Callers, count: int) -> list[str]:
    """Wait (at most ANSWER_TIMEOUT_S) until `count` callers are answered; the calls answered by then."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while len(callers.answered()) < count and time.monotonic() < deadline and appliance.process.poll() is None:
        time.sleep(0.05)
    return callers.answered()


def kill_in_calls(appliance: RunningAppliance, callers: Callers, count: int, delay: float) -> list[str]:
    """Wait until every caller is answered, then `delay` more, then SIGKILL the appliance; the answered calls."""
    wait_answered(appliance, callers, count)
    time.sleep(delay)
    appliance.process.kill()
    appliance.process.wait(10)
    answered = callers.answered()  # read after the kill: a call answered just before it counts too
    callers.stop()
    return answered


def check_store(appliance: RunningAppliance) -> tuple[bool, str]:
    """`receptionist check` on the running appliance's data folder: whether the store is whole, and its report."""
    done = subprocess.run([*RECEPTIONIST, "check", "--config", str(appliance.data_dir / "config.toml")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    return done.returncode == 0 and "database integrity: ok" in done.stdout, done.stdout + done.stderr[-2000:]


def stored_calls(data_dir: Path, sip_call_ids: list[str]) -> dict[str, dict[str, object] | None]:
    """The stored record of each call, by SIP Call-ID (None: not stored), decrypted through the store."""
    store = CallStore(data_dir / "receptionist.db")
    try:
        by_sip = {str(row["sip_call_id"]): str(row["id"]) for row in store.recent_calls(100_000)}
        return {sip: (store.call(by_sip[sip]) if sip in by_sip else None) for sip in sip_call_ids}
    finally:
        store.close()


def check_restart(appliance: RunningAppliance, killed: list[str], totals: Totals, label: str) -> None:
    """After a restart: health ok, the store whole, every call answered before the kill stored and ended."""
    if panel_json(appliance).get("status") != "ok":
        totals.failures.append(f"{label}: the health page is not ok after the restart")
    began = time.monotonic()
    whole, report = check_store(appliance)
    totals.checks_s.append(time.monotonic() - began)
    if not whole:
        totals.failures.append(f"{label}: receptionist check failed:\n{report}")
    for sip, call in stored_calls(appliance.data_dir, killed).items():
        if call is None:
            totals.failures.append(f"{label}: call {sip} was answered before the kill and is not stored")
            continue
        totals.outcomes[str(call["outcome"])] += 1
        totals.turns += len(call["turns"])  # type: ignore[arg-type]
        if call["outcome"] == "in-progress" or call["ended_at"] is None:
            totals.failures.append(f"{label}: call {sip} is still in progress after the restart")
    if "Traceback" in appliance.log.read_text():
        totals.failures.append(f"{label}: the restarted appliance logged a traceback (see {appliance.log})")


def restart(appliance: RunningAppliance, log: Path, totals: Totals) -> RunningAppliance:
    """Start the appliance again on the same data folder and ports; time it."""
    began = time.monotonic()
    again = launch(appliance.data_dir, appliance.sip_port, appliance.web_port, log)
    totals.restarts_s.append(time.monotonic() - began)
    return again


def run_rounds(folder: Path, rounds: int, calls: int, seed: int, report: bool = True) -> Totals:
    """Kill the appliance in the middle of calls `rounds` times, check every restart; the totals."""
    rng, totals = random.Random(seed), Totals()
    question = espeak_wav(QUESTION, folder / "question.wav")
    appliance = start_appliance(folder / "data", log=folder / "run-0.log")
    try:
        for number in range(1, rounds + 1):
            delay = rng.uniform(*KILL_AFTER_S)
            callers = dial(appliance, folder / f"round-{number}", calls, "--say", str(question), "--max-reply", "8")
            killed = kill_in_calls(appliance, callers, calls, delay)
            totals.rounds, totals.answered = number, totals.answered + len(killed)
            if len(killed) < calls:
                totals.failures.append(f"round {number}: {len(killed)} of {calls} callers answered")
            appliance = restart(appliance, folder / f"run-{number}.log", totals)
            before = sum(totals.outcomes.values())
            check_restart(appliance, killed, totals, f"round {number}")
            if report:
                print(f"round {number}: killed {delay:.1f} s after the answers, {len(killed)} call(s) answered, "
                      f"{sum(totals.outcomes.values()) - before} found stored; restart {totals.restarts_s[-1]:.1f} s",
                      flush=True)
        answered = place_call(appliance.uri(), folder / "last-call", "--hangup-in-greeting", "1.0")["answered"]
        if not answered:
            totals.failures.append("after the last restart a new call was not answered")
        if appliance.stop() != 0:
            totals.failures.append("the last run did not stop cleanly (exit status not 0)")
    finally:
        if appliance.process.poll() is None:
            appliance.process.kill()
            appliance.process.wait(10)
    return totals


def _figures(totals: Totals) -> str:
    restarts, checks = sorted(totals.restarts_s), sorted(totals.checks_s)
    return (f"{totals.rounds} rounds, {totals.answered} calls answered before a kill: stored "
            f"{sum(totals.outcomes.values())} ({dict(totals.outcomes)}), {totals.turns} turns; restart to ready "
            f"median {restarts[len(restarts) // 2]:.1f} s, slowest {restarts[-1]:.1f} s; receptionist check median "
            f"{checks[len(checks) // 2]:.1f} s; failures: {len(totals.failures)}")


def main() -> None:
    """Run the rounds in a throw-away folder and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--calls", type=int, default=2, help="callers per round, at once (at most 3: the "
                                                             "per-source line limit)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the folder (data, logs) and print where")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"seed {seed} (replay with --seed {seed})", flush=True)
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    try:
        totals = run_rounds(folder, args.rounds, args.calls, seed)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder)
    print(f"{_figures(totals)}; {time.monotonic() - began:.0f} s in all")
    for failure in totals.failures:
        print(f"FAILED {failure}")
    sys.exit(1 if totals.failures else 0)


if __name__ == "__main__":
    main()
