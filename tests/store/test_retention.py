"""Retention with an injected clock: due data is gone (also from the raw files), fresh data stays."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import RetentionSettings
from appliance.storage.retention import DAY_S, DEFAULT_WINDOWS, due, run_retention
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, PHRASE, add_call, file_bytes

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("kind", "age_days", "expected"), [
    ("recordings", 29.9, False), ("recordings", 30.1, True), ("sms", 89, False), ("sms", 91, True),
    ("call_logs", 364, False), ("call_logs", 366, True), ("transcripts", 5000, False), ("summaries", 5000, False),
])
def test_default_windows(kind: str, age_days: float, expected: bool) -> None:
    assert due(kind, NOW - age_days * DAY_S, NOW) is expected


def test_configured_windows_and_unknown_kinds() -> None:
    windows = RetentionSettings(transcripts_days=7, recordings_days=0).windows()
    assert windows == {**DEFAULT_WINDOWS, "transcripts": 7, "recordings": None}
    assert due("transcripts", NOW - 8 * DAY_S, NOW, windows) and not due("recordings", 0, NOW, windows)
    with pytest.raises(ValueError, match="unknown kind"):
        due("logs", 0, NOW)


def test_old_call_logs_go_and_fresh_ones_stay(store: CallStore, db_path: Path) -> None:
    add_call(store, "old", NUMBER, at=NOW - 400 * DAY_S)
    add_call(store, "new", OTHER, at=NOW - 10 * DAY_S)
    sealed = store.db.execute("SELECT text FROM turns WHERE call_id = 'old'").fetchone()[0]
    windows = {**DEFAULT_WINDOWS, "transcripts": 365}
    assert run_retention(store, NOW, windows)["call_logs"] == 1
    assert [row["id"] for row in store.recent_calls()] == ["new"]
    assert store.call("new")["turns"] and store.find_contact(NUMBER) is None  # the old caller's key is gone
    assert store.db.execute("SELECT COUNT(*) FROM data_keys").fetchone()[0] == 1
    assert Path(f"{db_path}-wal").stat().st_size < 8192 and sealed not in file_bytes(db_path)


def test_a_kept_transcript_keeps_its_call_without_the_log(store: CallStore) -> None:
    add_call(store, "old", NUMBER, at=NOW - 400 * DAY_S)
    deleted = run_retention(store, NOW)
    assert deleted["call_logs"] == 0 and deleted["transcripts"] == 0
    call = store.call("old")
    assert call["caller_number"] is None and call["sip_call_id"] is None and call["events"] == []
    assert call["turns"][0]["text"] == f"I said the {PHRASE}"
    assert store.find_contact(NUMBER) is not None  # the contact still owns the transcript


def test_retention_is_audited_and_idempotent(store: CallStore) -> None:
    add_call(store, "old", NUMBER, at=NOW - 400 * DAY_S)
    assert run_retention(store, NOW, {**DEFAULT_WINDOWS, "transcripts": 30})["call_logs"] == 1
    assert run_retention(store, NOW, {**DEFAULT_WINDOWS, "transcripts": 30}) == dict.fromkeys(
        ("transcripts", "summaries", "call_logs", "sms", "recordings"), 0)
    actions = [row[0] for row in store.db.execute("SELECT action FROM audit_log")]
    assert actions == ["retention", "retention"]
