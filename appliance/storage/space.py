"""A full disk under the data folder: how a failed write is recognised, and what the log tells the owner."""

from __future__ import annotations

import errno
import sqlite3

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_disk_full(exc: BaseException) -> bool:
    """Whether a write failed because the disk (or the data folder's quota) is full."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)  # extended codes keep the primary code in the low byte
        return code is not None and code & 0xFF == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS


def disk_full_message(folder: str) -> str:
    """The log line for a full data folder: what happens to calls, and what to do (names no caller)."""
    return (f"the disk of the data folder {folder} is full: call records cannot be written. Calls go on; what "
            "could not be written waits in memory and is written as soon as there is room (it is lost if the "
            "appliance stops first). Free space there now (old backups or exports, other files), or move the "
            "data folder to a larger disk")
