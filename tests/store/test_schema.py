"""The schema: migrated from an empty database at start-up, with the durable, shredding-safe pragmas."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from appliance.storage import schema
from appliance.storage.crypto import MasterKey
from appliance.storage.schema import MIGRATIONS, TABLES, SchemaUpgradeError, apply_pragmas, migrate, schema_version
from appliance.storage.store import CallStore
from tests.store.legacy import LegacyDatabase


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
                      ("calls", "caller_name"), ("calls", "source"), ("calls", "turns_digest"),
                      ("turns", "text"), ("call_events", "data"), ("summaries", "text"),
                      ("messages", "callback_number"), ("messages", "reason"), ("sms_messages", "body")]:
        assert columns[sensitive] == "BLOB", sensitive
    fks = store.db.execute("PRAGMA foreign_key_list(turns)").fetchall()
    assert any(row[2] == "calls" and row[6] == "CASCADE" for row in fks)
    store.close()


def test_sealed_rows_of_an_older_schema_are_upgraded_only_with_the_master_key(tmp_path: Path) -> None:
    old = LegacyDatabase(tmp_path / "x.db", tmp_path / "master.key")
    old.contact("+15550199887", "Ana", 1.0)
    old.close()
    db = sqlite_utils.Database(tmp_path / "x.db")
    with pytest.raises(SchemaUpgradeError, match="open it with the appliance"):
        migrate(db)
    assert schema_version(db) == 1 and "source" in db["calls"].columns_dict


def test_a_migration_another_process_applied_meanwhile_is_skipped(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = sqlite_utils.Database(tmp_path / "x.db")
    migrate(db)
    stale = iter([1])  # the version this process read before another one finished version 2
    real = schema.schema_version
    monkeypatch.setattr(schema, "schema_version", lambda db: next(stale, None) or real(db))
    assert migrate(db) == len(MIGRATIONS) and "source_v1" not in db["calls"].columns_dict
