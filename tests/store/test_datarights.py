"""Data rights: export one caller or all, erase a caller completely, correct a caller's details."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.call.recorder import CallRecorder
from appliance.storage.datarights import (
    CallerNotFoundError,
    correct_contact,
    erase_caller,
    erased_ids,
    erasure_ledger,
    export_all,
    export_caller,
    record_erasure,
)
from appliance.storage.recordings import save_recording
from appliance.storage.schema import TABLES, WalBusyError
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, PHRASE, add_call, contains, file_bytes


def _two_callers(store: CallStore) -> None:
    add_call(store, "a1", NUMBER, at=10)
    add_call(store, "b1", OTHER, "other words", name="Bo Other", at=20, turns=3)
    add_call(store, "a2", NUMBER, at=30)
    add_call(store, "b2", OTHER, "more words", name="Bo Other", at=40, turns=1)
    store.add_summary("a1", f"Ana asked about the {PHRASE}", 50)
    store.add_message("a1", {"name": "Ana", "callback_number": NUMBER, "reason": "invoice"}, urgency="high", at=60)
    store.add_message("b1", {"name": "Bo", "callback_number": OTHER, "reason": "quote", "for_member": "ann"}, at=70)


def test_export_of_a_caller_holds_every_call_turn_and_message(store: CallStore) -> None:
    _two_callers(store)
    archive = json.loads(json.dumps(export_caller(store, "+1 555 010 0142")))
    assert archive["format"] == "receptionist-export" and archive["version"] == 1
    [contact] = archive["contacts"]
    assert contact["number"] == OTHER and contact["name"] == "Bo Other"
    assert [call["id"] for call in contact["calls"]] == ["b1", "b2"]
    assert sum(len(call["turns"]) for call in contact["calls"]) == store.db.execute(
        "SELECT COUNT(*) FROM turns JOIN calls ON calls.id = turns.call_id WHERE calls.contact_id = ?",
        [contact["id"]]).fetchone()[0] == 4
    first = contact["calls"][0]
    assert first["turns"][0]["text"] == "I said the other words" and first["events"][0]["data"] == {"digit": "7"}
    assert first["messages"][0]["reason"] == "quote" and first["summary"] is None
    assert first["messages"][0]["for_member"] == "ann"
    assert "contact_id" not in first and "call_id" not in first["turns"][0]


def test_export_all_covers_the_whole_database(store: CallStore) -> None:
    _two_callers(store)
    archive = export_all(store)
    assert len(archive["contacts"]) == store.db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 2
    calls = [call for contact in archive["contacts"] for call in contact["calls"]]
    assert len(calls) == 4 and sum(len(call["turns"]) for call in calls) == 8
    ana = archive["contacts"][0]
    assert ana["calls"][0]["summary"] == f"Ana asked about the {PHRASE}"
    assert ana["calls"][0]["messages"][0]["urgency"] == "high"


def test_erase_removes_the_caller_from_every_table_and_file(store: CallStore, db_path: Path) -> None:
    _two_callers(store)
    contact_id = store.find_contact(NUMBER)
    wrapped = store.db.execute("SELECT wrapped FROM data_keys WHERE key_id = ?", [contact_id]).fetchone()[0]
    sealed_turn = store.db.execute("SELECT text FROM turns WHERE call_id = 'a1'").fetchone()[0]
    assert erase_caller(store, NUMBER) == 2
    assert store.find_contact(NUMBER) is None
    for table in set(TABLES) - {"audit_log"}:  # the audit log names the erased contact by its opaque id only
        for row in store.db.execute(f"SELECT * FROM {table}"):
            assert all(value not in (contact_id, "a1", "a2") for value in row), table
    audit = store.db.execute("SELECT action, subject, detail FROM audit_log").fetchall()
    assert audit[-1] == ("erase", contact_id, "2 calls")
    assert Path(f"{db_path}-wal").stat().st_size == 0
    data = file_bytes(db_path)
    assert wrapped not in data and sealed_turn not in data  # secure_delete overwrote the key and ciphertexts
    for canary in (NUMBER, PHRASE, "Ana Canary"):
        assert not contains(data, canary), canary
    other = export_caller(store, OTHER)["contacts"][0]
    assert len(other["calls"]) == 2 and sum(len(call["turns"]) for call in other["calls"]) == 4
    assert erase_caller(store, NUMBER) == 0


def test_correct_contact_changes_name_and_notes(store: CallStore) -> None:
    _two_callers(store)
    correct_contact(store, NUMBER, name="Ana Correct", notes="prefers mornings")
    correct_contact(store, NUMBER, notes="prefers afternoons")
    contact = export_caller(store, NUMBER)["contacts"][0]
    assert (contact["name"], contact["notes"]) == ("Ana Correct", "prefers afternoons")
    with pytest.raises(CallerNotFoundError):
        correct_contact(store, "+19999999999", name="x")


def test_an_unknown_caller_exports_nothing(store: CallStore) -> None:
    _two_callers(store)
    assert export_caller(store, "+19999999999")["contacts"] == []
    assert export_caller(store, "anonymous")["contacts"] == []


class _QuickStore(CallStore):
    """The real store, giving up on a blocked checkpoint after 0.2 s instead of 5 s."""

    wal_wait_s = 0.2


def _db_and_wal(db_path: Path) -> bytes:
    return b"".join(Path(f"{db_path}{suffix}").read_bytes() for suffix in ("", "-wal")
                    if Path(f"{db_path}{suffix}").exists())


def test_erase_under_a_reader_snapshot_leaves_no_key_copy_or_says_so(db_path: Path, key_path: Path) -> None:
    store = _QuickStore(db_path, key_path)
    _two_callers(store)
    contact_id = store.find_contact(NUMBER)
    wrapped = bytes(store.db.execute("SELECT wrapped FROM data_keys WHERE key_id = ?", [contact_id]).fetchone()[0])
    assert wrapped in _db_and_wal(db_path)
    reader = sqlite3.connect(db_path, isolation_level=None)  # a backup or the panel, mid-read
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM data_keys").fetchall()
    try:
        erase_caller(store, NUMBER)
    except WalBusyError as exc:  # the one honest failure: it says the copy is there and what to do
        assert "-wal still holds a copy" in str(exc) and "run the same command again" in str(exc).lower()
    else:
        assert wrapped not in _db_and_wal(db_path)
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    assert store.find_contact(NUMBER) is None
    assert erase_caller(store, NUMBER) == 0  # run again once the reader is done: the copy is wiped
    assert wrapped not in _db_and_wal(db_path)
    store.close()


def test_erase_caller_removes_the_callers_recording_files(store: CallStore, db_path: Path) -> None:
    _two_callers(store)
    folder = db_path.parent / "recordings"  # Settings.recordings_dir: beside the database
    for call_id in ("a1", "a2", "b1"):
        save_recording(store, call_id, CallRecorder().wav(), folder)
    erase_caller(store, NUMBER)  # what the panel calls: no separate sweep afterwards
    [kept] = folder.iterdir()
    assert store.rows("SELECT call_id FROM recordings WHERE path = ?", [kept.name]) == [{"call_id": "b1"}]


class _Crash(Exception):
    """Stands for the process dying between the ledger write and the commit."""


class _CrashBeforeCommit(CallStore):
    """The real store whose erasure transaction dies right after its before-commit steps."""

    def erase_contact(self, contact_id: str, *, actor: str = "cli", detail: str = "",
                      before_commit: Callable[[], None] | None = None) -> int:
        def then_crash() -> None:
            if before_commit is not None:
                before_commit()
            raise _Crash
        return super().erase_contact(contact_id, actor=actor, detail=detail, before_commit=then_crash)


def test_the_ledger_line_is_written_before_the_commit(db_path: Path, key_path: Path) -> None:
    crashing = _CrashBeforeCommit(db_path, key_path)
    _two_callers(crashing)
    contact_id = crashing.find_contact(NUMBER)
    ledger = erasure_ledger(key_path)
    with pytest.raises(_Crash):
        erase_caller(crashing, NUMBER)
    assert ledger.read_text() == f"{contact_id}\n"  # a restore would erase them even though the commit never came
    assert crashing.find_contact(NUMBER) == contact_id
    crashing.close()
    store = CallStore(db_path, key_path)
    assert erase_caller(store, NUMBER) == 2
    assert erase_caller(store, NUMBER) == 0
    assert ledger.read_text() == f"{contact_id}\n"  # idempotent: still one line
    store.close()


def test_the_ledger_keeps_one_line_per_id_even_after_a_torn_write(tmp_path: Path) -> None:
    ledger = tmp_path / "master.key.erased"
    ledger.write_text("aaa\nbb")  # a crash cut the last line short
    record_erasure(ledger, "ccc")
    record_erasure(ledger, "ccc")
    record_erasure(ledger, "aaa")
    assert ledger.read_text() == "aaa\nbb\nccc\n"
    assert erased_ids(ledger) == {"aaa", "bb", "ccc"}
