"""A business that records calls: the caller hears the consent first; the audio is stored encrypted."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from appliance.storage.recordings import read_recording
from appliance.storage.store import CallStore
from models import Transcriber
from tests.e2e.conftest import stored_call
from tests.e2e.support import RunningAppliance, place_call, read_wav, record_calls, start_appliance

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def recording_appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    folder = tmp_path_factory.mktemp("recording")
    record_calls(folder)
    running = start_appliance(folder)
    yield running
    assert running.stop() == 0


def test_consent_first_then_an_encrypted_recording_of_both_sides(recording_appliance: RunningAppliance,
                                                                  questions: dict[str, Path],
                                                                  transcriber: Transcriber, tmp_path: Path) -> None:
    result = place_call(recording_appliance.uri(), tmp_path, "--say", str(questions["parking"]))
    greeting = transcriber.transcribe(read_wav(Path(result["greeting_wav"]))).lower()
    assert greeting.index("recorded") < greeting.index("maple street")

    folder = recording_appliance.data_dir / "recordings"
    deadline = time.monotonic() + 15  # saved by the store's writer thread once the call has ended
    while not list(folder.glob("*.rec")) and time.monotonic() < deadline:
        time.sleep(0.2)
    [stored] = list(folder.glob("*.rec"))
    record = stored_call(recording_appliance, result["sip_call_id"])
    assert b"RIFF" not in stored.read_bytes()
    store = CallStore(recording_appliance.data_dir / "receptionist.db")
    try:
        audio = b"".join(read_recording(store, str(record["id"]), folder))
    finally:
        store.close()
    with wave.open(io.BytesIO(audio), "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getframerate() == 16000
        seconds = wav.getnframes() / 16000
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert abs(seconds - float(record["duration_s"])) < 2.0
    assert np.abs(samples[:, 0]).max() > 1000 and np.abs(samples[:, 1]).max() > 1000  # caller and receptionist
