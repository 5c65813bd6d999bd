"""A schema-1 database as the code before schema 2 wrote it (raw SQL and the Vault), to test the upgrade.

Version 1 indexed a number with spaces, dashes, dots and parentheses removed (so `+15550199887` and
`15550199887` were two callers), sealed every field bound only to its table, column and row, and kept
`calls.source` in clear.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import uuid
from pathlib import Path

import sqlite_utils

from appliance.phone import PhoneNumber
from appliance.storage.crypto import Vault, create_key_check, create_master_key
from appliance.storage.schema import MIGRATIONS, refuse_sealed_rows
from appliance.storage.sealing import stream_aad

SOURCE = "203.0.113.77:5062"  # a documentation address, searched for as a canary in the raw file
_JUNK = str.maketrans("", "", "-.() ")


class LegacyDatabase:
    """Writes schema-1 rows exactly as the old CallStore did."""

    def __init__(self, db_path: Path, key_path: Path) -> None:
        self.db = sqlite_utils.Database(sqlite3.connect(db_path, isolation_level=None))
        self.conn = self.db.conn
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("BEGIN")
        MIGRATIONS[0](self.db, refuse_sealed_rows)
        self.conn.execute("PRAGMA user_version=1")
        master = create_master_key(key_path)
        key_check = create_key_check(master)
        self.conn.execute("INSERT INTO settings (key, value) VALUES ('key_check', ?)", [key_check])
        self.conn.execute("COMMIT")
        self.vault = Vault(master, key_check)
        self.recordings = db_path.parent / "recordings"
        self.keys: dict[str, bytes] = {}

    def contact(self, number: str | None, name: str, first_seen: float, notes: str | None = None) -> str:
        """A contact indexed the old way (None: an anonymous caller)."""
        contact_id = uuid.uuid4().hex
        self.keys[contact_id] = self.vault.new_data_key(contact_id)
        index = None if number is None else self.vault.blind_index(PhoneNumber(number.translate(_JUNK), False))
        self.conn.execute("INSERT INTO data_keys VALUES (?, ?, ?)", [contact_id, self.keys[contact_id], first_seen])
        self.conn.execute("INSERT INTO contacts (id, number_index, number, name, notes, first_seen, last_seen) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)",
                          [contact_id, index, self.seal(contact_id, number, "contacts", contact_id, "number"),
                           self.seal(contact_id, name, "contacts", contact_id, "name"),
                           self.seal(contact_id, notes, "contacts", contact_id, "notes"), first_seen, first_seen])
        return contact_id

    def call(self, call_id: str, contact_id: str, caller: str, at: float, turns: tuple[str, ...]) -> None:
        """An ended call with its turns (caller first, then in turn) and one DTMF event."""
        self.conn.execute(
            "INSERT INTO calls (id, contact_id, caller_number, caller_name, called, source, codec, sip_call_id, "
            "started_at, answered_at, ended_at, duration_s, billing_minutes, outcome, end_reason) "
            "VALUES (?, ?, ?, ?, '+15550000001', ?, 'G722', ?, ?, ?, ?, 61, 2, 'answered', 'caller hung up')",
            [call_id, contact_id, self.seal(contact_id, caller, "calls", call_id, "caller_number"),
             self.seal(contact_id, "Ana Canary", "calls", call_id, "caller_name"), SOURCE, f"sip-{call_id}", at, at,
             at + 61])
        for seq, text in enumerate(turns, start=1):
            self.conn.execute(
                "INSERT INTO turns (call_id, seq, speaker, text, start_s, end_s, timings) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [call_id, seq, "caller" if seq % 2 else "receptionist",
                 self.seal(contact_id, text, "turns", f"{call_id}:{seq}", "text"), seq, seq + 0.5,
                 json.dumps({"stt_ms": 12.0})])
        self.conn.execute("INSERT INTO call_events (call_id, seq, at_s, kind, data) VALUES (?, 1, 3, 'dtmf', ?)",
                          [call_id, self.seal(contact_id, '{"digit": "7"}', "call_events", f"{call_id}:1", "data")])

    def summary(self, call_id: str, contact_id: str, text: str) -> None:
        """A call's summary."""
        self.conn.execute("INSERT INTO summaries VALUES (?, ?, 50)",
                          [call_id, self.seal(contact_id, text, "summaries", call_id, "text")])

    def message(self, call_id: str, contact_id: str, reason: str | None, urgency: str) -> str:
        """A message taken on a call (status new)."""
        message_id = uuid.uuid4().hex
        sealed = [self.seal(contact_id, text, "messages", message_id, column)
                  for column, text in (("name", "Ana"), ("callback_number", "5551234567"), ("reason", reason),
                                       ("notes", None))]
        self.conn.execute("INSERT INTO messages (id, contact_id, call_id, name, callback_number, reason, notes, "
                          "urgency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 60)",
                          [message_id, contact_id, call_id, *sealed, urgency])
        return message_id

    def recording(self, call_id: str, contact_id: str, audio: bytes) -> Path:
        """An encrypted recording file and its row."""
        self.recordings.mkdir(mode=0o700, exist_ok=True)
        path = self.recordings / f"{uuid.uuid4().hex}.rec"
        with path.open("wb") as out:
            size = self.vault.encrypt_stream(contact_id, self.keys[contact_id], io.BytesIO(audio), out,
                                             stream_aad(call_id))
        os.chmod(path, 0o600)
        self.conn.execute("INSERT INTO recordings VALUES (?, ?, ?, ?, 70)",
                          [uuid.uuid4().hex, call_id, path.name, size])
        return path

    def seal(self, contact_id: str, text: str | None, table: str, row_id: str, column: str) -> bytes | None:
        """A field sealed as version 1 sealed it."""
        return self.vault.encrypt_field(contact_id, self.keys[contact_id], text, table=table, row_id=row_id,
                                        column=column)

    def close(self) -> None:
        """Close the connection (the file stays a version-1 database)."""
        self.conn.close()

