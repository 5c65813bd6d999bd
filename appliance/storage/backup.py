"""Encrypted backups of the call database and recordings, and their verified restore.

A backup is one file (version 1):

    magic "RCPTBKUP" | version 0x01 | key id | key check | wrapped backup key    (each field: u16 length | bytes)
    then a tar of `receptionist.db` (an SQLite online backup) and `recordings/*`, encrypted in 64 KiB AES-256-GCM
    chunks by `Vault.encrypt_stream` under a fresh backup key wrapped by the master key, with the whole header as
    associated data (so an edited header fails like an edited chunk).

The master key is not in the backup: keep it (and its key file's backups) apart. A restore authenticates every
chunk before it writes anything, refuses a non-empty target folder, extracts only `receptionist.db` and plain
files under `recordings/`, checks the database (`PRAGMA integrity_check`, the key check) and then applies the
box's erasure ledger (`<master key file>.erased`, see `appliance.storage.datarights`): every contact erased since the
backup was made is erased again, with their data key, and their recording files are removed, before success is
reported. Honest limit: an old backup file still holds erased callers' data keys wrapped by the master key, so
someone with that backup AND the master key could read them; the ledger only governs what restores bring back.
Delete old backups on a schedule, and rotate the master key after a backup leaks.

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
import struct
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import sqlite_utils

from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode
from appliance.storage.crypto import (
    ChunkReader,
    IntegrityError,
    MasterKey,
    Vault,
    WrongMasterKeyError,
    load_master_key,
)
from appliance.storage.datarights import erased_ids, erasure_ledger
from appliance.storage.locks import shared_lock
from appliance.storage.schema import key_settings
from appliance.storage.store import CallStore

MAGIC = b"RCPTBKUP"
VERSION = 1
DB_NAME = "receptionist.db"
RECORDINGS = "recordings"
SUFFIX = ".backup"
SCRATCH_PREFIX = ".backup-"
_LENGTH = struct.Struct(">H")
_MAX_FIELD = 256
_LOGGER = logging.getLogger(__name__)


class BackupError(ApplianceError):
    """A backup cannot be written, read, verified or restored; the message says what to do."""

    code = ErrorCode.STORE


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore put back: the database, recording files, and contacts erased again from the ledger."""

    database: Path
    recordings: int
    erased: int


@dataclass(frozen=True, slots=True)
class _Header:
    raw: bytes
    key_id: str
    key_check: bytes
    wrapped: bytes


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
            copy = private / DB_NAME
            _online_copy(settings.database_path, copy)
            key_check, pending = _stored_keys(copy)
            vault = Vault(load_master_key(settings.storage.master_key, key_check, pending=pending), key_check)
            bundle = private / "backup.tar"
            _write_tar(bundle, copy, settings.data_dir / RECORDINGS)
            _seal(vault, key_check, bundle, target)
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


def verify_backup(source: Path, master: MasterKey) -> None:
    """Authenticate every chunk of a backup with `master`, writing nothing; raises BackupError or a CryptoError."""
    with _open_backup(source) as file:
        header = _read_header(file)
        vault = _vault(master, header)
        for _ in vault.decrypt_stream(header.key_id, header.wrapped, file, header.raw):
            pass


def restore_backup(settings: Settings, source: Path, target: Path, key_file: Path | None = None) -> Restored:
    """Verify a backup, restore it into the empty folder `target`, and re-apply the box's erasure ledger."""
    _require_empty(target)
    key_path = key_file or settings.storage.master_key
    master = MasterKey.load(key_file) if key_file else MasterKey.locate(key_path)
    verify_backup(source, master)
    created = not target.exists()
    try:
        recordings = _extract(source, master, target)
        database = target / DB_NAME
        _check_integrity(database)
        erased = _apply_ledger(database, key_path, master, erasure_ledger(settings.storage.master_key),
                               settings.business.default_region)
    except BaseException:
        _clear(target, created)
        raise
    return Restored(database=database, recordings=recordings - erased[1], erased=erased[0])


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


def _seal(vault: Vault, key_check: bytes, bundle: Path, target: Path) -> None:
    """Encrypt the tar into a temp file beside `target` (mode 0600), fsync it, then rename it into place."""
    key_id = f"backup:{uuid.uuid4().hex}"
    wrapped = vault.new_data_key(key_id)
    raw = MAGIC + bytes([VERSION]) + b"".join(_LENGTH.pack(len(field)) + field
                                              for field in (key_id.encode(), key_check, wrapped))
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


