"""Master key rotation: every data key and the key check re-wrapped under a new master key, appliance stopped.

Order (each step safe to interrupt): record the rotation as pending in the database itself (the settings row
`rotation_pending`: a key check made with the new key) and commit; then, inside one write transaction, re-wrap all
data keys in memory, install the new key file keeping the current one as `<key file>.old` (`install_rotated_key`),
write the re-wrapped keys and the new key check, drop the pending row, and commit. If that transaction fails, the
old key is put back and the new one moved aside (`roll_back_rotation`: a key file is never overwritten).

If the process dies before the commit, the configured key no longer opens the database, which still names that very
key as its pending rotation's: every opening fails with RotationInterruptedError, and `receptionist keys recover`
(`recover_rotation`) rolls back, only under the exclusive lock and only for the configured database. A database
from before the rotation (an old backup, a copy) names no pending rotation: it is refused with a hint to use
`.old`, and no key file changes. `.old` is kept so such backups stay restorable (`receptionist restore --key
<key file>.old`); `receptionist keys confirm` deletes it once a new backup exists (`confirm_master_key`).

Each rotation records how many contacts the erasure ledger names (the settings row `erasures_at_rotation`), so
`erasures_since_rotation` tells whether callers were erased since: their wrapped data keys may linger in old disk
blocks (or old copies of the database), where the master key in use could still unwrap them until the next rotation
(`scripts/rewrap-after-erasure.sh` runs one then, from a timer).

A running appliance caches the unwrapped keys and would keep wrapping new callers' keys under the old master
key, so rotation refuses unless it can take `<data_dir>/receptionist.lock` exclusively (`appliance.storage.locks`); the
service, every store opened from the settings and every backup hold it shared. A systemd credential cannot be
rewritten from here: rotation needs the key file.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode
from appliance.storage.crypto import (
    KeyFileError,
    MasterKey,
    RotationInterruptedError,
    Vault,
    confirm_rotation,
    create_key_check,
    install_rotated_key,
    load_master_key,
    old_key_path,
    roll_back_rotation,
    verify_master_key,
)
from appliance.storage.datarights import erased_ids, erasure_ledger
from appliance.storage.locks import LOCK_FILE, ServiceRunningError, exclusive_lock, hold_service_lock, shared_lock
from appliance.storage.schema import ROTATION_PENDING, WalBusyError, apply_pragmas, atomic, checkpoint, key_settings

__all__ = ["LOCK_FILE", "ServiceRunningError", "confirm_master_key", "erasures_since_rotation", "exclusive_lock",
           "hold_service_lock", "recover_rotation", "rotate_master_key"]

_LOGGER = logging.getLogger(__name__)
ERASURES_AT_ROTATION = "erasures_at_rotation"  # settings row: contacts in the erasure ledger at the last rotation


def rotate_master_key(settings: Settings) -> Path:
    """Re-wrap every data key under a new master key file; returns where the previous key is kept."""
    with exclusive_lock(settings.data_dir), _database(settings) as db:
        try:
            apply_pragmas(db)  # secure_delete: the old wrapped keys are overwritten, not left in free pages
            _rotate(db, settings.storage.master_key)
        except sqlite3.Error as exc:
            raise ApplianceError(f"the key rotation failed in the database ({exc}); the previous master key is "
                                 "back in place and nothing was changed", code=ErrorCode.STORE) from exc
        try:
            checkpoint(db)  # and no copy of them stays in the -wal file
        except WalBusyError as exc:
            raise WalBusyError(f"the new master key is in place and every data key re-wrapped, but "
                               f"{settings.database_path}-wal may still hold the old wrapped keys: another program "
                               "is reading the database. Close it, then run 'receptionist retention run' to wipe "
                               "them") from exc
    return old_key_path(settings.storage.master_key)


def recover_rotation(settings: Settings) -> Path | None:
    """Roll back an interrupted rotation of the configured database; returns where the new key was moved aside."""
    key_path = settings.storage.master_key
    with exclusive_lock(settings.data_dir), _database(settings) as db:
        key_check, pending = _key_settings(db)
        try:
            load_master_key(key_path, key_check, pending=pending)
        except RotationInterruptedError:
            aside = roll_back_rotation(key_path)
            with atomic(db):
                db.execute("DELETE FROM settings WHERE key = ?", [ROTATION_PENDING])
            _LOGGER.warning("Rolled back an interrupted master key rotation of %s", settings.database_path)
            return aside
    return None  # the configured key opens the database: there is nothing to roll back


def confirm_master_key(settings: Settings) -> None:
    """Delete the previous master key (`.old`), but only while the configured key opens the configured database."""
    if settings.database_path.is_file():
        with shared_lock(settings.data_dir), _database(settings) as db:  # no rotation meanwhile; the service may run
            key_check, pending = _key_settings(db)
            load_master_key(settings.storage.master_key, key_check, pending=pending)  # raises: .old is still needed
    confirm_rotation(settings.storage.master_key)


def erasures_since_rotation(settings: Settings) -> int:
    """How many contacts were erased since the last key rotation (all in the ledger if there was none)."""
    with _database(settings) as db:
        try:
            row = db.execute("SELECT value FROM settings WHERE key = ?", [ERASURES_AT_ROTATION]).fetchone()
        except sqlite3.Error as exc:
            raise ApplianceError(f"the call database cannot be read ({exc}); nothing was changed",
                                 code=ErrorCode.STORE) from exc
    return max(0, len(erased_ids(erasure_ledger(settings.storage.master_key))) - int(row[0] if row else 0))


def _rotate(db: sqlite_utils.Database, key_path: Path) -> None:
    """Record the rotation as pending, then re-wrap and store the keys in one transaction (rolled back on failure)."""
    new = MasterKey.generate()
    with atomic(db):
        _current_key(db, key_path)  # a credential or a missing key check is refused before anything changes
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [ROTATION_PENDING,
                                                                                 create_key_check(new)])
    installed = False
    try:
        with atomic(db):
            master, key_check = _current_key(db, key_path)
            wrapped = {str(key_id): bytes(blob) for key_id, blob in db.execute("SELECT key_id, wrapped FROM data_keys")}
            rewrapped = Vault(master, key_check).rewrap_all(new, wrapped)
            verify_master_key(new, rewrapped.key_check)
            install_rotated_key(key_path, new)
            installed = True
            db.conn.executemany("UPDATE data_keys SET wrapped = ? WHERE key_id = ?",
                                [(blob, key_id) for key_id, blob in rewrapped.keys.items()])
            db.execute("UPDATE settings SET value = ? WHERE key = 'key_check'", [rewrapped.key_check])
            db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                       [ERASURES_AT_ROTATION, len(erased_ids(erasure_ledger(key_path)))])
            db.execute("DELETE FROM settings WHERE key = ?", [ROTATION_PENDING])
    except BaseException:
        if installed:
            roll_back_rotation(key_path)
        with contextlib.suppress(sqlite3.Error):  # with the old key back, a pending row left behind is harmless
            db.execute("DELETE FROM settings WHERE key = ?", [ROTATION_PENDING])
        raise


def _current_key(db: sqlite_utils.Database, key_path: Path) -> tuple[MasterKey, bytes]:
    """The configured key file's master key, checked against the database, and the database's key check."""
    key_check, pending = _key_settings(db)
    if key_check is None:
        raise ApplianceError("the call database has no key check yet: start the appliance once first",
                             code=ErrorCode.STORE)
    master = load_master_key(key_path, key_check, pending=pending)
    if master.source != str(key_path):
        raise KeyFileError(f"the master key comes from {master.source}: rotate it by replacing that "
                           "credential, not from here; nothing was changed")
    return master, key_check


def _key_settings(db: sqlite_utils.Database) -> tuple[bytes | None, bytes | None]:
    try:
        return key_settings(db)
    except sqlite3.Error as exc:
        raise ApplianceError(f"the call database cannot be read ({exc}); restore it from a backup; nothing was "
                             "changed", code=ErrorCode.STORE) from exc


@contextmanager
def _database(settings: Settings) -> Iterator[sqlite_utils.Database]:
    """The configured call database, opened in autocommit mode for explicit transactions; it must exist."""
    if not settings.database_path.is_file():
        raise ApplianceError(f"there is no call database at {settings.database_path}; nothing to do",
                             code=ErrorCode.STORE)
    db = sqlite_utils.Database(sqlite3.connect(str(settings.database_path), isolation_level=None))
    try:
        yield db
    finally:
        db.conn.close()
