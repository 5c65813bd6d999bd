"""A new master key after erasures: 'keys due', the re-wrap job (scripts/rewrap-after-erasure.sh) and key sealing.

The scripts run for real with bash; systemctl, runuser and systemd-creds are small fakes on PATH that log what
they were asked (systemd-creds 'encrypts' by copying), and `receptionist` is this checkout's CLI.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import init, main
from appliance.config import Settings, load_settings
from appliance.storage.backup import restore_backup
from appliance.storage.crypto import MasterKey
from appliance.storage.datarights import erase_caller
from appliance.storage.locks import hold_shared_lock
from appliance.storage.rotation import rotate_master_key
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, add_call

ROOT = Path(__file__).resolve().parents[2]
FAKES = {
    "systemctl": 'echo "systemctl $*" >>"$FAKE_LOG"\n',
    "runuser": 'echo "app ${5:-} ${6:-}" >>"$FAKE_LOG"\nshift 3\nexec "$@"\n',
    "systemd-creds": """echo "systemd-creds $1" >>"$FAKE_LOG"
case "$1" in has-tpm2) exit 1 ;; encrypt|decrypt) ;; *) exit 0 ;; esac
source="${@: -2:1}" target="${@: -1}"
if [ "$target" = - ]; then cat "$source"; else cp "$source" "$target"; fi
""",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    init(tmp_path / "box")
    settings = load_settings(tmp_path / "box" / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    add_call(store, "b1", OTHER, "other words", name="Bo Other")
    store.close()
    return settings


@pytest.fixture
def box(tmp_path: Path, settings: Settings) -> dict[str, str]:
    """The environment of the scripts: fakes first on PATH, this box's folders, a log of what they did."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {**FAKES, "receptionist": f'exec {sys.executable} -m appliance.cli "$@"\n'}.items():
        (bin_dir / name).write_text(f"#!/usr/bin/env bash\n{body}")
        (bin_dir / name).chmod(0o755)
    (tmp_path / "backups").mkdir()
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "FAKE_LOG": str(tmp_path / "log"), "RECEPTIONIST_DATA": str(settings.data_dir),
            "RECEPTIONIST_BACKUPS": str(tmp_path / "backups"), "RECEPTIONIST_USER": getpass.getuser(),
            "RECEPTIONIST_BIN": str(bin_dir / "receptionist"),
            "RECEPTIONIST_CREDENTIAL": str(tmp_path / "credstore" / "receptionist-master-key"),
            "SYSTEMD_UNIT_DIR": str(tmp_path / "units")}


def _erase(settings: Settings, number: str = NUMBER) -> None:
    store = CallStore.open(settings)
    try:
        erase_caller(store, number)
    finally:
        store.close()


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _log(env: dict[str, str]) -> list[str]:
    path = Path(env["FAKE_LOG"])
    return path.read_text().splitlines() if path.exists() else []


def test_keys_due_counts_erasures_since_the_last_rotation(settings: Settings,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    config = str(settings.data_dir / "config.toml")
    assert main(["keys", "due", "--config", config]) == 1
    assert "no caller erased since the last key rotation" in capsys.readouterr().out
    _erase(settings)
    assert main(["keys", "due", "--config", config]) == 0
    assert "1 caller(s) erased since the last key rotation: a rotation is due" in capsys.readouterr().out
    rotate_master_key(settings)
    assert main(["keys", "due", "--config", config]) == 1
    _erase(settings, OTHER)
    assert main(["keys", "due", "--config", config]) == 0


def test_the_job_does_nothing_without_erasures(settings: Settings, box: dict[str, str]) -> None:
    secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    result = _run("rewrap-after-erasure.sh", box)
    assert result.returncode == 0, result.stderr
    assert _log(box) == ["app keys due"]  # the service was not stopped
    assert MasterKey.load(settings.storage.master_key).secret_bytes() == secret


def test_after_an_erasure_the_job_rotates_backs_up_and_confirms(settings: Settings, box: dict[str, str],
                                                                 tmp_path: Path) -> None:
    _erase(settings)
    secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    result = _run("rewrap-after-erasure.sh", box)
    assert result.returncode == 0, result.stderr
    assert _log(box) == ["app keys due", "systemctl is-active --quiet receptionist.service",
                         "systemctl stop receptionist.service", "app keys rotate",
                         "systemctl start receptionist.service", "app backup --out", "app keys confirm",
                         "systemctl start receptionist.service"]
    assert "refresh your offline copy" in result.stdout
    assert MasterKey.load(settings.storage.master_key).secret_bytes() != secret
    assert not settings.storage.master_key.with_name("master.key.old").exists()
    [written] = (tmp_path / "backups").iterdir()  # the new backup restores with the new key
    assert restore_backup(settings, written, tmp_path / "restored").origin is not None
    assert main(["keys", "due", "--config", str(settings.data_dir / "config.toml")]) == 1


def test_with_a_sealed_key_the_job_reseals_it_and_removes_the_key_file(
        settings: Settings, box: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = settings.storage.master_key
    assert _run("seal-master-key.sh", box, "--drop-ins", str(key)).returncode == 0
    credential = Path(box["RECEPTIONIST_CREDENTIAL"])
    assert credential.read_bytes() == key.read_bytes()
    dropin = tmp_path / "units" / "receptionist.service.d" / "master-key-credential.conf"
    assert f"LoadCredentialEncrypted=receptionist-master-key:{credential}" in dropin.read_text()
    _erase(settings)
    old = key.read_bytes()
    key.unlink()  # as the README says, once the service runs with the credential
    Path(box["FAKE_LOG"]).unlink()
    result = _run("rewrap-after-erasure.sh", box)
    assert result.returncode == 0, result.stderr
    assert _log(box)[3:9] == ["systemd-creds decrypt", "app keys rotate", "systemd-creds decrypt",
                              "systemd-creds has-tpm2", "systemd-creds setup", "systemd-creds encrypt"]
    assert not key.exists() and not key.with_name("master.key.old").exists()
    assert credential.read_bytes() != old
    credentials = tmp_path / "creds"  # the service would now get the new key from the credential
    credentials.mkdir()
    (credentials / "receptionist-master-key").write_bytes(credential.read_bytes())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    CallStore.open(settings).close()


def test_a_failed_rotation_restarts_the_service_and_keeps_the_key(settings: Settings, box: dict[str, str]) -> None:
    _erase(settings)
    secret = MasterKey.load(settings.storage.master_key).secret_bytes()
    fd = hold_shared_lock(settings.data_dir)  # as a backup or export still running would
    try:
        result = _run("rewrap-after-erasure.sh", box)
    finally:
        os.close(fd)
    assert result.returncode != 0
    assert "rewrap FAILED while rotating the master key" in result.stderr
    assert _log(box)[-1] == "systemctl start receptionist.service"
    assert MasterKey.load(settings.storage.master_key).secret_bytes() == secret


def test_sealing_refuses_to_replace_another_key(settings: Settings, box: dict[str, str]) -> None:
    credential = Path(box["RECEPTIONIST_CREDENTIAL"])
    credential.parent.mkdir()
    credential.write_bytes(b"another key\n")
    result = _run("seal-master-key.sh", box, str(settings.storage.master_key))
    assert result.returncode == 1 and "already holds another key" in result.stderr
    assert credential.read_bytes() == b"another key\n"


def test_setup_offers_the_options_and_runs_unattended_without_them() -> None:
    text = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh"), "--help"], capture_output=True, text=True,
                          check=True).stdout
    assert "--seal-key" in text and "--rewrap-after-erasure" in text
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "read " not in setup  # no prompts: the quick start runs it unattended
