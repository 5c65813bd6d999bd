"""A full disk under the data folder: how a failed write is recognised, and what the log tells the owner."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_LOW_WATER_BYTES = 64 * 1024  # less room than this, and an I/O error is taken for a full disk


def is_disk_full(exc: BaseException, folder: Path | None = None) -> bool:
    """Whether a write failed because the disk (or the data folder's quota) is full; given the folder, also an
    SQLite I/O error while its disk has no room (SQLite reports a -shm file it cannot extend so)."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)  # extended codes keep the primary code in the low byte
        if code is None:
            return False
        return code & 0xFF == sqlite3.SQLITE_FULL or (code & 0xFF == sqlite3.SQLITE_IOERR and folder is not None
                                                      and _no_room(folder))
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


def _no_room(folder: Path) -> bool:
    try:
        disk = os.statvfs(folder)
    except OSError:
        return False
    return disk.f_bavail * disk.f_frsize < _LOW_WATER_BYTES


def disk_full_message(folder: str) -> str:
    """The log line for a full data folder: what happens to calls, and what to do (names no caller)."""
    return (f"the disk of the data folder {folder} is full: call records cannot be written. Calls go on; what "
            "could not be written waits in memory and is written as soon as there is room (it is lost if the "
            "appliance stops first). Free space there now (old backups or exports, other files), or move the "
            "data folder to a larger disk")


def disk_full_at_start(folder: Path) -> str:
    """The error that stops a start on a full disk: what to do (a backup would not help)."""
    return (f"the disk of the data folder {folder} is full, so the call database cannot be opened and tidied: "
            "free space there (old backups or exports, other files) or move the data folder to a larger disk, "
            "then start again; nothing was changed")
