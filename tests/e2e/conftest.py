"""Fixtures for end-to-end tests: one running appliance per module, the real transcriber for checking."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.storage.store import CallStore
from models import Transcriber, shared_registry
from tests.e2e.support import WITH_TCP, RunningAppliance, espeak_wav, have_espeak, start_appliance

pytestmark = pytest.mark.sip


@pytest.fixture(scope="session")
def transcriber() -> Transcriber:
    """The embedded Whisper model, to hear what the appliance said."""
    return shared_registry().transcriber(None)


@pytest.fixture(scope="module")
def appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    """A real `receptionist run` on loopback, stopped (cleanly, exit code 0) after the module."""
    running = start_appliance(tmp_path_factory.mktemp("appliance"), replace=WITH_TCP)
    yield running
    code = running.stop()
    assert code == 0, running.since_stop()
    assert "Traceback" not in running.log.read_text()


@pytest.fixture(scope="session")
def questions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Callers' questions spoken by espeak-ng."""
    if not have_espeak():
        pytest.fail("espeak-ng is missing: run scripts/setup.sh --dev")
    folder = tmp_path_factory.mktemp("questions")
    texts = {
        "hours": "What are your opening hours?",
        "price": "How much is a cleaning?",
        "parking": "Is there parking?",
        "bye": "No thanks, that is all. Bye bye.",
        "dog": "Can I bring my dog to the appointment?",
        "pet": "I will bring my little dog with me.",
        "tooth": "My tooth has been hurting since Sunday.",
        "booking": "I would like to book an appointment for next week.",
        "message": "My name is Anna. Please call me back at 5 5 5, 2 0 1, 7 7 8 8.",
        "yes": "Yes, it is.",
    }
    return {name: espeak_wav(text, folder / f"{name}.wav") for name, text in texts.items()}


def stored_call(appliance: RunningAppliance, sip_call_id: str) -> dict[str, object]:
    """The appliance's record of a call, found by its SIP Call-ID."""
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        for row in store.recent_calls(500):
            if row["sip_call_id"] == sip_call_id:
                return store.call(str(row["id"]))
    finally:
        store.close()
    raise AssertionError(f"no stored call with SIP Call-ID {sip_call_id}")


def wait_for_end(appliance: RunningAppliance, sip_call_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """The appliance's record of a call once it has ended (or as it stands after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        record = stored_call(appliance, sip_call_id)
        if record["outcome"] != "in-progress" or time.monotonic() > deadline:
            return record
        time.sleep(0.2)


def stored_messages(appliance: RunningAppliance, contact_id: str) -> list[dict[str, object]]:
    """The messages the appliance stored for one caller, decrypted."""
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        return store.messages(contact_id)
    finally:
        store.close()
