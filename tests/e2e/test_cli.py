"""The `receptionist` command as an installer uses it: help, version, init, simulate, and clear errors."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from appliance import __version__
from tests.e2e.support import RECEPTIONIST, ROOT, free_port, panel_ports


def receptionist(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RECEPTIONIST, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          check=False)


def test_version_and_help_on_every_command() -> None:
    assert receptionist("--version").stdout.strip() == f"receptionist {__version__}"
    for command in ([], ["init"], ["run"], ["simulate"], ["profile"], ["profile", "import"], ["models"],
                    ["models", "fetch"], ["selftest"]):
        done = receptionist(*command, "--help")
        assert done.returncode == 0 and "usage: receptionist" in done.stdout


def test_init_then_simulate_a_conversation_with_the_real_models(tmp_path: Path) -> None:
    assert receptionist("init", "--data-dir", str(tmp_path)).returncode == 0
    done = receptionist("simulate", "--config", str(tmp_path / "config.toml"), "--text",
                        "What are your opening hours?", "--text", "How much is a cleaning?", "--text", "ok, bye",
                        "--save-audio", str(tmp_path / "heard.wav"))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert any("receptionist: Thank you for calling Maple Street Dental" in line for line in lines)
    assert any("receptionist: We're open Monday to Friday from 8 AM to 5 PM" in line for line in lines)
    assert any("receptionist: Cleaning is 95 dollars." in line for line in lines)
    assert lines[-2].startswith("call ended: answered (receptionist hung up)")
    assert (tmp_path / "heard.wav").stat().st_size > 100_000


def test_the_profile_commands_store_versions_and_simulate_answers_from_the_live_one(tmp_path: Path) -> None:
    assert receptionist("init", "--data-dir", str(tmp_path)).returncode == 0
    config = ("--config", str(tmp_path / "config.toml"))
    sample = (tmp_path / "business.toml").read_text()
    bikes, bad = tmp_path / "bikes.toml", tmp_path / "bad.toml"
    bikes.write_text(sample.replace("Maple Street Dental", "Spoke and Chain Bikes"))
    bad.write_text(sample.replace('timezone = "America/New_York"', 'timezone = "Mars/Olympus"'))
    done = receptionist("profile", "check", str(bikes))
    assert done.returncode == 0 and "a valid business profile: 1 brand(s): main (Spoke and Chain Bikes" in done.stdout
    done = receptionist("profile", "check", str(bad))
    assert done.returncode == 2 and f"error: {bad} has 1 problem(s):\n  timezone: Value error, unknown" \
        in done.stderr
    assert "no business profile is stored yet" in receptionist("profile", "versions", *config).stdout
    assert "stored as profile version 1" in receptionist("profile", "import", str(tmp_path / "business.toml"),
                                                         *config).stdout
    assert "stored as profile version 2" in receptionist("profile", "import", str(bikes), *config).stdout
    assert "already the live profile (version 2)" in receptionist("profile", "import", str(bikes), *config).stdout
    done = receptionist("profile", "import", str(bad), *config)
    assert done.returncode == 2 and "timezone" in done.stderr
    assert receptionist("profile", "show", *config).stdout == bikes.read_text()
    assert receptionist("profile", "show", "--version", "1", *config).stdout == sample
    done = receptionist("simulate", *config, "--text", "How much is a cleaning?", "--text", "ok, bye")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "receptionist: Thank you for calling Spoke and Chain Bikes" in done.stdout  # the live version
    assert "is older than the live business profile (version 2" in done.stderr  # and why not the file
    assert "stored as profile version 3" in receptionist("profile", "restore", "1", *config).stdout
    lines = receptionist("profile", "versions", *config).stdout.splitlines()
    assert lines[1].split()[0] == "3" and lines[1].endswith("cli                   live, restored from 1")
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    done = receptionist("profile", "restore", "9", *config)
    assert done.returncode == 2 and "no stored profile version 9" in done.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[sip]\nport = 99999\n", "sip.port"),  # a model file that will not load does not stop `run`: see
        # tests/e2e/test_model_faults.py (`simulate` still stops: test_a_corrupt_model_file_names_the_file_and_the_key)
        ("[business]\nprofile = 'nowhere.toml'\n", "nowhere.toml"),
    ],
)
def test_bad_config_stops_with_a_clear_error(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(config)
    (tmp_path / "business.toml").write_text('name = "Test Shop"\n')
    done = receptionist("run", "--config", str(tmp_path / "config.toml"))
    assert done.returncode == 2
    assert "\nerror: " in "\n" + done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_model_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"GGUF" + b"\x00" * 64)
    (tmp_path / "config.toml").write_text('[models]\nllm = "broken.gguf"\n')
    (tmp_path / "business.toml").write_text('name = "Test Shop"\n')
    done = receptionist("simulate", "--config", str(tmp_path / "config.toml"), "--text", "hello")
    assert done.returncode == 2, done.stderr[-2000:]
    assert str(tmp_path / "broken.gguf") in done.stderr and "models.llm" in done.stderr


def test_a_busy_sip_port_is_reported_with_what_to_do(tmp_path: Path) -> None:
    assert receptionist("init", "--data-dir", str(tmp_path)).returncode == 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        port = busy.getsockname()[1]
        config = (tmp_path / "config.toml").read_text().replace("port = 5060", f"port = {port}")
        config = config.replace('bind_address = "0.0.0.0"', 'bind_address = "127.0.0.1"')
        (tmp_path / "config.toml").write_text(panel_ports(config, free_port(socket.SOCK_STREAM)))
        done = receptionist("run", "--config", str(tmp_path / "config.toml"))
    assert done.returncode == 2
    assert f"cannot listen for SIP on 127.0.0.1:{port}/udp" in done.stderr and "[sip] port" in done.stderr


def test_a_busy_panel_port_is_reported_with_what_to_do(tmp_path: Path) -> None:
    assert receptionist("init", "--data-dir", str(tmp_path)).returncode == 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        config = panel_ports((tmp_path / "config.toml").read_text(), port)
        config = config.replace("port = 5060", f"port = {free_port()}")
        (tmp_path / "config.toml").write_text(config.replace('bind_address = "0.0.0.0"', 'bind_address = "127.0.0.1"'))
        done = receptionist("run", "--config", str(tmp_path / "config.toml"))
    assert done.returncode == 2
    assert f"cannot serve the panel on 127.0.0.1:{port}" in done.stderr and "[web] port" in done.stderr
