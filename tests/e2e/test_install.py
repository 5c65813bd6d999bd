"""`scripts/setup.sh --install` and `--uninstall` into a container-like root (`--root`): the service user, the
files with their owners and modes, the units (pointing at the install, enabled, passing `systemd-analyze verify`),
a second run that keeps the data and the key, and an uninstall that keeps the data unless `--purge`.

The virtual environment is not built (5 minutes): `--venv` makes the installed one load this test's packages."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.support import ROOT

SETUP = ROOT / "scripts" / "setup.sh"
VENV = Path(sys.prefix)
UNITS = ["receptionist.service", "receptionist-retention.service", "receptionist-retention.timer",
         "receptionist-backup.service", "receptionist-backup.timer", "receptionist-rewrap.service",
         "receptionist-rewrap.timer"]
KEPT = ["master.key", "config.toml", "business.toml", "panel.crt", "panel.key"]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the installer runs as root: it adds a user and sets owners"),
    pytest.mark.skipif(not all(shutil.which(tool) for tool in ("useradd", "userdel", "setpriv", "systemctl")),
                       reason="needs useradd, userdel, setpriv (util-linux) and systemctl"),
    pytest.mark.skipif(not (VENV / "bin" / "receptionist").exists(), reason="needs the tests' venv (setup.sh --dev)"),
]


@dataclass(frozen=True)
class Box:
    """A root folder the appliance was installed into, and what the installer printed."""

    root: Path
    output: str

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def service_ids(self) -> tuple[int, int] | None:
        for line in self.path("/etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == "receptionist":
                return int(fields[2]), int(fields[3])
        return None


def setup(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """scripts/setup.sh with these options, into `root`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the code under test, whichever venv runs it
    return subprocess.run([str(SETUP), *options, "--root", str(root)], capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def install(root: Path) -> Box:
    done = setup(root, "--install", "--venv", str(VENV))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Box(root, done.stdout)


def make_root() -> Path:
    """An empty system tree: root's account, the host's systemd units (for `enable` and `verify`) and `find`."""
    root = Path(tempfile.mkdtemp(prefix="receptionist-root-"))
    root.chmod(0o755)  # the service user must reach the installed venv and data folder in it
    (root / "etc").mkdir()
    for name, line in (("passwd", "root:x:0:0:root:/root:/bin/bash"), ("group", "root:x:0:"),
                       ("shadow", "root:*:19000:0:99999:7:::"), ("gshadow", "root:*::")):
        (root / "etc" / name).write_text(line + "\n")
    for name in ("shadow", "gshadow"):
        (root / "etc" / name).chmod(0o640)
    if Path("/usr/lib/systemd/system").is_dir():
        shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2("/usr/bin/find", root / "usr/bin/find")  # the backup unit's ExecStartPost
    return root


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    root = make_root()
    try:
        yield install(root)
    finally:
        shutil.rmtree(root)


@pytest.fixture()
def fresh_root() -> Iterator[Path]:
    root = make_root()
    try:
        yield root
    finally:
        shutil.rmtree(root)


def checksums(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def test_the_service_user_has_no_login_and_owns_only_the_data(box: Box) -> None:
    ids = box.service_ids()
    assert ids is not None
    entry = next(line for line in box.path("/etc/passwd").read_text().splitlines() if line.startswith("receptionist:"))
    assert entry.endswith(":/var/lib/receptionist:/usr/sbin/nologin")
    assert int(entry.split(":")[2]) < 1000  # a system user
    shadow = next(line for line in box.path("/etc/shadow").read_text().splitlines() if line.startswith("receptionist:"))
    assert shadow.split(":")[1] in ("!", "*", "!*")  # no password
    data = box.path("/var/lib/receptionist")
    for folder in (data, box.path("/var/backups/receptionist")):
        found = folder.stat()
        assert (found.st_uid, found.st_gid) == ids and stat.S_IMODE(found.st_mode) == 0o700
    for name in ("master.key", "config.toml"):
        found = (data / name).stat()
        assert (found.st_uid, found.st_gid) == ids and stat.S_IMODE(found.st_mode) == 0o600, name
    assert {path.name for path in data.iterdir()} >= {*KEPT, "receptionist.db"}
    assert all(path.stat().st_uid == ids[0] for path in data.iterdir())


def test_the_code_is_a_copy_of_the_project_that_the_service_user_cannot_change(box: Box) -> None:
    code = box.path("/opt/receptionist")
    assert (code / "appliance" / "cli.py").read_bytes() == (ROOT / "appliance" / "cli.py").read_bytes()
    assert not (code / "data").exists() and not (code / ".git").exists()
    for path in [code, *code.rglob("*")]:
        if path.is_symlink() or ".venv" in path.relative_to(code).parts[:1]:
            continue
        found = path.stat()
        assert found.st_uid == 0 and not found.st_mode & 0o022, path
    version = subprocess.run([str(code / ".venv/bin/python"), str(code / ".venv/bin/receptionist"), "--version"],
                             capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout.startswith("receptionist ")
    assert (code / ".venv/bin/receptionist").read_text().startswith("#!/opt/receptionist/.venv/bin/python\n")


def test_the_units_point_at_the_install_and_are_enabled(box: Box) -> None:
    units = box.path("/etc/systemd/system")
    for unit in UNITS:
        assert (units / unit).read_bytes() == (ROOT / "systemd" / unit).read_bytes()
    assert "ExecStart=/opt/receptionist/.venv/bin/receptionist run\n" in (units / "receptionist.service").read_text()
    assert "WorkingDirectory=/var/lib/receptionist\n" in (units / "receptionist.service").read_text()
    assert box.path("/etc/systemd/journald@receptionist.conf").is_file()
    assert (units / "multi-user.target.wants" / "receptionist.service").is_symlink()
    for timer in ("receptionist-retention.timer", "receptionist-backup.timer"):
        assert (units / "timers.target.wants" / timer).is_symlink()
    assert not (units / "timers.target.wants" / "receptionist-rewrap.timer").exists()  # opt-in


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze (systemd)")
def test_systemd_analyze_verify_passes_on_the_installed_units(box: Box) -> None:
    done = subprocess.run(["systemd-analyze", "verify", f"--root={box.root}", *UNITS],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "receptionist" not in done.stdout + done.stderr


def test_the_installer_says_where_the_panel_is_and_that_nothing_was_started(box: Box) -> None:
    assert "the panel: https://" in box.output and ":8443/" in box.output
    assert "No panel account exists yet" in box.output and ":8443/setup/" in box.output
    assert "users add --role owner NAME" in box.output
    assert "Nothing was started (--root)" in box.output


def test_a_second_run_keeps_the_data_and_the_key(box: Box) -> None:
    data = box.path("/var/lib/receptionist")
    before, ids = checksums(data, KEPT), box.service_ids()
    again = install(box.root)
    assert checksums(data, KEPT) == before
    assert box.service_ids() == ids
    assert [line[:13] for line in box.path("/etc/passwd").read_text().splitlines()].count("receptionist:") == 1
    assert stat.S_IMODE((data / "master.key").stat().st_mode) == 0o600
    assert "Installed under" in again.output


def test_uninstall_keeps_the_data_and_purge_deletes_it(fresh_root: Path) -> None:
    box = install(fresh_root)
    data = box.path("/var/lib/receptionist")
    before = checksums(data, KEPT)
    done = setup(fresh_root, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not box.path("/opt/receptionist").exists()
    units = box.path("/etc/systemd/system")
    assert not [path for path in units.rglob("receptionist*")]
    assert not box.path("/etc/systemd/journald@receptionist.conf").exists()
    assert checksums(data, KEPT) == before and box.service_ids() is not None
    assert "Kept: the data in /var/lib/receptionist" in done.stdout
    done = setup(fresh_root, "--uninstall", "--purge")
    assert done.returncode == 0, done.stderr
    assert not data.exists() and not box.path("/var/backups/receptionist").exists()  # it was empty
    assert box.service_ids() is None and "receptionist:" not in box.path("/etc/group").read_text()


def test_refusals_say_what_to_do(fresh_root: Path) -> None:
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(SETUP), "--install"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "run it as root (sudo scripts/setup.sh --install)" in done.stderr
    done = setup(fresh_root, "--install")
    assert done.returncode == 2 and "--root needs --venv DIR" in done.stderr
    done = setup(fresh_root, "--uninstall", "--purge", "--bogus")
    assert done.returncode == 2 and "unknown option '--bogus'" in done.stderr
    assert not (fresh_root / "opt").exists()
