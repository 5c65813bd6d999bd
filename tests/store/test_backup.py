"""Encrypted backups: round trip, wrong key and tampering refused, no plaintext, erasures survive a restore."""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from appliance.cli import init, main
from appliance.config import Settings, load_settings
from appliance.storage import backup
from appliance.storage.backup import BackupError, BackupOrigin, create_backup, restore_backup
from appliance.storage.crypto import DecryptionError, MasterKey, Vault, WrongMasterKeyError, create_master_key
from appliance.storage.datarights import erase_caller, export_all, export_caller
from appliance.storage.schema import TABLES
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, PHRASE, add_call, contains

AUDIO = b"audio marker of a recording"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    box = tmp_path / "box"
    init(box)
    settings = load_settings(box / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    add_call(store, "b1", OTHER, "other words", name="Bo Other", turns=3)
    store.add_summary("a1", f"Ana asked about the {PHRASE}", 50)
    store.add_message("b1", {"name": "Bo", "callback_number": OTHER, "reason": "quote"}, at=70)
    (box / "recordings").mkdir()
    for call_id in ("a1", "b1"):
        (box / "recordings" / f"{call_id}.rec").write_bytes(AUDIO + call_id.encode())
        store.db.execute("INSERT INTO recordings (id, call_id, path, bytes, created_at) VALUES (?, ?, ?, ?, ?)",
                         [f"r-{call_id}", call_id, f"{call_id}.rec", 30, 60.0])
    store.close()
    return settings


def _contacts(settings: Settings, data_dir: Path | None = None) -> list[dict[str, Any]]:
    store = CallStore(data_dir / "receptionist.db" if data_dir else settings.database_path,
                      settings.storage.master_key)
    try:
        return list(export_all(store)["contacts"])
    finally:
        store.close()


def test_round_trip_restores_identical_data(settings: Settings, tmp_path: Path) -> None:
    before = _contacts(settings)
    written = create_backup(settings, tmp_path)
    assert written.parent == tmp_path and written.name.endswith(".backup")
    assert written.stat().st_mode & 0o777 == 0o600
    assert not list(settings.data_dir.glob(".backup-*")) and not list(tmp_path.glob(".*.tmp"))
    restored = restore_backup(settings, written, tmp_path / "restored")
    assert (restored.recordings, restored.erased) == (2, 0)
    assert _contacts(settings, tmp_path / "restored") == before
    assert (tmp_path / "restored" / "recordings" / "a1.rec").read_bytes() == AUDIO + b"a1"


def test_backup_file_holds_no_plaintext(settings: Settings, tmp_path: Path) -> None:
    data = create_backup(settings, tmp_path / "box.backup").read_bytes()
    for canary in (NUMBER, PHRASE, "Ana Canary", "other words", AUDIO.decode(), "SQLite format"):
        assert not contains(data, canary), canary


def test_wrong_key_is_refused_and_nothing_is_written(settings: Settings, tmp_path: Path) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    other = create_master_key(tmp_path / "other.key")
    assert other.source.endswith("other.key")
    target = tmp_path / "restored"
    with pytest.raises(WrongMasterKeyError, match="did not make this backup"):
        restore_backup(settings, written, target, tmp_path / "other.key")
    assert not target.exists()
    target.mkdir()
    with pytest.raises(WrongMasterKeyError):
        restore_backup(settings, written, target, tmp_path / "other.key")
    assert not any(target.iterdir())


@pytest.mark.parametrize("where", [3, 40, 120, -1, "middle"])
def test_a_flipped_byte_is_refused_and_nothing_is_written(settings: Settings, tmp_path: Path,
                                                          where: int | str) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    data = bytearray(written.read_bytes())
    at = len(data) // 2 if where == "middle" else int(where)
    data[at] ^= 0x01
    written.write_bytes(bytes(data))
    with pytest.raises((BackupError, DecryptionError)):
        restore_backup(settings, written, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_a_truncated_backup_is_refused(settings: Settings, tmp_path: Path) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    written.write_bytes(written.read_bytes()[:-100])
    with pytest.raises(DecryptionError):
        restore_backup(settings, written, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_restore_refuses_a_non_empty_folder(settings: Settings, tmp_path: Path) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    with pytest.raises(BackupError, match="not an empty folder"):
        restore_backup(settings, written, settings.data_dir)
    with pytest.raises(BackupError, match="already exists"):
        create_backup(settings, written)


def test_an_erased_caller_does_not_come_back_from_an_older_backup(settings: Settings, tmp_path: Path) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    store = CallStore.open(settings)
    contact_id = store.find_contact(NUMBER)
    assert contact_id is not None and erase_caller(store, NUMBER) == 1
    store.close()
    ledger = settings.storage.master_key.with_name("master.key.erased")
    assert ledger.read_text() == f"{contact_id}\n" and ledger.stat().st_mode & 0o777 == 0o600
    restored = restore_backup(settings, written, tmp_path / "restored")
    assert (restored.erased, restored.recordings) == (1, 1)
    assert not (tmp_path / "restored" / "recordings" / "a1.rec").exists()
    store = CallStore(restored.database, settings.storage.master_key)
    try:
        assert export_caller(store, NUMBER)["contacts"] == []
        for table in set(TABLES) - {"audit_log"}:
            for row in store.db.execute(f"SELECT * FROM {table}"):
                assert all(value not in (contact_id, "a1") for value in row), table
        [other] = export_caller(store, OTHER)["contacts"]
        assert len(other["calls"]) == 1 and len(other["calls"][0]["turns"]) == 3
        assert other["calls"][0]["messages"][0]["reason"] == "quote"
    finally:
        store.close()


def test_entries_outside_the_data_folder_are_refused(settings: Settings, tmp_path: Path) -> None:
    bundle = tmp_path / "evil.tar"
    with tarfile.open(bundle, "w") as tar:
        for name in ("receptionist.db", "../escaped"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
    key_check = backup._stored_keys(settings.database_path)[0]
    vault = Vault(MasterKey.load(settings.storage.master_key), key_check)
    backup._seal(vault, key_check, bundle, tmp_path / "evil.backup", BackupOrigin("evil", 1, 0))
    with pytest.raises(BackupError, match=r"unexpected entry '\.\./escaped'"):
        restore_backup(settings, tmp_path / "evil.backup", tmp_path / "restored")
    assert not (tmp_path / "restored").exists() and not (tmp_path / "escaped").exists()


def test_backup_and_restore_commands(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(settings.data_dir / "config.toml")
    out = tmp_path / "box.backup"
    assert main(["backup", "--config", config, "--out", str(out)]) == 0
    assert "wrote the encrypted backup" in capsys.readouterr().out
    target = tmp_path / "restored"
    assert main(["restore", "--config", config, "--from", str(out), "--data-dir", str(target)]) == 0
    assert "and 2 recording(s)" in capsys.readouterr().out
    create_master_key(tmp_path / "other.key")
    args = ["restore", "--config", config, "--from", str(out), "--data-dir", str(tmp_path / "again")]
    assert main([*args, "--key", str(tmp_path / "other.key")]) == 2
    assert "did not make this backup" in capsys.readouterr().err
    assert not (tmp_path / "again").exists()


def test_backup_of_a_running_store_holds_its_latest_calls(settings: Settings, tmp_path: Path) -> None:
    store = CallStore.open(settings)  # like the running service: open, with the newest call still in the -wal file
    try:
        add_call(store, "c1", "+15550123456", "late words")
        assert Path(f"{settings.database_path}-wal").stat().st_size > 0
        restored = restore_backup(settings, create_backup(settings, tmp_path / "live.backup"), tmp_path / "restored")
        assert len(_contacts(settings, restored.database.parent)) == 3
    finally:
        store.close()


def test_a_killed_backups_plain_copy_is_swept(settings: Settings, tmp_path: Path) -> None:
    killed = settings.data_dir / ".backup-killed01"  # what `receptionist backup` leaves when it is killed mid-run
    killed.mkdir(mode=0o700)
    shutil.copy(settings.database_path, killed / "receptionist.db")
    running = settings.data_dir / ".backup-running1"  # another backup still at work: its folder is locked
    running.mkdir(mode=0o700)
    fd = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        create_backup(settings, tmp_path / "next.backup")
        assert not killed.exists() and running.is_dir()
    finally:
        os.close(fd)
    killed.mkdir(mode=0o700)
    (killed / "backup.tar").write_bytes(b"plain tar of the database")
    assert main(["retention", "run", "--config", str(settings.data_dir / "config.toml")]) == 0
    assert not list(settings.data_dir.glob(".backup-*"))  # the retention run sweeps too, now nothing uses them
