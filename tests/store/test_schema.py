"""Schema v1: migrated from an empty database at start-up, with the durable, shredding-safe pragmas."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from appliance.storage.crypto import MasterKey
from appliance.storage.schema import MIGRATIONS, TABLES, apply_pragmas, migrate, schema_version
from appliance.storage.store import CallStore


def test_an_empty_database_migrates_to_every_table() -> None:
    db = sqlite_utils.Database(memory=True)
    assert schema_version(db) == 0
    assert migrate(db) == len(MIGRATIONS) == schema_version(db)
    assert set(TABLES) <= set(db.table_names())
    assert migrate(db) == len(MIGRATIONS)  # a second start applies nothing


def test_pragmas_of_a_file_database(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "x.db")
    apply_pragmas(db)
    values = {name: db.execute(f"PRAGMA {name}").fetchone()[0]
              for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")}
    assert values == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "secure_delete": 1}


def test_sensitive_columns_are_blobs_and_calls_cascade() -> None:
    store = CallStore(":memory:", master=MasterKey.generate())
    columns = {(table, row[1]): row[2] for table in TABLES for row in store.db.execute(f"PRAGMA table_info({table})")}
    for sensitive in [("contacts", "number"), ("contacts", "name"), ("contacts", "notes"), ("calls", "caller_number"),
                      ("calls", "caller_name"), ("turns", "text"), ("call_events", "data"), ("summaries", "text"),
                      ("messages", "callback_number"), ("messages", "reason"), ("sms_messages", "body")]:
        assert columns[sensitive] == "BLOB", sensitive
    fks = store.db.execute("PRAGMA foreign_key_list(turns)").fetchall()
    assert any(row[2] == "calls" and row[6] == "CASCADE" for row in fks)
    store.close()
