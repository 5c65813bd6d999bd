"""What encryption at rest costs the call store: the encrypted CallStore against the same work in plaintext.

    .venv/bin/python -m bench.store                  # 10,000 calls with 4 turns each
    .venv/bin/python -m bench.store --calls 1000     # a quick run

Writes the calls exactly as the switchboard does (answered row, four turns, the end: six transactions per call,
WAL with synchronous=FULL on a temp directory on disk), lists the newest 50 calls with decrypted caller names,
and erases one caller. The plaintext baseline is `PlaintextCallStore`: the same class, SQL, schema, pragmas,
transactions and lock, with identity "encryption" (UTF-8 bytes in the same BLOB columns), the bare normalized
number as the lookup index, and random bytes of a wrapped key's size as each caller's data key row. So the ratio
is the cost of AES-GCM, key wrapping/unwrapping and the keyed hash; the data_keys table and its join stay in
both, as they are part of the schema rather than of the cipher work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from appliance.call.events import CallEnded, CallStarted, Outcome, Speaker, TurnSpoken
from appliance.phone import PhoneNumber
from appliance.storage.crypto import Context, MasterKey, Vault
from appliance.storage.datarights import erase_caller
from appliance.storage.sealing import Key, Sealer
from appliance.storage.store import CallStore

WRAPPED_KEY_SIZE = 61  # version byte, nonce, 32-byte key, tag: what Vault.new_data_key stores
TURNS = (
    "Hi, I'd like to book a cleaning for next week if you have anything in the morning.",
    "Of course. We have Tuesday at nine or Thursday at ten thirty. Which suits you better?",
    "Tuesday at nine works. My name is on file, it's the same number I'm calling from.",
    "You're booked for Tuesday at nine. We'll send a reminder the day before. Anything else?",
)


class PlaintextVault(Vault):
    """No cipher at all: the lookup index is the normalized number, a data key is random bytes never used."""

    def __init__(self) -> None:
        """Nothing to unlock."""

    def new_data_key(self, key_id: str) -> bytes:
        """Random bytes the size of a wrapped key, so the data_keys rows weigh the same."""
        return os.urandom(WRAPPED_KEY_SIZE)

    def blind_index(self, number: PhoneNumber) -> str:
        """The number itself, in the canonical form the real index hashes."""
        return number.canonical

    def lookup_indexes(self, number: PhoneNumber) -> list[str]:
        """The forms the real lookup hashes, bare."""
        return list(number.lookup_forms)

    def forget(self, key_id: str) -> None:
        """No key cache."""


class PlaintextCallStore(CallStore):
    """The CallStore with identity encryption: the same SQL and transactions, UTF-8 text in the BLOB columns."""

    def __init__(self, path: Path) -> None:
        """Open as the real store does (key check and all), then swap the vault for the plaintext one."""
        super().__init__(path)
        self._sealer = PlaintextSealer(self.db, PlaintextVault())


class PlaintextSealer(Sealer):
    """Identity "sealing": UTF-8 text in the BLOB columns."""

    def seal(self, key: Key, text: str | None, table: str, row_id: str, column: str, *,
             context: Context | None = None) -> bytes | None:
        """The text's UTF-8 bytes."""
        return None if text is None else text.encode()

    def open(self, key: Key, blob: bytes | None, table: str, row_id: str, column: str, *,
             context: Context | None = None) -> str | None:
        """The bytes as text."""
        return None if blob is None else bytes(blob).decode()


@dataclass
class Figures:
    """One variant's timings, in seconds."""

    write_s: float
    write_cpu_s: float
    list_cold_s: float
    list_warm_s: float
    erase_s: float
    erased_calls: int
    db_bytes: int


def caller_number(call: int, callers: int) -> str:
    """The number of a call's caller: `callers` distinct numbers, each calling back every `callers` calls."""
    return f"+1555{call % callers:07d}"


