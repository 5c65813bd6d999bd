"""The business profile's versions in a real SQLite store: round trip, sealed at rest, bound to their author, kept
through a schema upgrade and a master key rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from appliance.cli import init
from appliance.config import load_settings
from appliance.storage.crypto import DecryptionError
from appliance.storage.profiles import PROFILE_KEY
from appliance.storage.rotation import rotate_master_key
from appliance.storage.schema import MIGRATIONS, refuse_sealed_rows, schema_version
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, add_call, contains, file_bytes

PROFILE = 'name = "Zebra Canary Dental"\nblocked = ["+1 555 0199 001"]\n'


def test_versions_round_trip_newest_live(store: CallStore) -> None:
    assert store.profiles.live() is None and store.profiles.live_number() == 0 and store.profiles.history() == []
    assert store.profiles.add(PROFILE, "file", at=100.0) == 1
    assert store.profiles.add("name = 'Other'\n", "panel:ann", at=200.0) == 2
    assert store.profiles.add(PROFILE, "cli", restored_from=1, at=300.0) == 3
    live = store.profiles.live()
    assert live is not None and (live.version, live.text, live.source, live.restored_from) == (3, PROFILE, "cli", 1)
    assert store.profiles.get(2).text == "name = 'Other'\n" and store.profiles.get(2).created_at == 200.0
    assert store.profiles.history() == [
        {"version": 3, "source": "cli", "created_at": 300.0, "restored_from": 1, "live": True},
        {"version": 2, "source": "panel:ann", "created_at": 200.0, "restored_from": None, "live": False},
        {"version": 1, "source": "file", "created_at": 100.0, "restored_from": None, "live": False},
    ]
    with pytest.raises(KeyError, match="no stored profile version 9"):
        store.profiles.get(9)
    with pytest.raises(ValueError, match="one line"):
        store.profiles.add(PROFILE, "panel:ann\nfile")


def test_the_text_is_sealed_under_the_boxs_key_and_bound_to_its_author(store: CallStore, db_path: Path) -> None:
    store.profiles.add(PROFILE, "panel:ann")
    store.checkpoint()
    data = file_bytes(db_path)
    assert not contains(data, "Zebra Canary") and not contains(data, "0199 001")
    [key_id] = [row[0] for row in store.db.execute("SELECT key_id FROM data_keys")]
    assert key_id == PROFILE_KEY  # the box's own key: no contact, so no caller's erasure or export reaches it
    store.db.execute("UPDATE profile_versions SET source = 'file'")
    with pytest.raises(DecryptionError):
        store.profiles.get(1)


def test_an_older_database_gets_the_table_and_keeps_its_calls(db_path: Path, key_path: Path) -> None:
    store = CallStore(db_path, key_path)
    add_call(store, "a1", NUMBER)
    store.close()
    db = sqlite_utils.Database(db_path)
    db.execute("DROP TABLE profile_versions")  # as the database was before this version of the schema
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    db.conn.close()
    store = CallStore(db_path, key_path)
    try:
        assert schema_version(store.db) == len(MIGRATIONS)
        assert store.profiles.live_number() == 0 and store.call("a1")["turns"][0]["text"].startswith("I said")
        assert store.profiles.add(PROFILE, "file") == 1
    finally:
        store.close()


def test_the_migration_alone_on_a_bare_database() -> None:
    db = sqlite_utils.Database(memory=True)
    for migration in MIGRATIONS:
        migration(db, refuse_sealed_rows)
    assert db["profile_versions"].columns_dict == {"version": int, "text": bytes, "source": str,
                                                   "restored_from": int, "created_at": float}


def test_a_key_rotation_keeps_the_profile_readable(tmp_path: Path) -> None:
    init(tmp_path)
    settings = load_settings(tmp_path / "config.toml")
    store = CallStore.open(settings)
    store.profiles.add(PROFILE, "file")
    store.close()
    rotate_master_key(settings)
    store = CallStore.open(settings)
    try:
        live = store.profiles.live()
        assert live is not None and live.text == PROFILE
    finally:
        store.close()
