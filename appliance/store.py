"""Call records in SQLite (sqlite-utils): the one place that reads and writes them.

All storage goes through CallStore, so encryption (its own issue) can be added in this one layer.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlite_utils

from appliance.errors import ApplianceError, ErrorCode
from appliance.frames import (
    CallEnded,
    CallEvent,
    CallStarted,
    DtmfPressed,
    ErrorRaised,
    Interrupted,
    TurnSpoken,
)


def _table(db: sqlite_utils.Database, name: str) -> Any:
    """A table of the database (sqlite-utils returns Table | View; ours are all tables)."""
    return db[name]


def _v1(db: sqlite_utils.Database) -> None:
    _table(db, "calls").create(
        {"id": str, "sip_call_id": str, "caller_number": str, "caller_name": str, "called": str, "source": str,
         "codec": str, "started_at": float, "answered_at": float, "ended_at": float, "duration_s": float,
         "outcome": str, "end_reason": str, "error_code": str},
        pk="id",
    )
    _table(db, "turns").create(
        {"id": int, "call_id": str, "seq": int, "speaker": str, "text": str, "start_s": float, "end_s": float,
         "timings": str},
        pk="id", foreign_keys=[("call_id", "calls", "id")],
    )
    _table(db, "call_events").create(
        {"id": int, "call_id": str, "at_s": float, "kind": str, "data": str},
        pk="id", foreign_keys=[("call_id", "calls", "id")],
    )
    _table(db, "turns").create_index(["call_id", "seq"])
    _table(db, "calls").create_index(["started_at"])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


class CallStore:
    """Thread-safe store of calls, their turns and events."""

    def __init__(self, path: Path | str) -> None:
        try:
            if str(path) != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ApplianceError(f"cannot open the call database {path}: {exc}; check the data_dir setting "
                                 "and its permissions", code=ErrorCode.STORE) from exc
        self._lock = threading.Lock()
        self.db = sqlite_utils.Database(conn)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.db.execute(f"PRAGMA {pragma}")
        self._migrate()

    def _table(self, name: str) -> Any:
        return _table(self.db, name)

    def _migrate(self) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.conn:
                migration(self.db)
                self.db.execute(f"PRAGMA user_version={number}")

    def open_call(self, call_id: str, started: CallStarted, *, sip_call_id: str, caller_name: str, source: str,
                  codec: str) -> str:
        """Write the call's row as soon as it is answered, so a crash still leaves a record."""
        row = {"id": call_id, "sip_call_id": sip_call_id, "caller_number": started.caller,
               "caller_name": caller_name, "called": started.called, "source": source, "codec": codec,
               "started_at": started.at, "answered_at": started.at, "outcome": "in-progress"}
        with self._lock, self.db.conn:
            self._table("calls").insert(row)
        return call_id

    def record(self, call_id: str, event: CallEvent) -> None:
        """Store one event of a call's run."""
        with self._lock, self.db.conn:
            if isinstance(event, TurnSpoken):
                self._add_turn(call_id, event)
            elif isinstance(event, CallEnded):
                self._close(call_id, event)
            elif isinstance(event, ErrorRaised | Interrupted | DtmfPressed):
                self._add_event(call_id, event)

    def _add_turn(self, call_id: str, turn: TurnSpoken) -> None:
        seq = self.db.execute("SELECT COUNT(*) FROM turns WHERE call_id = ?", [call_id]).fetchone()[0]
        self._table("turns").insert({"call_id": call_id, "seq": seq + 1, "speaker": turn.speaker.value,
                                 "text": turn.text, "start_s": turn.start, "end_s": turn.end,
                                 "timings": json.dumps(turn.timings)})

    def _add_event(self, call_id: str, event: ErrorRaised | Interrupted | DtmfPressed) -> None:
        data: dict[str, Any] = dict(vars(event))
        at = data.pop("at")
        kind = {ErrorRaised: "error", Interrupted: "interrupted", DtmfPressed: "dtmf"}[type(event)]
        self._table("call_events").insert({"call_id": call_id, "at_s": at, "kind": kind,
                                       "data": json.dumps(data)})
        if isinstance(event, ErrorRaised):
            self._table("calls").update(call_id, {"error_code": event.code})

    def _close(self, call_id: str, ended: CallEnded) -> None:
        answered = self._table("calls").get(call_id)["answered_at"]
        self._table("calls").update(call_id, {"ended_at": ended.at, "duration_s": round(ended.at - answered, 3),
                                          "outcome": ended.outcome.value, "end_reason": ended.reason})

    def call(self, call_id: str) -> dict[str, Any]:
        """One call with its turns and events."""
        with self._lock:
            row = dict(self._table("calls").get(call_id))
            row["turns"] = list(self._table("turns").rows_where("call_id = ?", [call_id], order_by="seq"))
            row["events"] = list(self._table("call_events").rows_where("call_id = ?", [call_id], order_by="id"))
        for turn in row["turns"]:
            turn["timings"] = json.loads(turn["timings"] or "{}")
        return row

    def recent_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest calls, newest first."""
        with self._lock:
            return list(self._table("calls").rows_where(order_by="started_at desc", limit=limit))

    def mark_interrupted(self) -> int:
        """Calls left in progress by a crash: mark them interrupted at start-up."""
        with self._lock, self.db.conn:
            cursor = self.db.execute("UPDATE calls SET outcome = 'interrupted', ended_at = ? "
                                     "WHERE outcome = 'in-progress'", [time.time()])
            return int(cursor.rowcount)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self.db.conn.close()
