"""The call database's files are owner-only (0600) whatever the umask, so a store opened from a shell is private too.

SQLite creates its -wal and -shm files with the database file's own mode, so creating the database file 0600
first makes all three private. A database left readable by others (made from a shell before this) is tightened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
from pathlib import Path

from appliance.errors import ApplianceError, ErrorCode

_LOGGER = logging.getLogger(__name__)
SIDE_FILES = ("-wal", "-shm", "-journal")


def connect_private(path: Path | str) -> sqlite3.Connection:
    """A connection to the call database (autocommit, shared by threads), its files made owner-only first."""
    try:
        if str(path) != ":memory:":
            private_database(Path(path))  # its folder made, the file 0600 with its -wal and -shm, whatever the umask
        return sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise ApplianceError(f"cannot open the call database {path}: {exc}; check the data_dir setting "
                             "and its permissions", code=ErrorCode.STORE) from exc


def private_database(path: Path) -> None:
    """Create the database file (and its folder) owner-only if new; make it and its side files owner-only if not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))  # empty: a new database
    for file in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
        _tighten(file)


def _tighten(path: Path) -> None:
    """Take group and other permissions off an existing file we own (another owner's file is left as it is)."""
    try:
        mode = os.stat(path, follow_symlinks=False).st_mode
        if mode & 0o077 and not stat.S_ISLNK(mode):
            os.chmod(path, stat.S_IMODE(mode) & 0o700)
            _LOGGER.warning("%s was readable by other users; it is owner-only now (mode 0600)", path)
    except FileNotFoundError:
        pass
    except OSError as exc:  # e.g. another user's file: SQLite then opens it or says why not
        _LOGGER.warning("cannot make %s owner-only: %s; run: chmod 600 %s", path, exc.strerror, path)
