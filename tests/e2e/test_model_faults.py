"""Model faults in a running appliance, over real SIP with the real models: speech recognition raising, the LLM
raising or stuck, the voice raising, and the model files vanishing.

The faults are injected by a test-only launcher (`tests.e2e.faulty_appliance`) that wraps the loaded models, or
are real (the model files the config names are deleted). Each time the caller hears a phrase made before the
first call soon after their words (never more than 3 s of silence, measured at the caller), can leave a message on
the keypad menu (1), the call is stored as `fallback`, and the appliance runs on and stops cleanly.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.reception.phrasebook import CALL_BACK, DIDNT_CATCH, KEYPAD_MENU, MESSAGE_ASK, TAKEN, UNTRANSCRIBED
from models import default_llm_model, default_voice_model, default_whisper_model
from tests.e2e.conftest import stored_messages, wait_for_end
from tests.e2e.faulty_appliance import FAULTS_FILE, LLM_HANGS, LLM_RAISES, STT_RAISES, TTS_RAISES
from tests.e2e.support import (
    RunningAppliance,
    espeak_wav,
    launch,
    panel_json,
    place_call,
    start_appliance,
)

pytestmark = pytest.mark.sip

FAULTY = [sys.executable, "-m", "tests.e2e.faulty_appliance"]
SILENCE_LIMIT_MS = 3000  # the longest a caller may wait in silence (from their last word), whatever fails
FALLBACK_S = 2.0  # a stage that raises: the fallback phrase starts within this of the end of the caller's turn
STUCK_S = 2.5  # a stage that never ends: the reply deadline (2 s) and a little
TAKEN_REPLY = f"{TAKEN} {CALL_BACK}"
KEY_1 = "dtmf:1"
_numbers = itertools.count(100)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """The appliance started by the fault launcher (two copies of the LLM), no fault on yet."""
    running = start_appliance(tmp_path_factory.mktemp("faulty"), replace={"llm_copies = 0": "llm_copies = 2"},
                              command=FAULTY)
    yield running
    assert running.stop() == 0, running.since_stop()
    assert "Traceback" not in running.log.read_text()


@pytest.fixture(scope="module")
def sunday(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A question answered with a sentence made for it (not one synthesized before the first call)."""
    return espeak_wav("Are you open on Sunday?", tmp_path_factory.mktemp("sunday") / "sunday.wav")


def switch(appliance: RunningAppliance, *faults: str) -> None:
    (appliance.data_dir / FAULTS_FILE).write_text("\n".join(faults))


