"""A call writer for the crash test: writes calls as the appliance does until it is killed, printing acknowledged ids.

    python -m tests.store.crash_writer DATA_DIR KEY_FILE

Prints `ready` once the store is open, then each call's id only after all of its writes returned (the call is
acknowledged). The test derives every expected field from the id with `expected_call`, so nothing else is shared.
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path
from typing import Any

from appliance.call.events import CallEnded, CallStarted, Outcome, Speaker, TurnSpoken
from appliance.storage.store import CallStore

DB_NAME = "receptionist.db"
TURNS = 4
# A few returning callers (shared contacts and data keys) and anonymous ones (a new contact per call).
CALLERS = ("+15550100001", "+1 (555) 010-0002", "+15550100003", "anonymous", "")


def expected_call(call_id: str) -> dict[str, Any]:
    """The caller number, caller name and turn texts the writer stores for `call_id`."""
    pick = int(call_id, 16)
    return {"caller_number": CALLERS[pick % len(CALLERS)], "caller_name": f"Caller {pick % 97}",
            "turns": [f"turn {seq} of call {call_id}: can I book a cleaning on Tuesday?" for seq in range(TURNS)]}


def write_call(store: CallStore, call_id: str, at: float) -> None:
    """One call exactly as the switchboard writes it: answered row, four turns, the end."""
    expected = expected_call(call_id)
    started = CallStarted(call_id, expected["caller_number"], "+15550000001", at, expected["caller_name"],
                          "127.0.0.1:5062", "G722", f"sip-{call_id}")
    store.open_call(call_id, started)
    for seq, text in enumerate(expected["turns"]):
        speaker = Speaker.CALLER if seq % 2 == 0 else Speaker.RECEPTIONIST
        store.record(call_id, TurnSpoken(speaker, text, seq * 2.0, seq * 2.0 + 1.5, {"stt_ms": 40.0}))
    store.record(call_id, CallEnded(Outcome.ANSWERED, "caller hung up", at + 30.0))


def main(data_dir: Path, key_file: Path) -> None:
    """Write calls until killed; print and flush each id once the call's writes have returned."""
    store = CallStore(data_dir / DB_NAME, key_file)
    print("ready", flush=True)
    while True:
        call_id = uuid.uuid4().hex
        write_call(store, call_id, time.time())
        print(call_id, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
