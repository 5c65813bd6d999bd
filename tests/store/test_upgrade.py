"""Schema 2's upgrade of a database written by the code before it: callers merged, rows re-sealed, in one go."""

from __future__ import annotations

import io
import sqlite3
import wave
from pathlib import Path

import pytest

from appliance.storage.crypto import DecryptionError
from appliance.storage.datarights import erase_caller, export_caller
from appliance.storage.recordings import read_recording, sweep_recordings
from appliance.storage.schema import MIGRATIONS, schema_version
from appliance.storage.store import CallStore
from tests.store.conftest import PHRASE, contains, file_bytes
from tests.store.legacy import SOURCE, LegacyDatabase

FORMS = ("+15550199887", "15550199887", "0015550199887", "tel:+15550199887")
OTHER = "+1 555 010 0142"


def wav(marker: bytes) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(marker * 4000)
    return buffer.getvalue()


@pytest.fixture
def legacy(db_path: Path, key_path: Path) -> dict[str, str]:
    """A version-1 database: one caller as four contacts (one number in four forms), another caller, an
    anonymous one; calls with turns, events, a summary, messages and a recording of a merged contact."""
    old = LegacyDatabase(db_path, key_path)
    ids: dict[str, str] = {}
    for n, form in enumerate(FORMS):
        ids[form] = old.contact(form, "Ana Canary" if n == 0 else f"Ana {n}", 10.0 + n, notes=f"note {n}")
        old.call(f"a{n}", ids[form], form, 100.0 + n, (f"I said the {PHRASE} {n}", "Noted.", "Thanks."))
    ids["other"] = old.contact(OTHER, "Bo Other", 5.0)
    old.call("b0", ids["other"], OTHER, 90.0, ("Hello.",))
    ids["anonymous"] = old.contact(None, "", 6.0)
    old.call("n0", ids["anonymous"], "anonymous", 95.0, ())
    old.summary("a2", ids[FORMS[2]], f"asked about the {PHRASE}")
    ids["message"] = old.message("a3", ids[FORMS[3]], "call me back", "urgent")
    ids["no-reason"] = old.message("b0", ids["other"], None, "normal")
    ids["recording"] = str(old.recording("a1", ids[FORMS[1]], wav(b"AUDIOCANARY-")))
    old.close()
    return ids


def test_the_upgrade_merges_one_number_in_four_forms(legacy: dict[str, str], db_path: Path, key_path: Path) -> None:
    store = CallStore(db_path, key_path)
    assert schema_version(store.db) == len(MIGRATIONS)
    survivor = legacy[FORMS[0]]  # the first seen
    assert set(store.contact_ids()) == {survivor, legacy["other"], legacy["anonymous"]}
    for form in (*FORMS, "(555) 019-9887"):
        assert store.find_contacts(form) == [survivor], form
    assert store.call_ids(survivor) == ["a0", "a1", "a2", "a3"]
    contact = store.contact(survivor)
    assert (contact["number"], contact["name"], contact["first_seen"]) == ("+15550199887", "Ana Canary", 10.0)
    assert contact["notes"] == "note 0\nnote 1\nnote 2\nnote 3"
    merged = [legacy[form] for form in FORMS[1:]]
    assert not store.db.execute(f"SELECT 1 FROM data_keys WHERE key_id IN ({', '.join('?' * 3)})", merged).fetchall()
    for n in range(4):
        call = store.call(f"a{n}")
        assert call["source"] == SOURCE and call["caller_number"] == FORMS[n]
        assert [t["text"] for t in call["turns"]] == [f"I said the {PHRASE} {n}", "Noted.", "Thanks."]
        assert [t["speaker"] for t in call["turns"]] == ["caller", "receptionist", "caller"]
        assert call["events"][0]["data"] == '{"digit": "7"}'
    assert store.summary("a2") == f"asked about the {PHRASE}"
    [message] = store.messages(survivor)
    assert (message["reason"], message["urgency"], message["call_id"]) == ("call me back", "urgent", "a3")
    assert message["for_member"] is None  # version 3: messages taken before it are for the team
    assert store.messages(legacy["other"])[0]["reason"] == ""  # now always sealed, so urgency is always bound
    assert store.call("n0")["turns"] == [] and store.find_contacts("anonymous") == []
    store.close()


def test_a_merged_callers_recording_is_re_encrypted_and_the_old_file_removed(
        legacy: dict[str, str], db_path: Path, key_path: Path) -> None:
    store = CallStore(db_path, key_path)
    folder = db_path.parent / "recordings"
    assert not Path(legacy["recording"]).exists()
    [path] = folder.iterdir()
    audio = b"".join(read_recording(store, "a1", folder))
    assert audio == wav(b"AUDIOCANARY-")
    assert b"AUDIOCANARY-" not in path.read_bytes()
    store.close()


def test_after_the_upgrade_no_address_is_in_clear_and_erase_takes_every_form(
        legacy: dict[str, str], db_path: Path, key_path: Path) -> None:
    assert contains(file_bytes(db_path), SOURCE)  # the old code kept it in clear
    store = CallStore(db_path, key_path)
    assert not contains(file_bytes(db_path), SOURCE)
    assert len(export_caller(store, "tel:+15550199887")["contacts"][0]["calls"]) == 4
    assert erase_caller(store, "0015550199887") == 4
    assert store.find_contacts("+15550199887") == [] and store.contact_ids() == [legacy["other"], legacy["anonymous"]]
    store.close()


def test_the_upgrade_runs_once(legacy: dict[str, str], db_path: Path, key_path: Path) -> None:
    first = CallStore(db_path, key_path)
    before = list(first.db.conn.iterdump())
    first.close()
    again = CallStore(db_path, key_path)
    assert list(again.db.conn.iterdump()) == before and again.call("a0")["source"] == SOURCE
    again.close()


def test_a_failed_upgrade_changes_nothing_and_the_next_start_finishes_it(
        legacy: dict[str, str], db_path: Path, key_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    good = conn.execute("SELECT text FROM turns WHERE call_id = 'a3' AND seq = 2").fetchone()[0]
    conn.execute("UPDATE turns SET text = X'00' WHERE call_id = 'a3' AND seq = 2")  # damaged: the upgrade stops
    conn.commit()
    with pytest.raises(DecryptionError, match="text of turns row a3:2"):
        CallStore(db_path, key_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*), MAX(number_index IS NULL) FROM contacts").fetchone() == (6, 1)
    assert conn.execute("SELECT source FROM calls WHERE id = 'a0'").fetchone()[0] == SOURCE
    assert Path(legacy["recording"]).exists()
    conn.execute("UPDATE turns SET text = ? WHERE call_id = 'a3' AND seq = 2", [good])  # restored
    conn.commit()
    conn.close()
    store = CallStore(db_path, key_path)
    assert store.call("a3")["turns"][1]["text"] == "Noted." and len(store.contact_ids()) == 3
    folder = db_path.parent / "recordings"
    assert sweep_recordings(store, folder) == 1  # the copy the failed attempt wrote
    assert b"".join(read_recording(store, "a1", folder)) == wav(b"AUDIOCANARY-")
    store.close()