def call(appliance: RunningAppliance, out: Path, *steps: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Place a call speaking (or pressing) each step, from a number of its own (its messages are its own);
    return what the caller measured and the stored record."""
    caller = f"555{next(_numbers):04d}"
    result = place_call(appliance.uri(), out, *[a for step in steps for a in ("--say", str(step))],
                        "--identity", caller)
    assert result["answered"], result
    return result, wait_for_end(appliance, result["sip_call_id"])


def replies(record: dict[str, Any]) -> list[str]:
    return [t["text"] for t in record["turns"] if t["speaker"] == "receptionist"]


def silences(result: dict[str, Any]) -> list[float]:
    """At the caller: how long each reply (and the greeting) kept them waiting in silence, in ms."""
    waits = [result["greeting_ms"], *(t["latency_ms"] for t in result["turns"])]
    assert None not in waits, result  # every step got a reply
    print(f"\n  silences at the caller (ms): {waits}")
    return [float(w) for w in waits]


def fallback_delay(record: dict[str, Any]) -> float:
    """In the appliance's record: from the end of the caller's turn (their last word and the end-of-turn
    silence) to the start of the first fallback phrase, in s."""
    turns = record["turns"]
    at = next(n for n, t in enumerate(turns) if t["text"] in (DIDNT_CATCH, KEYPAD_MENU))
    heard = turns[at - 1]
    delay = float(turns[at]["start_s"]) - float(heard["end_s"]) - float(heard["timings"]["eot_wait_ms"]) / 1000
    print(f"  the fallback phrase {delay:.2f} s after the end of the caller's turn")
    return delay


def errors(record: dict[str, Any]) -> list[str]:
    return [json.loads(e["data"])["code"] for e in record["events"] if e["kind"] == "error"]


def test_speech_recognition_raising(faulty: RunningAppliance, questions: dict[str, Path], tmp_path: Path) -> None:
    switch(faulty, STT_RAISES)
    result, record = call(faulty, tmp_path, questions["hours"], questions["hours"], KEY_1, questions["message"])
    switch(faulty)
    assert replies(record)[1:] == [DIDNT_CATCH, KEYPAD_MENU, MESSAGE_ASK, TAKEN_REPLY]
    assert record["outcome"] == "fallback" and errors(record) == ["stt-failed"] * 3
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < FALLBACK_S
    [message] = stored_messages(faulty, record["contact_id"])
    assert message["reason"] == UNTRANSCRIBED  # the words could not be written down; the caller ID is kept


def test_the_llm_raising(faulty: RunningAppliance, questions: dict[str, Path], tmp_path: Path) -> None:
    switch(faulty, LLM_RAISES)
    result, record = call(faulty, tmp_path, questions["pet"], KEY_1, questions["message"])
    switch(faulty)
    assert replies(record)[1:] == [KEYPAD_MENU, MESSAGE_ASK, TAKEN_REPLY]
    assert record["outcome"] == "fallback" and errors(record) == ["llm-failed"]
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < FALLBACK_S
    [message] = stored_messages(faulty, record["contact_id"])
    assert message["reason"] != UNTRANSCRIBED  # speech recognition still works: the caller's words are kept


def test_the_voice_raising(faulty: RunningAppliance, questions: dict[str, Path], sunday: Path,
                           tmp_path: Path) -> None:
    switch(faulty, TTS_RAISES)
    result, record = call(faulty, tmp_path, sunday, KEY_1, questions["message"])
    switch(faulty)
    assert replies(record)[1:] == [KEYPAD_MENU, MESSAGE_ASK, TAKEN_REPLY]
    assert record["outcome"] == "fallback" and errors(record) == ["tts-failed"]
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < FALLBACK_S
    assert len(stored_messages(faulty, record["contact_id"])) == 1


def test_the_llm_stuck(faulty: RunningAppliance, questions: dict[str, Path], tmp_path: Path) -> None:
    """The LLM's threads never come back on their own: a call is put on the menu by its reply deadline (one copy
    of the two stuck, then the other); once both are stuck, the next call's LLM turn gets the menu at once (not
    queued behind them); once the threads come back the LLM answers again."""
    switch(faulty, LLM_HANGS)
    result, record = call(faulty, tmp_path / "stuck", questions["pet"], KEY_1, questions["message"])
    assert replies(record)[1:] == [KEYPAD_MENU, MESSAGE_ASK, TAKEN_REPLY]
    assert record["outcome"] == "fallback" and errors(record) == ["overloaded"]
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < STUCK_S
    assert "did not stop within" in faulty.log.read_text() and panel_json(faulty)["llm_stuck_s"] > 0
    result, record = call(faulty, tmp_path / "second", questions["pet"])  # the other copy gets stuck too
    assert replies(record)[1:] == [KEYPAD_MENU] and errors(record) == ["overloaded"]
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < STUCK_S
    result, record = call(faulty, tmp_path / "next", questions["pet"])
    assert replies(record)[1:] == [KEYPAD_MENU] and errors(record) == ["llm-failed"]
    assert max(silences(result)[1:]) < SILENCE_LIMIT_MS and fallback_delay(record) < FALLBACK_S
    switch(faulty)  # the stuck thread comes back out
    result, record = call(faulty, tmp_path / "after", questions["pet"])
    assert record["outcome"] == "answered" and "llm_first_token_ms" in record["turns"][-1]["timings"]
    assert "finished its stuck reply" in faulty.log.read_text() and panel_json(faulty)["llm_stuck_s"] is None


def test_it_stops_cleanly_with_the_llm_stuck(faulty: RunningAppliance, questions: dict[str, Path],
                                             tmp_path: Path) -> None:
    switch(faulty, LLM_HANGS)
    result, record = call(faulty, tmp_path, questions["pet"])
    assert replies(record)[1:] == [KEYPAD_MENU] and max(silences(result)[1:]) < SILENCE_LIMIT_MS
    assert faulty.stop(timeout=30) == 0  # a thread stuck in the LLM does not hold the process
    assert "Traceback" not in faulty.log.read_text()


def test_model_files_vanishing_while_it_runs(questions: dict[str, Path], tmp_path: Path) -> None:
    """The loaded models are in memory (the LLM's file mapped): calls go on as before once the files the config
    names are deleted. The next start answers all the same: in the embedded default voice, with the keypad menu
    offered with the greeting (no speech-to-text: the caller cannot be heard), a message left on it, and the
    faults on the panel's health."""
    models = tmp_path / "models"
    whisper = shutil.copytree(default_whisper_model(), models / "whisper")
    llm = Path(shutil.copy(default_llm_model(), models / "llm.gguf"))
    onnx, onnx_config = default_voice_model()
    voice = Path(shutil.copy(onnx, models / "voice.onnx"))
    shutil.copy(onnx_config, models / "voice.onnx.json")
    appliance = start_appliance(tmp_path / "data", replace={'# whisper = ""': f'whisper = "{whisper}"',
                                                            '# llm = ""': f'llm = "{llm}"',
                                                            '# voice = ""': f'voice = "{voice}"'})
    try:
        shutil.rmtree(models)
        result, record = call(appliance, tmp_path / "call", questions["hours"], questions["pet"])
        assert record["outcome"] == "answered" and errors(record) == []
        assert "Monday to Friday" in replies(record)[1] and "llm_first_token_ms" in record["turns"][-1]["timings"]
        assert max(silences(result)[1:]) < SILENCE_LIMIT_MS
        assert panel_json(appliance)["faults"] == []
    finally:
        assert appliance.stop() == 0
    again = launch(appliance.data_dir, appliance.sip_port, appliance.web_port, tmp_path / "again.log")
    try:
        health = panel_json(again)
        assert health["status"] == "degraded" and health["faults"] == ["models.whisper", "models.llm", "models.voice"]
        result, record = call(again, tmp_path / "again", questions["hours"], KEY_1, questions["message"])
        assert replies(record)[0].endswith(KEYPAD_MENU)  # it cannot hear: the menu comes with the greeting
        assert replies(record)[1:] == [KEYPAD_MENU, MESSAGE_ASK, TAKEN_REPLY]
        assert record["outcome"] == "fallback" and max(silences(result)[1:]) < SILENCE_LIMIT_MS
        [message] = stored_messages(again, record["contact_id"])
        assert message["reason"] == UNTRANSCRIBED and message["callback_number"]  # the caller ID is kept
    finally:
        assert again.stop() == 0
    assert again.log.read_text().count("cannot load") >= 3 and "Traceback" not in again.log.read_text()