def write_calls(store: CallStore, calls: int, callers: int) -> None:
    """Write `calls` calls as the switchboard does: open_call, four TurnSpoken, CallEnded."""
    at = time.time() - calls * 60.0
    for call in range(calls):
        call_id, started = f"{call:032x}", at + call * 60.0
        number = caller_number(call, callers)
        store.open_call(call_id, CallStarted(call_id, number, "+15550000001", started, f"Caller {number[-4:]}",
                                             "10.0.0.2:5060", "G722", f"sip-{call}"))
        for seq, text in enumerate(TURNS):
            speaker = Speaker.CALLER if seq % 2 == 0 else Speaker.RECEPTIONIST
            store.record(call_id, TurnSpoken(speaker, text, seq * 6.0, seq * 6.0 + 5.0, {"stt_ms": 180.0}))
        store.record(call_id, CallEnded(Outcome.ANSWERED, "caller hung up", started + 42.0))


def timed(action: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of `action`."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_variant(open_store: Callable[[Path], CallStore], data_dir: Path, calls: int, callers: int) -> Figures:
    """Write, list the newest 50 (fresh store, then warm) and erase one caller, timing each."""
    db_path = data_dir / "receptionist.db"
    store = open_store(db_path)
    cpu = time.process_time()
    write_s = timed(lambda: write_calls(store, calls, callers))
    write_cpu_s = time.process_time() - cpu
    store.close()
    store = open_store(db_path)  # an empty key cache, as after a restart
    newest: list[object] = []
    list_cold_s = timed(lambda: newest.extend(store.recent_calls(50)))
    assert len(newest) == min(50, calls)
    list_warm_s = statistics.median(timed(lambda: store.recent_calls(50)) for _ in range(20))
    erased: list[int] = []
    erase_s = timed(lambda: erased.append(erase_caller(store, caller_number(0, callers))))
    store.close()
    return Figures(write_s, write_cpu_s, list_cold_s, list_warm_s, erase_s, erased[0], db_path.stat().st_size)


def report(calls: int, callers: int, base: Path, plain: Figures, sealed: Figures) -> None:
    """Print both variants, the ratios and the targets."""
    print(f"{calls} calls x {len(TURNS)} turns, {callers} distinct callers; WAL, synchronous=FULL, in {base}")
    print(f"{'':10} {'write s':>9} {'µs/call':>9} {'cpu µs/call':>12} {'list50 cold':>12} {'list50 warm':>12} "
          f"{'erase':>9} {'db MB':>7}")
    for name, fig in (("plaintext", plain), ("encrypted", sealed)):
        print(f"{name:10} {fig.write_s:9.2f} {fig.write_s / calls * 1e6:9.0f} {fig.write_cpu_s / calls * 1e6:12.0f} "
              f"{fig.list_cold_s * 1e3:10.2f}ms {fig.list_warm_s * 1e3:10.2f}ms {fig.erase_s * 1e3:7.1f}ms "
              f"{fig.db_bytes / 1e6:7.1f}")
    ratio = (sealed.write_s + sealed.list_cold_s) / (plain.write_s + plain.list_cold_s)
    print(f"encrypted / plaintext, write + list newest 50: {ratio:.2f}x wall (target <= 1.5x), "
          f"{sealed.write_cpu_s / plain.write_cpu_s:.2f}x CPU of the writes")
    print(f"erase one caller ({sealed.erased_calls} calls) among {calls}: {sealed.erase_s * 1e3:.1f} ms "
          f"(target < 1000 ms)")


def main() -> None:
    """Run both variants on fresh temp directories and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=10_000, help="calls to write (default 10000)")
    parser.add_argument("--callers", type=int, default=0, help="distinct caller numbers (default calls / 5)")
    parser.add_argument("--dir", type=Path, default=None, help="where to make the temp dirs (default: system temp)")
    args = parser.parse_args()
    calls, callers = args.calls, args.callers or max(1, args.calls // 5)
    with tempfile.TemporaryDirectory(prefix="bench-store-", dir=args.dir) as base:
        plain = run_variant(PlaintextCallStore, Path(base) / "plain", calls, callers)
        key_file = Path(base) / "master.key"
        MasterKey.create(key_file)
        sealed = run_variant(lambda path: CallStore(path, key_file), Path(base) / "sealed", calls, callers)
        report(calls, callers, Path(base), plain, sealed)


if __name__ == "__main__":
    main()
