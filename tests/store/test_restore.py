"""Backups know their age (box id, sequence, creation time, all authenticated); a restore reads the file once."""

from __future__ import annotations

import errno
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from appliance.cli import init, main
from appliance.config import Settings, load_settings
from appliance.storage import backup
from appliance.storage.backup import create_backup, restore_backup
from appliance.storage.backup_format import MAGIC, BackupOrigin, describe, read_header
from appliance.storage.crypto import DecryptionError, MasterKey, Vault
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, add_call

AUDIO = b"sealed audio" * 20000  # several chunks of the backup


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    init(tmp_path / "box")
    settings = load_settings(tmp_path / "box" / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    settings.recordings_dir.mkdir()
    (settings.recordings_dir / "a1.rec").write_bytes(AUDIO)
    store.write([("INSERT INTO recordings (id, call_id, path, bytes, created_at) VALUES (?, ?, ?, ?, ?)",
                  ["r-a1", "a1", "a1.rec", len(AUDIO), 60.0])])
    store.close()
    return settings


def _box_settings(database: Path) -> dict[str, object]:
    with closing(sqlite3.connect(database)) as db:
        return dict(db.execute("SELECT key, value FROM settings WHERE key IN ('box_id', 'backup_sequence')"))


def test_restore_shows_the_backups_box_number_and_age(settings: Settings, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = str(settings.data_dir / "config.toml")
    for name in ("first", "second"):
        assert main(["backup", "--config", config, "--out", str(tmp_path / f"{name}.backup")]) == 0
    box = _box_settings(settings.database_path)
    assert box["backup_sequence"] == 2 and len(str(box["box_id"])) == 16
    capsys.readouterr()
    assert main(["restore", "--config", config, "--from", str(tmp_path / "second.backup"),
                 "--data-dir", str(tmp_path / "restored")]) == 0
    out = capsys.readouterr().out
    assert f"backup number 2 of box {box['box_id']}, made {time.strftime('%Y-%m-%d', time.gmtime())}" in out
    assert "(0 hour(s) ago)" in out
    assert _box_settings(tmp_path / "restored" / "receptionist.db") == box  # a restored box counts on from there


def test_an_edited_header_is_refused_and_leaves_nothing(settings: Settings, tmp_path: Path) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    with written.open("rb") as file:
        header = read_header(file)
    assert header.origin is not None and header.origin.sequence == 1
    for at in (len(header.raw) - 1, len(header.raw) - 11, len(header.raw) - 21):  # created at, sequence, box id
        data = bytearray(written.read_bytes())
        data[at] ^= 0x01
        edited = tmp_path / f"edited-{at}.backup"
        edited.write_bytes(bytes(data))
        (tmp_path / "target").mkdir()
        with pytest.raises(DecryptionError, match="failed its integrity check"):
            restore_backup(settings, edited, tmp_path / "target")
        assert not any((tmp_path / "target").iterdir())
        (tmp_path / "target").rmdir()


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_cut_off_backup_leaves_nothing_behind(settings: Settings, tmp_path: Path, keep: float) -> None:
    written = create_backup(settings, tmp_path / "box.backup")
    data = written.read_bytes()
    written.write_bytes(data[: int(len(data) * keep)])  # part of the database and recording already streamed out
    target = tmp_path / "restored"
    target.mkdir()
    with pytest.raises(DecryptionError, match="cut short"):
        restore_backup(settings, written, target)
    assert list(target.iterdir()) == []
    with pytest.raises(DecryptionError):
        restore_backup(settings, written, tmp_path / "new")
    assert not (tmp_path / "new").exists()


@pytest.fixture
def pipe(tmp_path: Path) -> Iterator[tuple[Path, threading.Event]]:
    fifo, done = tmp_path / "backup.pipe", threading.Event()
    os.mkfifo(fifo)
    yield fifo, done
    done.set()


def _serve_once(fifo: Path, data: bytes, done: threading.Event) -> None:
    """Write the backup into the pipe once; a second reader gets an empty stream (end of file) at once."""
    with fifo.open("wb") as out:
        out.write(data)
    while not done.is_set():
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        time.sleep(0.01)


def test_a_restore_reads_the_backup_once_so_it_can_come_from_a_pipe(
        settings: Settings, tmp_path: Path, pipe: tuple[Path, threading.Event]) -> None:
    data = create_backup(settings, tmp_path / "box.backup").read_bytes()
    fifo, done = pipe
    writer = threading.Thread(target=_serve_once, args=(fifo, data, done), daemon=True)
    writer.start()
    restored = restore_backup(settings, fifo, tmp_path / "restored")
    done.set()
    writer.join(5)
    assert restored.recordings == 1 and restored.origin is not None and restored.origin.sequence == 1
    assert (tmp_path / "restored" / "recordings" / "a1.rec").read_bytes() == AUDIO


def _old_format_backup(settings: Settings, target: Path) -> None:
    """A backup as version 1 wrote it: no box id, sequence or creation time in the header."""
    scratch = target.parent / "old"
    scratch.mkdir()
    backup._online_copy(settings.database_path, scratch / "receptionist.db")
    backup._write_tar(scratch / "backup.tar", scratch / "receptionist.db", settings.recordings_dir)
    key_check = backup._stored_keys(scratch / "receptionist.db")[0]
    vault = Vault(MasterKey.load(settings.storage.master_key), key_check)
    key_id = "backup:old"
    wrapped = vault.new_data_key(key_id)
    raw = MAGIC + b"\x01" + b"".join(struct.pack(">H", len(field)) + field
                                     for field in (key_id.encode(), key_check, wrapped))
    with target.open("wb") as out, (scratch / "backup.tar").open("rb") as plain:
        out.write(raw)
        vault.encrypt_stream(key_id, wrapped, plain, out, raw)


def test_an_old_format_backup_restores_with_its_age_unknown(settings: Settings, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _old_format_backup(settings, tmp_path / "old.backup")
    assert main(["restore", "--config", str(settings.data_dir / "config.toml"), "--from",
                 str(tmp_path / "old.backup"), "--data-dir", str(tmp_path / "restored")]) == 0
    assert "old format (version 1): when it was made and by which box is unknown" in capsys.readouterr().out
    assert (tmp_path / "restored" / "recordings" / "a1.rec").is_file()


def test_describe_a_backups_origin() -> None:
    made = BackupOrigin("0123456789abcdef", 7, 1_000_000_000)  # 2001-09-09 01:46:40 UTC
    assert describe(made, 1_000_000_000 + 3 * 86400 + 5) == (
        "backup number 7 of box 0123456789abcdef, made 2001-09-09 01:46 UTC (3 day(s) ago)")
    assert describe(made, 1_000_000_000 + 7200).endswith("(2 hour(s) ago)")
    assert "check the clocks" in describe(made, 1_000_000_000 - 3600)
    assert "unknown" in describe(None, 0)
