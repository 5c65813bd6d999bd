"""`receptionist export`, `erase`, `correct` and `retention run` on a data folder made by `receptionist init`."""

from __future__ import annotations

import io
import json
import resource
from pathlib import Path

import pytest

from appliance.call.recorder import CallRecorder
from appliance.cli import init, main
from appliance.config import load_settings
from appliance.storage.datarights import EXPORT_NOTICE
from appliance.storage.recordings import save_recording
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, add_call


@pytest.fixture
def config(tmp_path: Path) -> Path:
    init(tmp_path)
    settings = load_settings(tmp_path / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    add_call(store, "b1", OTHER)
    save_recording(store, "a1", CallRecorder().wav(), settings.recordings_dir)
    store.close()
    return tmp_path / "config.toml"


def test_export_one_caller_and_all(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ana.json"
    assert main(["export", "--config", str(config), "--caller", NUMBER, "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("exported 1 caller(s), 1 call(s) and 1 recording(s)")
    exported = json.loads(out.read_text())["contacts"][0]
    assert exported["number"] == NUMBER
    audio = tmp_path / exported["calls"][0]["recording"]
    assert audio.read_bytes().startswith(b"RIFF") and audio.stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o600
    assert main(["export", "--config", str(config), "--all", "--out", str(out)]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "--config", str(config), "--all", "--out", str(tmp_path / "all.json")]) == 0
    assert len(json.loads((tmp_path / "all.json").read_text())["contacts"]) == 2


def test_an_export_warns_it_is_out_of_erasures_reach(config: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ana.json"
    assert main(["export", "--config", str(config), "--caller", NUMBER, "--out", str(out)]) == 0
    assert "erasing a caller does not reach it" in capsys.readouterr().err
    assert json.loads(out.read_text())["notice"] == EXPORT_NOTICE
    assert "does not reach it" in EXPORT_NOTICE


def test_the_number_can_come_from_standard_input(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{NUMBER}\n"))
    assert main(["export", "--config", str(config), "--caller", "-", "--out", str(tmp_path / "ana.json")]) == 0
    assert json.loads((tmp_path / "ana.json").read_text())["contacts"][0]["number"] == NUMBER
    monkeypatch.setattr("sys.stdin", io.StringIO(f" {NUMBER} \n"))
    assert main(["correct", "--config", str(config), "--caller", "-", "--name", "Ana Fixed"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{NUMBER}\n"))
    assert main(["erase", "--config", str(config), "--caller", "-"]) == 0
    assert "erased the caller and 1 call(s)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["erase", "--config", str(config), "--caller", "-"]) == 2
    assert "no phone number on standard input" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["erase", "--help"])
    assert "shell history" in " ".join(capsys.readouterr().out.split())


def test_a_command_writes_no_core_dump(config: Path) -> None:
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if hard == 0:
        pytest.skip("core dumps are already off for good here")
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # as a shell with 'ulimit -c unlimited'
    assert main(["retention", "run", "--config", str(config)]) == 0
    assert resource.getrlimit(resource.RLIMIT_CORE)[0] == 0


def test_erase_a_caller(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erase", "--config", str(config), "--caller", NUMBER]) == 0
    assert capsys.readouterr().out.strip() == "erased the caller and 1 call(s)"
    assert main(["erase", "--config", str(config), "--caller", NUMBER]) == 0
    assert "nothing erased" in capsys.readouterr().out


def test_correct_a_callers_name_and_notes(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["correct", "--config", str(config), "--caller", NUMBER, "--name", "Ana Fixed"]) == 0
    assert capsys.readouterr().out.strip() == "corrected the caller's name"
    assert main(["correct", "--config", str(config), "--caller", NUMBER, "--notes", "deaf in left ear"]) == 0
    out = tmp_path / "ana.json"
    assert main(["export", "--config", str(config), "--caller", NUMBER, "--out", str(out)]) == 0
    contact = json.loads(out.read_text())["contacts"][0]
    assert (contact["name"], contact["notes"]) == ("Ana Fixed", "deaf in left ear")
    capsys.readouterr()
    assert main(["correct", "--config", str(config), "--caller", NUMBER]) == 2
    assert "nothing to correct" in capsys.readouterr().err
    assert main(["correct", "--config", str(config), "--caller", "+10000000000", "--name", "x"]) == 2
    assert "no stored data belongs to that number" in capsys.readouterr().err


def test_a_missing_key_is_a_clear_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (config.parent / "master.key").unlink()
    assert main(["erase", "--config", str(config), "--caller", NUMBER]) == 2
    assert "master key file" in capsys.readouterr().err


def test_retention_run(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", "run", "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == (
        "deleted: transcripts 0, summaries 0, call logs 0, sms 0, recordings 0, recording files 0")  # kept
    store = CallStore.open(load_settings(config))
    assert store.call("a1")["caller_number"] is None  # the 1970 sample call lost its log details
    store.close()
