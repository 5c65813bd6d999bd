"""Key files: refused when others could read, change or swap them; the previous key zeroed when confirmed."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from appliance.storage.crypto import (
    KeyPermissionError,
    MasterKey,
    confirm_rotation,
    create_master_key,
    install_rotated_key,
    old_key_path,
)
from appliance.storage.keys import key_file_problem, key_folder_problem


def test_a_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    create_master_key(tmp_path / "real.key")
    (tmp_path / "master.key").symlink_to(tmp_path / "real.key")
    with pytest.raises(KeyPermissionError, match=r"is a symbolic link.*cp --remove-destination"):
        MasterKey.load(tmp_path / "master.key")


def test_a_key_in_a_folder_others_can_change_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    create_master_key(folder / "master.key")
    for mode in (0o770, 0o757, 0o1777):
        folder.chmod(mode)
        with pytest.raises(KeyPermissionError, match=re.escape(f"run: chmod go-w {folder}")):
            MasterKey.load(folder / "master.key")
    folder.chmod(0o755)
    MasterKey.load(folder / "master.key")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_key_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    create_master_key(tmp_path / "master.key")
    os.chown(tmp_path / "master.key", 65534, 65534)
    with pytest.raises(KeyPermissionError, match=re.escape(f"run: chown root {tmp_path / 'master.key'}")):
        MasterKey.load(tmp_path / "master.key")


def test_key_file_ownership_policy() -> None:
    key, folder, regular, directory = Path("/k/master.key"), Path("/k"), stat.S_IFREG, stat.S_IFDIR
    assert key_file_problem(key, regular | 0o600, owner=1000, euid=1000) is None
    assert key_file_problem(key, regular | 0o400, owner=0, euid=1000) is None  # root's file: root could anyway
    assert "chown" in str(key_file_problem(key, regular | 0o600, owner=4243, euid=4242))
    assert "chown" in str(key_file_problem(key, regular | 0o600, owner=1000, euid=0))  # root, service user's file
    assert "chmod 600" in str(key_file_problem(key, regular | 0o640, owner=1000, euid=1000))
    assert "not a regular file" in str(key_file_problem(key, directory | 0o700, owner=1000, euid=1000))
    assert key_folder_problem(folder, directory | 0o755, owner=0, euid=1000) is None
    assert key_folder_problem(folder, directory | 0o700, owner=1000, euid=1000) is None
    assert "chown 4242 /k" in str(key_folder_problem(folder, directory | 0o700, owner=4243, euid=4242))
    assert "chmod go-w /k" in str(key_folder_problem(folder, directory | 0o775, owner=1000, euid=1000))


def test_confirming_overwrites_the_previous_key_before_deleting_it(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    create_master_key(path)
    install_rotated_key(path, MasterKey.generate())
    with old_key_path(path).open("rb") as still_open:  # sees the file's blocks after its name is gone
        confirm_rotation(path)
        assert not old_key_path(path).exists()
        assert set(still_open.read()) == {0}
    install_rotated_key(path, MasterKey.generate())
    os.link(old_key_path(path), tmp_path / "my-copy.key")  # a second name is someone's copy: only unlinked
    kept = (tmp_path / "my-copy.key").read_bytes()
    confirm_rotation(path)
    assert (tmp_path / "my-copy.key").read_bytes() == kept and not old_key_path(path).exists()
