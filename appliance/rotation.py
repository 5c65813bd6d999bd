"""Master key rotation: every data key and the key check re-wrapped under a new master key, appliance stopped.

Order (each step safe to interrupt): inside one write transaction, read and re-wrap all data keys in memory;
install the new key file, keeping the current one as `<key file>.old` (`install_rotated_key`); write the
re-wrapped keys and the new key check; commit. If anything fails after the new key is installed, the old key is
put back (`roll_back_rotation`); if the process dies before the commit, the next start finds that the new key
does not open the database but `.old` does, and rolls back (`load_master_key`). `.old` is kept so backups made
before the rotation stay restorable (`receptionist restore --key <key file>.old`); delete it with
`confirm_rotation` once a new backup exists.

A running appliance caches the unwrapped keys and would keep wrapping new callers' keys under the old master
key, so rotation refuses unless it can take `<data_dir>/receptionist.lock` exclusively; the service holds it
shared (`hold_service_lock`) while it runs. A systemd credential cannot be rewritten from here: rotation needs
the key file.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from appliance.config import Settings
from appliance.crypto import (
    KeyFileError,
    MasterKey,
    Vault,
    install_rotated_key,
    load_master_key,
    old_key_path,
    roll_back_rotation,
    verify_master_key,
)
from appliance.errors import ApplianceError, ErrorCode
from appliance.schema import apply_pragmas, atomic, checkpoint

LOCK_FILE = "receptionist.lock"


class ServiceRunningError(ApplianceError):
    """The appliance (or another maintenance command) is using the data folder."""

    code = ErrorCode.STORE


def hold_service_lock(data_dir: Path) -> int:
    """Take the data folder's lock shared for as long as the returned descriptor stays open (the service)."""
    fd = _open_lock(data_dir)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


@contextmanager
def exclusive_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's lock exclusively; refuse at once if the service or another command holds it."""
    fd = _open_lock(data_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServiceRunningError(
                f"the appliance is running (it holds {data_dir / LOCK_FILE}): stop it first, e.g. "
                "'systemctl stop receptionist'; nothing was changed") from None
        yield
    finally:
        os.close(fd)


def rotate_master_key(settings: Settings) -> Path:
    """Re-wrap every data key under a new master key file; returns where the previous key is kept."""
    key_path = settings.storage.master_key
    if not settings.database_path.is_file():
        raise ApplianceError(f"there is no call database at {settings.database_path}; nothing to rotate",
                             code=ErrorCode.STORE)
    with exclusive_lock(settings.data_dir):
        db = sqlite_utils.Database(sqlite3.connect(str(settings.database_path), isolation_level=None))
        try:
            apply_pragmas(db)  # secure_delete: the old wrapped keys are overwritten, not left in free pages
            _rotate(db, key_path)
            checkpoint(db)  # and no copy of them stays in the -wal file
        except sqlite3.Error as exc:
            raise ApplianceError(f"the key rotation failed in the database ({exc}); the previous master key is "
                                 "back in place and nothing was changed", code=ErrorCode.STORE) from exc
        finally:
            db.conn.close()
    return old_key_path(key_path)


def _rotate(db: sqlite_utils.Database, key_path: Path) -> None:
    """Re-wrap and store the keys in one transaction; put the old key file back if that transaction fails."""
    new, installed = MasterKey.generate(), False
    try:
        with atomic(db):
            row = db.execute("SELECT value FROM settings WHERE key = 'key_check'").fetchone()
            if row is None:
                raise ApplianceError("the call database has no key check yet: start the appliance once first",
                                     code=ErrorCode.STORE)
            key_check = bytes(row[0])
            master = load_master_key(key_path, key_check)
            if master.source != str(key_path):
                raise KeyFileError(f"the master key comes from {master.source}: rotate it by replacing that "
                                   "credential, not from here; nothing was changed")
            wrapped = {str(key_id): bytes(blob) for key_id, blob in db.execute("SELECT key_id, wrapped FROM data_keys")}
            rewrapped = Vault(master, key_check).rewrap_all(new, wrapped)
            verify_master_key(new, rewrapped.key_check)
            install_rotated_key(key_path, new)
            installed = True
            db.conn.executemany("UPDATE data_keys SET wrapped = ? WHERE key_id = ?",
                                [(blob, key_id) for key_id, blob in rewrapped.keys.items()])
            db.execute("UPDATE settings SET value = ? WHERE key = 'key_check'", [rewrapped.key_check])
    except BaseException:
        if installed:
            roll_back_rotation(key_path)
        raise


def _open_lock(data_dir: Path) -> int:
    try:
        return os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ApplianceError(f"cannot open the lock file {data_dir / LOCK_FILE}: {exc.strerror}",
                             code=ErrorCode.STORE) from exc
