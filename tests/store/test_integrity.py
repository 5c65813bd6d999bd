"""Integrity beyond the encrypted fields: speakers, urgency and status bound; transcripts sealed as a whole;
the caller's address encrypted."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.call.events import CallStarted, MessageTaken, Speaker, TurnSpoken
from appliance.storage.crypto import DecryptionError, IntegrityError
from appliance.storage.retention import DAY_S, DEFAULT_WINDOWS, run_retention
from appliance.storage.store import CallStore
from appliance.storage.transcripts import GENESIS, TranscriptTamperedError, chain, extend, turn_record
from tests.store.conftest import NUMBER, add_call, contains, file_bytes

IP = "198.51.100.73"
TAMPERED = "the transcript of call c1 failed its integrity check: a turn was deleted, added, replayed or reordered"


def test_the_digest_chain_is_a_pure_function_of_the_ordered_turns() -> None:
    one = turn_record(1, "caller", (0, 0.5), '{"stt_ms": 12.0}', "hello")
    two = turn_record(2, "receptionist", (1.0, 2.0), "{}", "hi")
    assert one == turn_record(1, "caller", (0.0, 0.5), '{"stt_ms": 12.0}', "hello")  # 0 reads back as 0.0
    assert chain([]) == GENESIS and chain([one, two]) == extend(extend(GENESIS, one), two)
    assert len({chain([one, two]), chain([two, one]), chain([one]), chain([one, one, two])}) == 4
    assert chain([turn_record(1, "receptionist", (0, 0.5), '{"stt_ms": 12.0}', "hello")]) != chain([one])


@pytest.mark.parametrize("seq", [1, 2, 3])
def test_a_deleted_turn_is_detected(store: CallStore, seq: int) -> None:
    add_call(store, "c1", turns=3)
    store.db.execute("DELETE FROM turns WHERE call_id = 'c1' AND seq = ?", [seq])
    with pytest.raises(TranscriptTamperedError, match=TAMPERED):
        store.call("c1")


def test_a_turn_replayed_from_an_older_copy_is_detected(store: CallStore) -> None:
    old = add_call(store, "c1", at=1000.0)
    store.add_summary(old, "kept, so the call stays", 1000.0)
    copy = store.db.execute("SELECT call_id, seq, speaker, text, start_s, end_s, timings FROM turns").fetchall()
    windows = {**DEFAULT_WINDOWS, "transcripts": 30}
    assert run_retention(store, 1000.0 + 60 * DAY_S, windows)["transcripts"] == 2
    assert store.call("c1")["turns"] == []  # retention re-sealed the digest over what it left
    store.db.execute("INSERT INTO turns (call_id, seq, speaker, text, start_s, end_s, timings) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", copy[0])
    with pytest.raises(TranscriptTamperedError, match=TAMPERED):
        store.call("c1")


def test_a_turn_replayed_in_another_place_or_reordered_is_detected(store: CallStore) -> None:
    add_call(store, "c1", turns=3)
    store.db.execute("INSERT INTO turns (call_id, seq, speaker, text, start_s, end_s, timings) SELECT call_id, 4, "
                     "speaker, text, start_s, end_s, timings FROM turns WHERE call_id = 'c1' AND seq = 1")
    with pytest.raises(IntegrityError):
        store.call("c1")
    store.db.execute("DELETE FROM turns WHERE seq = 4")
    store.db.execute("UPDATE turns SET start_s = 9 WHERE seq = 2")  # its place in time moved
    with pytest.raises(TranscriptTamperedError, match=TAMPERED):
        store.call("c1")


def test_a_removed_digest_is_detected(store: CallStore) -> None:
    add_call(store, "c1")
    store.db.execute("UPDATE calls SET turns_digest = NULL")
    with pytest.raises(TranscriptTamperedError, match="has lost its sealed digest"):
        store.call("c1")


def test_a_digest_moved_from_another_call_fails(store: CallStore) -> None:
    add_call(store, "c1")
    add_call(store, "c2")
    store.db.execute("UPDATE calls SET turns_digest = (SELECT turns_digest FROM calls WHERE id = 'c2') "
                     "WHERE id = 'c1'")
    with pytest.raises(DecryptionError, match="turns_digest of calls row c1"):
        store.call("c1")


def test_a_call_in_progress_reads_at_every_step(store: CallStore) -> None:
    store.open_call("c1", CallStarted("c1", NUMBER, "100", 1.0, "", IP, "G722", "s"))
    assert store.call("c1")["turns"] == []
    store.record("c1", TurnSpoken(Speaker.CALLER, "hello", 0.2, 1.4))
    assert [t["text"] for t in store.call("c1")["turns"]] == ["hello"]
    store.record("c1", TurnSpoken(Speaker.RECEPTIONIST, "hi there", 1.6, 2.5, {"tts_ms": 80.5}))
    assert store.mark_interrupted() == 1
    call = store.call("c1")
    assert call["outcome"] == "interrupted" and [t["speaker"] for t in call["turns"]] == ["caller", "receptionist"]


def test_an_edited_speaker_is_detected(store: CallStore) -> None:
    add_call(store, "c1")
    store.db.execute("UPDATE turns SET speaker = 'receptionist' WHERE call_id = 'c1' AND seq = 1")
    with pytest.raises(DecryptionError, match="text of turns row c1:1 or its speaker failed its integrity check"):
        store.call("c1")


@pytest.mark.parametrize(("column", "value"), [("urgency", "normal"), ("status", "done")])
def test_an_edited_urgency_or_status_is_detected(store: CallStore, column: str, value: str) -> None:
    add_call(store, "c1")
    store.record("c1", MessageTaken("Ana", NUMBER, "please call back", "urgent", 1100.0))
    contact_id = store.find_contact(NUMBER)
    assert contact_id is not None
    store.db.execute(f"UPDATE messages SET {column} = ?", [value])
    with pytest.raises(DecryptionError, match="or its status, urgency failed its integrity check"):
        store.messages(contact_id)


def test_a_message_without_words_still_binds_its_urgency(store: CallStore) -> None:
    add_call(store, "c1")
    store.add_message("c1", {}, urgency="urgent", at=1.0)
    store.db.execute("UPDATE messages SET urgency = 'normal'")
    with pytest.raises(DecryptionError):
        store.messages(store.call("c1")["contact_id"])


def test_set_message_status_re_seals_the_message(store: CallStore) -> None:
    add_call(store, "c1")
    message_id = store.add_message("c1", {"name": "Ana", "reason": "quote"}, urgency="urgent", at=1.0)
    contact_id = store.call("c1")["contact_id"]
    store.set_message_status(message_id, "done")
    [message] = store.messages(contact_id)
    assert (message["status"], message["urgency"], message["name"], message["reason"]) == (
        "done", "urgent", "Ana", "quote")
    store.db.execute("UPDATE messages SET status = 'new'")
    with pytest.raises(DecryptionError):
        store.messages(contact_id)
    with pytest.raises(ValueError, match="'closed' is not a message status; use one of new, read, done"):
        store.set_message_status(message_id, "closed")
    with pytest.raises(KeyError):
        store.set_message_status("nope", "read")


def test_the_callers_address_is_stored_encrypted(store: CallStore, db_path: Path) -> None:
    store.open_call("c1", CallStarted("c1", NUMBER, "100", 1.0, "", f"{IP}:5062", "G722", "sip-c1"))
    assert store.call("c1")["source"] == f"{IP}:5062" and store.recent_calls()[0]["source"] == f"{IP}:5062"
    assert b"sip-c1" in file_bytes(db_path)  # the search does see plaintext columns
    assert not contains(file_bytes(db_path), IP)
    store.db.execute("UPDATE calls SET source = (SELECT caller_name FROM calls)")
    with pytest.raises(DecryptionError, match="source of calls row c1"):
        store.call("c1")