# --- reading and restoring --------------------------------------------------------------------------------


def _open_backup(source: Path) -> BinaryIO:
    try:
        return source.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read the backup {source}: {exc.strerror}") from exc


def _read_header(file: BinaryIO) -> _Header:
    """The header, checked for shape only (its authenticity is checked with every chunk)."""
    raw = file.read(len(MAGIC) + 1)
    if raw[: len(MAGIC)] != MAGIC or raw[len(MAGIC):] != bytes([VERSION]):
        raise BackupError("this is not a receptionist backup (version 1), or its header is damaged")
    fields = []
    for _ in range(3):
        size_bytes = file.read(_LENGTH.size)
        size = _LENGTH.unpack(size_bytes)[0] if len(size_bytes) == _LENGTH.size else _MAX_FIELD + 1
        field = file.read(size) if size <= _MAX_FIELD else b""
        if len(field) != size:
            raise BackupError("the backup's header is truncated or damaged; nothing was restored")
        raw += size_bytes + field
        fields.append(field)
    try:
        key_id = fields[0].decode("ascii")
    except UnicodeDecodeError:
        raise BackupError("the backup's header is damaged; nothing was restored") from None
    return _Header(raw, key_id, fields[1], fields[2])


def _vault(master: MasterKey, header: _Header) -> Vault:
    try:
        return Vault(master, header.key_check)
    except WrongMasterKeyError:
        raise WrongMasterKeyError(
            f"the master key from {master.source} did not make this backup (it is from another box, or from before "
            "a key rotation: give that key with --key FILE); nothing was restored") from None


def _require_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder; restore into a new or empty data folder")


def _extract(source: Path, master: MasterKey, target: Path) -> int:
    """Decrypt and extract the database and recordings (mode 0600); returns the number of recording files."""
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    recordings = 0
    with _open_backup(source) as file:
        header = _read_header(file)
        chunks = _vault(master, header).decrypt_stream(header.key_id, header.wrapped, file, header.raw)
        with tarfile.open(fileobj=ChunkReader(chunks), mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                name = _safe_name(member)
                destination = target / name
                destination.parent.mkdir(mode=0o700, exist_ok=True)
                content = tar.extractfile(member)
                assert content is not None  # _safe_name accepts regular files only
                with os.fdopen(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                    shutil.copyfileobj(content, out)
                if name.parts[0] == RECORDINGS:
                    recordings += 1
    if not (target / DB_NAME).is_file():
        raise BackupError("the backup holds no call database; nothing was restored")
    return recordings


def _safe_name(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's relative path if it is the database or a plain file in recordings/; refuses anything else."""
    name = PurePosixPath(member.name)
    allowed = name == PurePosixPath(DB_NAME) or (
        len(name.parts) == 2 and name.parts[0] == RECORDINGS and name.parts[1] not in {"", ".", ".."})
    if not member.isreg() or name.is_absolute() or not allowed:
        raise BackupError(f"the backup holds an unexpected entry {member.name!r}; nothing was restored")
    return name


def _check_integrity(database: Path) -> None:
    connection = sqlite3.connect(database)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.Error as exc:
        raise IntegrityError(f"the restored database cannot be read: {exc}; nothing was restored") from exc
    finally:
        connection.close()
    if result != [("ok",)]:
        raise IntegrityError(f"the restored database failed its integrity check ({result[0][0]}); nothing was "
                             "restored")


def _apply_ledger(database: Path, key_path: Path, master: MasterKey, ledger: Path, region: str) -> tuple[int, int]:
    """Erase again every contact in the ledger (data key included) and their recording files; returns both counts."""
    store = CallStore(database, key_path, master=master, region=region)  # checks the key, applies migrations
    try:
        erased = 0
        for contact_id in sorted(erased_ids(ledger) & set(store.contact_ids())):
            store.erase_contact(contact_id, actor="restore")
            erased += 1
        kept = {str(row[0]) for row in store.db.execute("SELECT path FROM recordings")}
    finally:
        store.close()
    removed = 0
    folder = database.parent / RECORDINGS
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name not in kept:  # the recording of an erased caller (its key is gone too)
            path.unlink()
            removed += 1
    return erased, removed


def _clear(target: Path, created: bool) -> None:
    """Remove what a failed restore wrote: the folder if it made it, else the folder's new contents."""
    if created:
        shutil.rmtree(target, ignore_errors=True)
        return
    for path in target.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
