"""Restoring a backup in one pass: decrypt, extract, check and re-erase in a scratch folder, then move into place.

The backup file is read once, from its header to its final chunk (so it may be a pipe): every chunk is
authenticated as it is decrypted, and the tar inside is extracted as it streams into `<target>/.restore-*`
(only `receptionist.db` and plain files under `recordings/`, mode 0600). Only when the final chunk has been seen
and authenticated, the database passes `PRAGMA integrity_check` and the key check, and the box's erasure ledger
has been applied (every contact erased since the backup was made is erased again, with their data key and
recording files), is the result moved into the target folder. On any failure everything written is removed, so a
cut-off or altered backup leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from appliance.config import Settings
from appliance.storage.backup_format import BackupError, BackupOrigin, Header, read_header
from appliance.storage.crypto import ChunkReader, DecryptionError, IntegrityError, MasterKey, Vault, WrongMasterKeyError
from appliance.storage.datarights import erased_ids, erasure_ledger
from appliance.storage.store import CallStore

DB_NAME = "receptionist.db"
RECORDINGS = "recordings"
SCRATCH_PREFIX = ".restore-"


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore put back: the database, recording files, contacts erased again, and the backup's origin."""

    database: Path
    recordings: int
    erased: int
    origin: BackupOrigin | None = None  # None: an old (version 1) backup, whose age is unknown


def restore_backup(settings: Settings, source: Path, target: Path, key_file: Path | None = None) -> Restored:
    """Restore a backup into the empty folder `target` in one pass, and re-apply the box's erasure ledger."""
    _require_empty(target)
    key_path = key_file or settings.storage.master_key
    master = MasterKey.load(key_file) if key_file else MasterKey.locate(key_path)
    created = not target.exists()
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=target))
        origin, recordings = _unpack(source, master, scratch)
        _check_integrity(scratch / DB_NAME)
        ledger = erasure_ledger(settings.storage.master_key)
        erased, removed = _apply_ledger(scratch / DB_NAME, key_path, master, ledger, settings.business.default_region)
        for path in sorted(scratch.iterdir()):
            os.rename(path, target / path.name)
        scratch.rmdir()
    except BaseException:
        _clear(target, created)
        raise
    return Restored(database=target / DB_NAME, recordings=recordings - removed, erased=erased, origin=origin)


def _require_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder; restore into a new or empty data folder (a restore "
                          f"that was killed leaves a {SCRATCH_PREFIX}* folder in it: delete that)")


def _unpack(source: Path, master: MasterKey, scratch: Path) -> tuple[BackupOrigin | None, int]:
    """Read the whole backup once into `scratch`; returns its origin and the number of recording files."""
    try:
        file: BinaryIO = source.open("rb")
    except OSError as exc:
        raise BackupError(f"cannot read the backup {source}: {exc.strerror}; nothing was restored") from exc
    with file:
        header = read_header(file)
        vault = _vault(master, header)
        try:
            recordings = _extract(ChunkReader(vault.decrypt_stream(header.key_id, header.wrapped, file, header.raw)),
                                  scratch)
        except WrongMasterKeyError:
            raise
        except DecryptionError:
            raise DecryptionError(f"the backup {source} failed its integrity check: it was altered, damaged or cut "
                                  "short. Nothing was restored; use another backup") from None
    if not (scratch / DB_NAME).is_file():
        raise BackupError("the backup holds no call database; nothing was restored")
    return header.origin, recordings


def _vault(master: MasterKey, header: Header) -> Vault:
    try:
        return Vault(master, header.key_check)
    except WrongMasterKeyError:
        raise WrongMasterKeyError(
            f"the master key from {master.source} did not make this backup (it is from another box, or from before "
            "a key rotation: give that key with --key FILE); nothing was restored") from None


def _extract(reader: ChunkReader, scratch: Path) -> int:
    """Extract the database and recordings (mode 0600) as they stream; returns the number of recording files."""
    recordings = 0
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                name = _safe_name(member)
                destination = scratch / name
                destination.parent.mkdir(mode=0o700, exist_ok=True)
                content = tar.extractfile(member)
                assert content is not None  # _safe_name accepts regular files only
                with os.fdopen(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                    shutil.copyfileobj(content, out)
                recordings += name.parts[0] == RECORDINGS
    except tarfile.TarError as exc:
        raise BackupError(f"the backup's archive is damaged ({exc}); nothing was restored") from exc
    reader.drain()
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
