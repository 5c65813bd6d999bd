"""Files holding callers' data are owner-only (0600) even when made from a shell with a lax umask."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from appliance.call.recorder import CallRecorder
from appliance.storage.recordings import save_recording
from appliance.storage.store import CallStore
from tests.store.conftest import add_call


@pytest.fixture
def shell_umask() -> Iterator[None]:
    """The umask of a typical login shell (files 0644), instead of the service unit's 0077."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_database_made_from_a_shell_is_private_with_its_wal(tmp_path: Path, shell_umask: None) -> None:
    db_path = tmp_path / "data" / "receptionist.db"
    store = CallStore(db_path)
    try:
        add_call(store, "a1")
        save_recording(store, "a1", CallRecorder().wav(), tmp_path / "data" / "recordings")
        for suffix in ("", "-wal", "-shm"):
            assert _mode(Path(f"{db_path}{suffix}")) == 0o600, suffix
        [recording] = (tmp_path / "data" / "recordings").iterdir()
        assert _mode(recording) == 0o600 and _mode(recording.parent) == 0o700
    finally:
        store.close()


def test_an_older_readable_database_is_made_private(db_path: Path, key_path: Path, shell_umask: None) -> None:
    CallStore(db_path, key_path).close()
    db_path.chmod(0o644)  # as a database made from a shell before this fix
    with closing(sqlite3.connect(db_path)) as reader:
        reader.execute("SELECT 1 FROM settings").fetchall()
    store = CallStore(db_path, key_path)
    try:
        add_call(store, "a1")
        assert [_mode(Path(f"{db_path}{suffix}")) for suffix in ("", "-wal", "-shm")] == [0o600] * 3
    finally:
        store.close()
