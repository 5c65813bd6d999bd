"""Master key rotation: everything decrypts with the new key, the old one no longer opens the database."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from appliance.cli import init, main
from appliance.config import Settings, load_settings
from appliance.errors import ApplianceError
from appliance.storage.backup import create_backup, restore_backup
from appliance.storage.crypto import (
    MasterKey,
    RotationInterruptedError,
    WrongMasterKeyError,
    create_key_check,
    install_rotated_key,
)
from appliance.storage.datarights import export_all
from appliance.storage.rotation import ServiceRunningError, hold_service_lock, rotate_master_key
from appliance.storage.schema import ROTATION_PENDING
from appliance.storage.store import CallStore
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
    [aside] = settings.data_dir.glob("master.key.rejected-*")  # the new key was moved aside, not overwritten
    assert MasterKey.load(aside).secret_bytes() != secret
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


def test_a_copy_from_before_the_rotation_leaves_both_keys_alone(settings: Settings, tmp_path: Path) -> None:
    before = _contacts(settings)
    snapshot = tmp_path / "snapshot" / "receptionist.db"  # a copied snapshot, or a restored pre-rotation backup
    snapshot.parent.mkdir()
    with closing(sqlite3.connect(settings.database_path)) as live, closing(sqlite3.connect(snapshot)) as copy:
        live.backup(copy)
    old = rotate_master_key(settings)
    new_secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    with pytest.raises(WrongMasterKeyError, match="from before a master key rotation") as caught:
        CallStore(snapshot, settings.storage.master_key)  # the configured key path, as the issue reproduced it
    assert not isinstance(caught.value, RotationInterruptedError)
    assert MasterKey.load(settings.storage.master_key).secret_bytes() == new_secret
    assert old.is_file() and not list(settings.data_dir.glob("master.key.rejected-*"))
    assert _contacts(settings) == before  # the live database still opens with the new key
    assert _contacts(settings, snapshot.parent, old) == before  # and the copy with the previous one


def test_an_open_store_holds_off_a_rotation(settings: Settings) -> None:
    store = CallStore.open(settings)  # as an export, an erase or the panel holds it
    try:
        with pytest.raises(ServiceRunningError, match="stop it first"):
            rotate_master_key(settings)
    finally:
        store.close()
    assert not settings.storage.master_key.with_name("master.key.old").exists()
    rotate_master_key(settings)


def _interrupted_rotation(settings: Settings) -> MasterKey:
    """The state a crash leaves after the new key file is installed and before the database is re-wrapped."""
    new = MasterKey.generate()
    with closing(sqlite3.connect(settings.database_path)) as db, db:
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", [ROTATION_PENDING, create_key_check(new)])
    install_rotated_key(settings.storage.master_key, new)
    return new


def test_an_interrupted_rotation_is_rolled_back_only_by_keys_recover(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    before, key = _contacts(settings), settings.storage.master_key
    old_secret = MasterKey.load(key).secret_bytes()
    new = _interrupted_rotation(settings)
    with pytest.raises(RotationInterruptedError, match="keys recover"):
        CallStore.open(settings)
    config = str(settings.data_dir / "config.toml")
    assert main(["keys", "confirm", "--config", config]) == 2  # .old is the only key of the database: kept
    assert "keys recover" in capsys.readouterr().err
    assert MasterKey.load(key).secret_bytes() == new.secret_bytes()
    fd = hold_service_lock(settings.data_dir)
    try:
        assert main(["keys", "recover", "--config", config]) == 2  # never while anything else uses the folder
    finally:
        os.close(fd)
    assert "stop it first" in capsys.readouterr().err
    assert main(["keys", "recover", "--config", config]) == 0
    assert "rolled back" in capsys.readouterr().out
    [aside] = settings.data_dir.glob("master.key.rejected-*")
    assert MasterKey.load(aside).secret_bytes() == new.secret_bytes()  # moved aside, never overwritten
    assert MasterKey.load(key).secret_bytes() == old_secret and not key.with_name("master.key.old").exists()
    assert _contacts(settings) == before
    assert main(["keys", "recover", "--config", config]) == 0
    assert "nothing was changed" in capsys.readouterr().out
