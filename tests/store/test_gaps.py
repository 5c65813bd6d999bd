"""Knowledge gaps and returning callers' names in a real store: counted, sealed, erased and exported with their
caller, aged out with the call logs, listed by `receptionist gaps` and the appliance's face."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.call.events import CallStarted, KnowledgeGap, MessageTaken
from appliance.cli import init, main
from appliance.config import load_settings
from appliance.service import Appliance
from appliance.storage.calllog import CallLog
from appliance.storage.crypto import DecryptionError
from appliance.storage.datarights import correct_contact, erase_caller, export_caller
from appliance.storage.retention import DAY_S, run_retention
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, OTHER, add_call, contains, file_bytes

CANARY = "Do you whiten teeth of a zebra canary?"
THIRD = "+15550100177"


def _ask(store: CallStore, call_id: str, question: str, at: float, brand: str = "maple") -> None:
    store.record(call_id, KnowledgeGap(question, brand, at))


def _three_callers(store: CallStore) -> None:
    for call_id, number in (("a1", NUMBER), ("b1", OTHER), ("c1", THIRD)):
        add_call(store, call_id, number)
    _ask(store, "a1", "Do you take Delta insurance?", 1010.0)
    _ask(store, "a1", "do you take delta insurance", 1020.0)  # the same caller again, in other words
    _ask(store, "b1", "Do you take Delta, insurance?!", 1030.0)
    _ask(store, "c1", CANARY, 1040.0)
    _ask(store, "c1", "Do you take Delta insurance?", 1050.0, brand="glow")  # another brand's gap


def test_repeats_are_counted_across_callers_most_asked_first(store: CallStore) -> None:
    _three_callers(store)
    assert store.knowledge_gaps("maple") == [
        {"brand": "maple", "question": "Do you take Delta, insurance?!", "count": 3, "last_asked": 1030.0},
        {"brand": "maple", "question": CANARY, "count": 1, "last_asked": 1040.0},
    ]
    assert [(gap["brand"], gap["count"]) for gap in store.knowledge_gaps()] == [("maple", 3), ("glow", 1),
                                                                                 ("maple", 1)]
    assert store.knowledge_gaps("nope") == []


def test_the_question_is_sealed_and_bound_to_its_brand(store: CallStore, db_path: Path) -> None:
    _three_callers(store)
    store.checkpoint()
    assert not contains(file_bytes(db_path), "zebra canary") and not contains(file_bytes(db_path), "Delta")
    store.db.execute("UPDATE knowledge_gaps SET brand = 'glow' WHERE brand = 'maple'")
    with pytest.raises(DecryptionError, match="knowledge_gaps"):
        store.knowledge_gaps()


def test_erasing_a_caller_removes_their_questions_and_their_export_has_them(store: CallStore) -> None:
    _three_callers(store)
    [exported] = export_caller(store, NUMBER)["contacts"]
    assert exported["knowledge_gaps"] == [{"brand": "maple", "question": "do you take delta insurance", "count": 2,
                                           "last_asked": 1020.0}]
    erase_caller(store, NUMBER)
    assert [(gap["count"], gap["last_asked"]) for gap in store.knowledge_gaps("maple")] == [(1, 1040.0),
                                                                                           (1, 1030.0)]


def test_gaps_not_asked_within_the_call_log_window_go(store: CallStore) -> None:
    add_call(store, "a1", NUMBER, at=1000.0)
    add_call(store, "b1", OTHER, at=1000.0 + 300 * DAY_S)
    _ask(store, "a1", "Do you do implants?", 1000.0)
    _ask(store, "b1", "Do you do veneers?", 1000.0 + 300 * DAY_S)
    run_retention(store, 1000.0 + 400 * DAY_S)
    assert [gap["question"] for gap in store.knowledge_gaps()] == ["Do you do veneers?"]


def test_the_call_log_stores_a_runs_gap(store: CallStore) -> None:
    log = CallLog(store, Path("unused"))
    log("a1", CallStarted("a1", NUMBER, "+15550000001", 1000.0, brand="maple"))
    log("a1", KnowledgeGap("Can I bring my dog?", "maple", 1001.0))
    assert store.knowledge_gaps()[0]["question"] == "Can I bring my dog?"


def test_the_known_name_is_one_the_caller_gave_or_the_team_corrected(store: CallStore) -> None:
    add_call(store, "a1", NUMBER, name="WIRELESS CALLER")
    assert store.known_name(NUMBER) is None  # a SIP display name is never read out
    store.record("a1", MessageTaken("Ana Lopez", NUMBER, "a cleaning", "normal", 1010.0))
    store.record("a1", MessageTaken(None, NUMBER, "and a check-up", "normal", 1020.0))
    assert store.known_name("tel:+15550199887") == "Ana Lopez"  # the newest message with a name, any number form
    correct_contact(store, NUMBER, name="Anabel Lopez")
    assert store.known_name(NUMBER) == "Anabel Lopez"
    correct_contact(store, NUMBER, name="")
    assert store.known_name(NUMBER) is None  # the team cleared it: not even the message's name
    add_call(store, "x1", "anonymous")
    store.record("x1", MessageTaken("Bo", None, "hi", "normal", 1030.0))
    assert store.known_name("anonymous") is None and store.known_name(OTHER) is None


def test_receptionist_gaps_and_the_appliance_face(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init(tmp_path)
    config = str(tmp_path / "config.toml")
    settings = load_settings(Path(config))
    store = CallStore.open(settings)
    try:
        assert main(["gaps", "--config", config]) == 0
        assert "no knowledge gaps" in capsys.readouterr().out
        _three_callers(store)
    finally:
        store.close()
    assert main(["gaps", "--config", config, "--brand", "maple"]) == 0
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split() == ["asked", "last", "asked", "brand", "question"]
    assert first.split()[0] == "3" and first.endswith("maple         Do you take Delta, insurance?!")
    assert second.split()[0] == "1" and second.endswith(CANARY)
    appliance = Appliance(settings)
    appliance.open()
    try:
        assert [gap["count"] for gap in appliance.knowledge_gaps("glow")] == [1]
    finally:
        appliance.close()
