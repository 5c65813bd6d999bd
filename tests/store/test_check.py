"""`receptionist check`'s verdict on a real store: whole, a damaged transcript, calls left open by a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.call.events import CallStarted
from appliance.cli import init, main
from appliance.config import load_settings
from appliance.storage.check import check_store
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, add_call


def test_a_whole_store_checks_ok(store: CallStore) -> None:
    add_call(store, "c1")
    store.open_call("c2", CallStarted("c2", NUMBER, "desk", 2000.0))
    report = check_store(store)
    assert report.ok and (report.calls, report.in_progress, report.interrupted) == (2, 1, 0)
    assert report.lines()[0] == "database integrity: ok"
    store.mark_interrupted()
    assert check_store(store).interrupted == 1


def test_a_damaged_call_is_named_with_what_to_do(store: CallStore) -> None:
    add_call(store, "c1")
    add_call(store, "c2")
    store.db.execute("DELETE FROM turns WHERE call_id = 'c2' AND seq = 1")
    report = check_store(store)
    assert not report.ok and report.unreadable == ["c2"]
    assert report.lines()[-1].startswith("the call database is damaged: stop the appliance")


def test_the_check_command_exits_0_when_whole_and_1_when_damaged(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    init(tmp_path)
    settings = load_settings(tmp_path / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "c1")
    store.close()
    assert main(["check", "--config", str(tmp_path / "config.toml")]) == 0
    assert "calls: 1 (0 interrupted by a crash, 0 in progress)" in capsys.readouterr().out
    store = CallStore.open(settings)
    store.db.execute("UPDATE turns SET seq = 9 WHERE call_id = 'c1' AND seq = 1")
    store.close()
    assert main(["check", "--config", str(tmp_path / "config.toml")]) == 1
    assert "calls that cannot be read: c1" in capsys.readouterr().out
