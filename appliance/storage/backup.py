"""Encrypted backups of the call database and recordings (restored by `appliance.storage.restore`).

A backup is one file: a header (`appliance.storage.backup_format`: key id, key check, wrapped backup key, and the
box id, the backup's sequence number and its creation time), then a tar of `receptionist.db` (an SQLite online
backup) and `recordings/*`, encrypted in 64 KiB AES-256-GCM chunks by `Vault.encrypt_stream` under a fresh backup
key wrapped by the master key, with the whole header as associated data (so an edited header fails like an edited
chunk, and a restore can trust the age it shows).

The master key is not in the backup: keep it (and its key file's backups) apart. A restore re-applies the box's
erasure ledger, so an erased caller does not come back. Honest limit: an old backup file still holds erased callers'
data keys wrapped by the master key, so someone with that backup AND the master key could read them; the ledger
only governs what restores bring back. Delete old backups on a schedule, and rotate the master key after a backup
leaks.

A backup holds the data folder's lock shared (no key rotation overlaps it) and works in a private scratch folder
`<data_dir>/.backup-*` holding an unsealed copy of the database; the folder is locked while in use, and the folders of
killed backups are swept by the next backup and by the retention run (`sweep_backup_leftovers`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from appliance.config import Settings
from appliance.storage.backup_format import BACKUP_SEQUENCE, BOX_ID, BackupError, BackupOrigin, pack_header
from appliance.storage.crypto import Vault, load_master_key
from appliance.storage.locks import shared_lock
from appliance.storage.restore import DB_NAME, RECORDINGS, Restored, restore_backup
from appliance.storage.schema import key_settings

__all__ = ["BackupError", "BackupOrigin", "Restored", "create_backup", "restore_backup", "sweep_backup_leftovers"]

SUFFIX = ".backup"
SCRATCH_PREFIX = ".backup-"
_LOGGER = logging.getLogger(__name__)


def create_backup(settings: Settings, out: Path) -> Path:
    """Write an encrypted backup of the running (or stopped) appliance to `out` (or a new file in that folder)."""
    target = out / time.strftime(f"receptionist-%Y%m%d-%H%M%S{SUFFIX}") if out.is_dir() else out
    if target.exists():
        raise BackupError(f"{target} already exists; choose another file name")
    if not settings.database_path.is_file():
        raise BackupError(f"there is no call database at {settings.database_path}; nothing to back up")
    with shared_lock(settings.data_dir):  # no key rotation starts (or runs) while the copy is made and sealed
        sweep_backup_leftovers(settings.data_dir)
        with _scratch_folder(settings.data_dir) as private:
            origin = _next_origin(settings.database_path)  # before the copy, so a restored box counts on from it
            copy = private / DB_NAME
            _online_copy(settings.database_path, copy)
            key_check, pending = _stored_keys(copy)
            vault = Vault(load_master_key(settings.storage.master_key, key_check, pending=pending), key_check)
            bundle = private / "backup.tar"
            _write_tar(bundle, copy, settings.data_dir / RECORDINGS)
            _seal(vault, key_check, bundle, target, origin)
    return target


def sweep_backup_leftovers(data_dir: Path) -> int:
    """Remove the scratch folders of killed backups (each may hold an unsealed database copy); returns how many."""
    removed = 0
    for folder in sorted(data_dir.glob(f"{SCRATCH_PREFIX}*")):
        if folder.is_dir() and not folder.is_symlink() and not _in_use(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        _LOGGER.warning("Removed %d folder(s) left in %s by backups that did not finish", removed, data_dir)
    return removed


# --- writing ----------------------------------------------------------------------------------------------


@contextmanager
def _scratch_folder(data_dir: Path) -> Iterator[Path]:
    """A private folder (mode 0700, same disk as the database), locked while the backup runs, removed after it."""
    private = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=data_dir))
    fd = os.open(private, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a sweep leaves a folder alone while its backup holds this
        yield private
    finally:
        shutil.rmtree(private, ignore_errors=True)
        os.close(fd)


def _in_use(folder: Path) -> bool:
    """Whether a running backup holds the lock of its scratch folder."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return True  # not ours to judge: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _next_origin(database: Path) -> BackupOrigin:
    """This box's id (made at its first backup) and the next backup number, committed in the live database."""
    connection = sqlite3.connect(database, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        stored = dict(connection.execute("SELECT key, value FROM settings WHERE key IN (?, ?)",
                                         [BOX_ID, BACKUP_SEQUENCE]).fetchall())
        box_id, sequence = str(stored.get(BOX_ID) or secrets.token_hex(8)), int(stored.get(BACKUP_SEQUENCE) or 0) + 1
        connection.executemany("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                               [(BOX_ID, box_id), (BACKUP_SEQUENCE, sequence)])
        connection.execute("COMMIT")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot number this backup in the call database {database}: {exc}; start the appliance "
                          "once, or free some disk space, then try again; nothing was written") from exc
    finally:
        connection.close()
    return BackupOrigin(box_id, sequence, int(time.time()))


def _online_copy(database: Path, copy: Path) -> None:
    """A consistent copy of a live WAL database (SQLite online backup), as a plain single file."""
    source = sqlite3.connect(database)  # a reader: the backup step holds one read transaction, so it is consistent
    try:
        destination = sqlite3.connect(copy)
        try:
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            destination.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the call database {database}: {exc}; nothing was written") from exc
    finally:
        source.close()


def _stored_keys(database: Path) -> tuple[bytes, bytes | None]:
    """The key check of a database copy, and the pending rotation it records (if any)."""
    connection = sqlite3.connect(database)
    try:
        key_check, pending = key_settings(sqlite_utils.Database(connection))
    except sqlite3.Error as exc:
        raise BackupError(f"the call database cannot be read: {exc}") from exc
    finally:
        connection.close()
    if key_check is None:
        raise BackupError("the call database has no key check; start the appliance once before backing it up")
    return key_check, pending


def _write_tar(bundle: Path, database: Path, recordings: Path) -> None:
    with tarfile.open(bundle, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(database, arcname=DB_NAME, recursive=False)
        if recordings.is_dir():
            for path in sorted(recordings.iterdir()):  # skip temp files of recordings being saved right now
                if path.is_file() and not path.is_symlink() and path.suffix != ".tmp" and path.name[0] != ".":
                    tar.add(path, arcname=f"{RECORDINGS}/{path.name}", recursive=False)


def _seal(vault: Vault, key_check: bytes, bundle: Path, target: Path, origin: BackupOrigin) -> None:
    """Encrypt the tar into a temp file beside `target` (mode 0600), fsync it, then rename it into place."""
    key_id = f"backup:{uuid.uuid4().hex}"
    wrapped = vault.new_data_key(key_id)
    raw = pack_header(key_id, key_check, wrapped, origin)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), "wb") as out, \
                bundle.open("rb") as plain:
            out.write(raw)
            vault.encrypt_stream(key_id, wrapped, plain, out, raw)
            out.flush()
            os.fsync(out.fileno())
        os.rename(temp, target)
    except OSError as exc:
        raise BackupError(f"cannot write the backup {target}: {exc.strerror}; nothing was kept") from exc
    finally:
        temp.unlink(missing_ok=True)
        vault.forget(key_id)
