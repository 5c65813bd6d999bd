"""A full disk under the call log (real SQLite, its page limit standing in for the disk; the real full disk is
tests/e2e/test_disk_full.py): no write failure reaches the call, nothing is lost once there is room, and the log
says what happened and what to do without a caller's data."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from appliance.call.events import CallEnded, CallStarted, Outcome, Speaker, TurnSpoken
from appliance.reception.summary import summarize
from appliance.storage.calllog import CallLog
from appliance.storage.check import check_store
from appliance.storage.schema import atomic
from appliance.storage.space import is_disk_full
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, PHRASE, add_call


def _fill(store: CallStore) -> None:
    """No page more: every write that needs one fails as on a full disk (SQLITE_FULL)."""
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")


def _free(store: CallStore) -> None:
    store.db.execute("PRAGMA max_page_count = 1073741823")


def _call(log: CallLog, call_id: str, turns: int) -> None:
    log(call_id, CallStarted(call_id, NUMBER, "desk", 100.0, "Zed Canary"))
    for seq in range(turns):
        log(call_id, TurnSpoken(Speaker.CALLER, f"{PHRASE} {seq} " + "words " * 400, seq, seq + 0.5))
    log(call_id, CallEnded(Outcome.ANSWERED, "caller hung up", 130.0))


def test_a_full_disk_fails_a_transaction_cleanly(store: CallStore) -> None:
    add_call(store, "before")
    _fill(store)
    with pytest.raises(sqlite3.OperationalError) as caught, atomic(store.db):
        store.db.execute("INSERT INTO audit_log (at, actor, action) VALUES (1, 'x', ?)", ["y" * 200_000])
    assert is_disk_full(caught.value), caught.value  # not masked by a failed ROLLBACK
    assert not store.db.conn.in_transaction
    _free(store)
    store.audit("check", None)  # the connection is usable again


def test_call_records_wait_while_the_disk_is_full_then_all_are_written(
        store: CallStore, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    add_call(store, "before")
    log = CallLog(store, tmp_path / "recordings", summarize)
    log.retry_s = 60.0  # retried by the next event here, not by the timer
    _fill(store)
    with caplog.at_level(logging.WARNING):
        _call(log, "c1", turns=6)  # nothing raises: the call would go on
    full = [r.getMessage() for r in caplog.records if "is full" in r.getMessage()]
    assert len(full) == 1 and "Free space there" in full[0], caplog.text  # once, saying what to do
    assert NUMBER not in caplog.text and PHRASE not in caplog.text and "Zed" not in caplog.text
    _free(store)
    _call(log, "c2", turns=1)
    assert "has room again" in caplog.text
    for call_id, turns in (("c1", 6), ("c2", 1)):
        call = store.call(call_id)
        assert call["outcome"] == "answered" and len(call["turns"]) == turns
        assert store.summary(call_id) is not None
    assert log.close() == 0 and check_store(store).ok


def test_records_still_waiting_at_stop_are_counted_and_logged(
        store: CallStore, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    log = CallLog(store, tmp_path / "recordings")
    log.retry_s = 60.0
    _fill(store)
    _call(log, "c1", turns=3)
    with caplog.at_level(logging.ERROR):
        lost = log.close()
    assert lost >= 2 and f"{lost} call record(s) could not be written before stopping" in caplog.text  # the turns
    _free(store)
    assert check_store(store).ok


def test_the_waiting_writes_are_bounded(store: CallStore, tmp_path: Path) -> None:
    log = CallLog(store, tmp_path / "recordings")
    log.retry_s, log.max_waiting = 60.0, 4
    _fill(store)
    _call(log, "c1", turns=6)
    assert log.close() == 4 and log.dropped >= 2  # at least the last turns and the end
