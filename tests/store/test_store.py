"""The encrypted call store: round trip, returning callers, canaries in the raw files, tampering, keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from appliance.call.events import CallStarted, ErrorRaised, MessageTaken, TransferFailed, Transferring
from appliance.storage.crypto import DecryptionError, KeyMissingError, MasterKey, WrongMasterKeyError
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, PHRASE, add_call, contains, file_bytes


def test_a_call_reads_back_decrypted_with_the_old_shape(store: CallStore) -> None:
    add_call(store, "c1")
    store.record("c1", ErrorRaised("STT", "speech engine failed", 5.0))
    call = store.call("c1")
    assert call["caller_number"] == NUMBER and call["caller_name"] == "Ana Canary"
    assert call["sip_call_id"] == "sip-c1" and call["codec"] == "G722" and call["outcome"] == "answered"
    assert call["duration_s"] == 61 and call["billing_minutes"] == 2 and call["error_code"] == "STT"
    assert [t["text"] for t in call["turns"]] == [f"I said the {PHRASE}", "turn 1"]
    assert call["turns"][0]["timings"] == {"stt_ms": 12.0} and call["turns"][1]["seq"] == 2
    assert [(e["kind"], e["data"]) for e in call["events"]] == [
        ("dtmf", '{"digit": "7"}'), ("error", '{"code": "STT", "message": "speech engine failed"}')]
    assert store.recent_calls(5)[0]["caller_name"] == "Ana Canary"


def test_a_transfer_sets_the_destination_and_a_failed_one_clears_it(store: CallStore) -> None:
    add_call(store, "t1")
    store.record("t1", Transferring("ann", "201", 1010.0, "Ann Lee"))
    assert store.call("t1")["destination"] == "201"
    store.record("t1", TransferFailed("ann", "201", 486, 1030.0, "Ann Lee"))
    call = store.call("t1")
    assert call["destination"] is None  # the call log shows no target the caller never reached
    assert [e["kind"] for e in call["events"]][-2:] == ["transfer", "transfer-failed"]
    assert '"name": "Ann Lee"' in call["events"][-1]["data"]


def test_a_message_taken_on_a_call_is_stored_encrypted(store: CallStore, db_path: Path) -> None:
    add_call(store, "m1")
    store.record("m1", MessageTaken("Ana Canary", "5551234567", f"call me about the {PHRASE}", "urgent", 1100.0,
                                    "okafor", True))
    [message] = store.messages(store.call("m1")["contact_id"])
    assert (message["name"], message["callback_number"], message["reason"]) == (
        "Ana Canary", "5551234567", f"call me about the {PHRASE}")
    assert (message["urgency"], message["status"], message["call_id"], message["created_at"]) == (
        "urgent", "new", "m1", 1100.0)
    assert message["for_member"] == "okafor"  # a team member's id: plain, like the assignee
    assert not contains(file_bytes(db_path), PHRASE)


def test_returning_callers_share_a_contact_and_anonymous_ones_do_not(store: CallStore) -> None:
    add_call(store, "a", "+1 (555) 019-9887", at=1)
    add_call(store, "b", NUMBER, at=2)
    add_call(store, "c", "anonymous", at=3)
    add_call(store, "d", "", at=4)
    contacts = {row["id"]: row["contact_id"] for row in store.recent_calls()}
    assert contacts["a"] == contacts["b"]
    assert len({contacts["a"], contacts["c"], contacts["d"]}) == 3
    assert store.recent_calls()[0]["caller_number"] == ""


def test_interrupted_calls_are_marked_at_start_up(store: CallStore) -> None:
    store.open_call("x", CallStarted("x", NUMBER, "100", 1.0, sip_call_id="s"))
    assert store.mark_interrupted() == 1
    assert store.call("x")["outcome"] == "interrupted"


def test_no_canary_in_the_raw_files(store: CallStore, db_path: Path) -> None:
    add_call(store, "c1", name="Zelda Canaryname")
    data = file_bytes(db_path)
    assert b"sip-c1" in data  # the search does see plaintext columns
    for canary in (NUMBER, NUMBER[1:], PHRASE, "Zelda Canaryname", '{"digit": "7"}'):
        assert not contains(data, canary), canary
    store.close()
    for canary in (NUMBER, PHRASE, "Zelda Canaryname"):
        assert not contains(file_bytes(db_path), canary), canary


def test_a_flipped_byte_fails_to_decrypt(store: CallStore) -> None:
    add_call(store, "c1")
    blob = bytearray(store.db.execute("SELECT text FROM turns WHERE seq = 1").fetchone()[0])
    blob[20] ^= 1
    store.db.execute("UPDATE turns SET text = ? WHERE seq = 1", [bytes(blob)])
    with pytest.raises(DecryptionError, match="text of turns row c1:1"):
        store.call("c1")


def test_swapped_turns_fail_to_decrypt(store: CallStore) -> None:
    add_call(store, "c1")
    store.db.execute("UPDATE turns SET text = (SELECT text FROM turns t WHERE t.seq = 3 - turns.seq)")
    with pytest.raises(DecryptionError):
        store.call("c1")


def test_a_caller_name_moved_to_another_call_fails(store: CallStore) -> None:
    add_call(store, "c1")
    add_call(store, "c2", name="Someone Else")
    store.db.execute("UPDATE calls SET caller_name = (SELECT caller_name FROM calls WHERE id = 'c1') "
                     "WHERE id = 'c2'")
    with pytest.raises(DecryptionError):
        store.recent_calls()


def test_reopening_with_the_right_key_reads_everything(store: CallStore, db_path: Path, key_path: Path) -> None:
    add_call(store, "c1")
    before = store.call("c1")
    store.close()
    again = CallStore(db_path, key_path)
    assert again.call("c1") == before
    again.close()


def _closed_with_a_call(db_path: Path, key_path: Path) -> str:
    store = CallStore(db_path, key_path)
    add_call(store, "c1")
    store.close()
    return hashlib.sha256(db_path.read_bytes()).hexdigest()


def test_a_missing_key_refuses_to_start_and_changes_nothing(db_path: Path, key_path: Path) -> None:
    digest = _closed_with_a_call(db_path, key_path)
    key_path.rename(key_path.with_suffix(".moved"))
    with pytest.raises(KeyMissingError, match="restore it from your key backup"):
        CallStore(db_path, key_path)
    assert not key_path.exists()  # no new key was made for an existing database
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest


def test_a_wrong_key_refuses_to_start_and_changes_nothing(db_path: Path, key_path: Path) -> None:
    digest = _closed_with_a_call(db_path, key_path)
    key_path.unlink()
    MasterKey.create(key_path)
    with pytest.raises(WrongMasterKeyError, match="is it the right key"):
        CallStore(db_path, key_path)
    with pytest.raises(WrongMasterKeyError):
        CallStore(db_path, master=MasterKey.generate())
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest


def test_a_new_database_creates_a_private_key_file(db_path: Path) -> None:
    CallStore(db_path).close()
    key = db_path.parent / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600


def test_an_in_memory_store_needs_an_explicit_key() -> None:
    with pytest.raises(ValueError, match="explicit master key"):
        CallStore(":memory:")
