"""The data folder's lock: every user of the call database holds it shared, a key rotation holds it exclusively.

`<data_dir>/receptionist.lock` is held shared by the service (`hold_service_lock`) and by every store opened from
the settings and every backup (`hold_shared_lock`), so `receptionist keys rotate` and `keys recover` (which take it
exclusively) never overlap a running appliance, backup, export or erase, and none of those starts mid-rotation.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appliance.errors import ApplianceError, ErrorCode

LOCK_FILE = "receptionist.lock"
SHARED_WAIT_S = 30.0  # how long a backup, export or erase waits for a running key rotation to finish
_POLL_S = 0.05


class ServiceRunningError(ApplianceError):
    """The appliance (or another maintenance command) is using the data folder."""

    code = ErrorCode.STORE


def hold_service_lock(data_dir: Path) -> int:
    """Take the data folder's lock shared for as long as the returned descriptor stays open (the service)."""
    fd = _open_lock(data_dir)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def hold_shared_lock(data_dir: Path, wait_s: float = SHARED_WAIT_S) -> int:
    """Take the data folder's lock shared until the returned descriptor is closed, waiting for a key rotation."""
    fd = _open_lock(data_dir)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise ServiceRunningError(
                    f"a master key rotation is using {data_dir} (it holds {data_dir / LOCK_FILE}): wait for "
                    "'receptionist keys rotate' or 'keys recover' to finish, then try again; nothing was "
                    "changed") from None
            time.sleep(_POLL_S)


@contextmanager
def shared_lock(data_dir: Path, wait_s: float = SHARED_WAIT_S) -> Iterator[None]:
    """Hold the data folder's lock shared for the duration of the block (a backup)."""
    fd = hold_shared_lock(data_dir, wait_s)
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def exclusive_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data folder's lock exclusively; refuse at once if the service or another command holds it."""
    fd = _open_lock(data_dir)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServiceRunningError(
                f"the appliance or another receptionist command (a backup, export or erase) is using {data_dir} "
                f"(it holds {data_dir / LOCK_FILE}): stop it first, e.g. 'systemctl stop receptionist', or wait "
                "for the command to finish; nothing was changed") from None
        yield
    finally:
        os.close(fd)


def _open_lock(data_dir: Path) -> int:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        return os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ApplianceError(f"cannot open the lock file {data_dir / LOCK_FILE}: {exc.strerror}; check the "
                             "data_dir setting and its permissions", code=ErrorCode.STORE) from exc
