"""Data rights: export one caller or all, erase a caller completely, correct a caller's details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.datarights import CallerNotFoundError, correct_contact, erase_caller, export_all, export_caller
from appliance.schema import TABLES
from appliance.store import CallStore
from tests.store.conftest import NUMBER, OTHER, PHRASE, add_call, contains, file_bytes


def _two_callers(store: CallStore) -> None:
    add_call(store, "a1", NUMBER, at=10)
    add_call(store, "b1", OTHER, "other words", name="Bo Other", at=20, turns=3)
    add_call(store, "a2", NUMBER, at=30)
    add_call(store, "b2", OTHER, "more words", name="Bo Other", at=40, turns=1)
    store.add_summary("a1", f"Ana asked about the {PHRASE}", 50)
    store.add_message("a1", {"name": "Ana", "callback_number": NUMBER, "reason": "invoice"}, urgency="high", at=60)
    store.add_message("b1", {"name": "Bo", "callback_number": OTHER, "reason": "quote"}, at=70)


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
