"""Crash safety: a writer process killed with SIGKILL at random moments never loses an acknowledged call.

Each round starts `tests.store.crash_writer` on the same data directory, kills it, then opens the database with
the real CallStore as the appliance does at start-up. The kill schedule comes from a seeded RNG; the seed is
printed (shown on failure) and can be replayed with CRASH_TEST_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from appliance.storage.crypto import MasterKey
from appliance.storage.store import CallStore
from tests.store.crash_writer import DB_NAME, TURNS, expected_call

ROUNDS = 25
FROM_SPAWN_SHARE = 0.2  # this share of kills is timed from the spawn, so some land in start-up and migrations
SAMPLE = 20  # earlier calls decrypted again each round
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _writer_env() -> dict[str, str]:
    """The test's environment without a systemd credential, so the writer uses the test's key file."""
    return {name: value for name, value in os.environ.items() if name != "CREDENTIALS_DIRECTORY"}


def _wait_until_ready(writer: subprocess.Popen[bytes], out: Path, err: Path) -> None:
    """Wait for the writer's `ready` line (its store is open)."""
    deadline = time.monotonic() + 30
    while not out.read_bytes().startswith(b"ready\n"):
        assert writer.poll() is None, f"the writer exited on its own:\n{err.read_text()}"
        assert time.monotonic() < deadline, "the writer did not open its store within 30 s"
        time.sleep(0.005)


def _run_and_kill(data_dir: Path, key_file: Path, rng: random.Random, out: Path) -> list[str]:
    """Start a writer, SIGKILL it after a random delay; return the ids it acknowledged."""
    from_spawn, delay = rng.random() < FROM_SPAWN_SHARE, rng.uniform(0.05, 0.6)
    err = out.with_suffix(".err")
    with out.open("wb") as stdout, err.open("wb") as stderr:
        writer = subprocess.Popen([sys.executable, "-m", "tests.store.crash_writer", str(data_dir), str(key_file)],
                                  stdout=stdout, stderr=stderr, cwd=PROJECT_ROOT, env=_writer_env())
    try:
        if not from_spawn:
            _wait_until_ready(writer, out, err)
        time.sleep(delay)
        assert writer.poll() is None, f"the writer exited on its own:\n{err.read_text()}"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    lines = out.read_text().split("\n")[:-1]  # a line without its newline was not acknowledged
    return [line for line in lines if line != "ready"]


def _check_call(store: CallStore, call_id: str, outcome: str = "answered") -> None:
    """A call reads back decrypted with exactly what the writer stored."""
    call, expected = store.call(call_id), expected_call(call_id)
    assert (call["outcome"], call["caller_number"], call["caller_name"]) == (
        outcome, expected["caller_number"], expected["caller_name"]), call_id
    texts = [turn["text"] for turn in call["turns"]]
    assert texts == expected["turns"][:len(texts)], call_id
    assert outcome != "answered" or len(texts) == TURNS, call_id


def _check_recovery(db_path: Path, key_file: Path, earlier: list[str], new: list[str], rng: random.Random) -> int:
    """Integrity, every acknowledged call whole and decryptable, calls in progress marked interrupted (counted)."""
    store = CallStore(db_path, key_file)
    try:
        assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        calls = {row[0]: (row[1], row[2]) for row in store.db.execute(
            "SELECT c.id, c.outcome, COUNT(t.id) FROM calls c LEFT JOIN turns t ON t.call_id = c.id GROUP BY c.id")}
        acknowledged = {*earlier, *new}
        damaged = {call_id: calls.get(call_id) for call_id in acknowledged if calls.get(call_id) != ("answered", TURNS)}
        assert not damaged, f"acknowledged calls lost or incomplete (outcome, turns): {damaged}"
        for call_id in [*new, *rng.sample(earlier, min(SAMPLE, len(earlier)))]:
            _check_call(store, call_id)
        in_progress = [call_id for call_id, (outcome, _) in calls.items() if outcome == "in-progress"]
        assert len(in_progress) <= 1 and not acknowledged & set(in_progress), in_progress
        assert store.mark_interrupted() == len(in_progress)
        for call_id in in_progress:
            _check_call(store, call_id, "interrupted")
        assert store.db.execute("SELECT COUNT(*) FROM calls WHERE outcome = 'in-progress'").fetchone()[0] == 0
        return len(in_progress)
    finally:
        store.close()


def test_a_killed_writer_never_loses_an_acknowledged_call(tmp_path: Path) -> None:
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.randrange(2**32))
    print(f"crash test seed {seed}: replay with CRASH_TEST_SEED={seed}")
    rng, sampler = random.Random(seed), random.Random(seed + 1)
    key_file, data_dir = tmp_path / "master.key", tmp_path / "data"
    MasterKey.create(key_file)
    acknowledged: list[str] = []
    for round_number in range(ROUNDS):
        new = _run_and_kill(data_dir, key_file, rng, tmp_path / f"writer-{round_number}.out")
        interrupted = _check_recovery(data_dir / DB_NAME, key_file, acknowledged, new, sampler)
        print(f"round {round_number}: {len(new)} acknowledged calls, {interrupted} interrupted")
        acknowledged.extend(new)
    assert len(acknowledged) >= ROUNDS, "the writer was killed before it wrote anything in most rounds"
