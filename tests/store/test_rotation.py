"""Master key rotation: everything decrypts with the new key, the old one no longer opens the database."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from appliance.backup import create_backup, restore_backup
from appliance.cli import init, main
from appliance.config import Settings, load_settings
from appliance.crypto import MasterKey, WrongMasterKeyError
from appliance.datarights import export_all
from appliance.errors import ApplianceError
from appliance.rotation import ServiceRunningError, hold_service_lock, rotate_master_key
from appliance.store import CallStore
from tests.store.conftest import NUMBER, OTHER, add_call


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    init(tmp_path / "box")
    settings = load_settings(tmp_path / "box" / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    add_call(store, "b1", OTHER, "other words", name="Bo Other")
    store.add_message("b1", {"name": "Bo", "callback_number": OTHER, "reason": "quote"}, at=70)
    store.close()
    return settings


def _contacts(settings: Settings, data_dir: Path | None = None, key: Path | None = None) -> list[dict[str, Any]]:
    store = CallStore((data_dir or settings.data_dir) / "receptionist.db", key or settings.storage.master_key)
    try:
        return list(export_all(store)["contacts"])
    finally:
        store.close()


def test_rotation_rewraps_every_key_under_the_new_master_key(settings: Settings) -> None:
    before = _contacts(settings)
    old_secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    old = rotate_master_key(settings)
    assert old == settings.storage.master_key.with_name("master.key.old")
    assert MasterKey.load(old).secret_bytes() == old_secret
    assert MasterKey.load(settings.storage.master_key).secret_bytes() != old_secret
    assert _contacts(settings) == before
    with pytest.raises(WrongMasterKeyError):
        CallStore(settings.database_path, master=MasterKey(old_secret))
    store = CallStore.open(settings)  # a new caller after the rotation gets a key under the new master key
    add_call(store, "c1", "+15550123456")
    store.close()
    assert len(_contacts(settings)) == 3


def test_rotation_refuses_while_the_service_holds_the_lock(settings: Settings) -> None:
    secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    fd = hold_service_lock(settings.data_dir)
    try:
        with pytest.raises(ServiceRunningError, match="stop it first"):
            rotate_master_key(settings)
    finally:
        os.close(fd)
    assert MasterKey.load(settings.storage.master_key).secret_bytes() == secret
    assert not settings.storage.master_key.with_name("master.key.old").exists()


def test_a_failed_rotation_puts_the_old_key_back(settings: Settings) -> None:
    before = _contacts(settings)
    secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    db = sqlite3.connect(settings.database_path)
    db.execute("CREATE TRIGGER full_disk BEFORE UPDATE ON settings BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    db.commit()
    with pytest.raises(ApplianceError, match="disk full"):
        rotate_master_key(settings)
    db.execute("DROP TRIGGER full_disk")
    db.commit()
    db.close()
    assert MasterKey.load(settings.storage.master_key).secret_bytes() == secret
    assert not settings.storage.master_key.with_name("master.key.old").exists()
    assert _contacts(settings) == before


def test_an_unconfirmed_rotation_blocks_the_next_one(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(settings.data_dir / "config.toml")
    assert main(["keys", "rotate", "--config", config]) == 0
    assert "keys confirm" in capsys.readouterr().out
    assert main(["keys", "rotate", "--config", config]) == 2
    assert "not finished" in capsys.readouterr().err
    assert main(["keys", "confirm", "--config", config]) == 0
    assert not settings.storage.master_key.with_name("master.key.old").exists()
    assert main(["keys", "rotate", "--config", config]) == 0


def test_a_backup_from_before_the_rotation_needs_the_old_key(settings: Settings, tmp_path: Path) -> None:
    before = _contacts(settings)
    written = create_backup(settings, tmp_path / "before.backup")
    old = rotate_master_key(settings)
    with pytest.raises(WrongMasterKeyError, match="--key"):
        restore_backup(settings, written, tmp_path / "restored")
    restored = restore_backup(settings, written, tmp_path / "restored", old)
    assert _contacts(settings, restored.database.parent, old) == before
