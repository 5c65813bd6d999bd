"""Recordings: stored only encrypted, readable back as the same WAV, gone with the caller or when expired."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.call.recorder import CallRecorder
from appliance.storage.crypto import DecryptionError
from appliance.storage.datarights import erase_caller
from appliance.storage.recordings import read_recording, save_recording, sweep_recordings
from appliance.storage.retention import run_retention
from appliance.storage.store import CallStore
from sip.media import FRAME_BYTES, SILENCE
from tests.store.conftest import NUMBER, add_call

MARKER = b"AUDIO-CANARY-0042"


def recorder(frames: int = 100) -> CallRecorder:
    rec = CallRecorder()
    caller = (np.arange(FRAME_BYTES // 2) % 64 * 100).astype("<i2").tobytes()
    rec.received.extend([MARKER + caller[len(MARKER):]] * frames)
    rec.sent.extend([SILENCE] * (frames + 7))  # the sides are cut to the same length
    return rec


def test_the_wav_is_stereo_caller_left_receptionist_right() -> None:
    with wave.open(io.BytesIO(recorder(50).wav()), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 16000, 50 * 320)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert samples[:, 0].any() and not samples[:, 1].any()


def test_a_recording_is_stored_encrypted_and_read_back_whole(store: CallStore, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    add_call(store, "c1")
    audio = recorder().wav()
    save_recording(store, "c1", audio, folder)
    [stored] = list(folder.iterdir())
    raw = stored.read_bytes()
    assert MARKER not in raw and b"RIFF" not in raw and b"WAVE" not in raw
    assert stored.stat().st_mode & 0o077 == 0
    assert b"".join(read_recording(store, "c1", folder)) == audio


def test_a_tampered_recording_is_refused(store: CallStore, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    add_call(store, "c1")
    save_recording(store, "c1", recorder().wav(), folder)
    [stored] = list(folder.iterdir())
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(DecryptionError):
        b"".join(read_recording(store, "c1", folder))


def test_erasing_the_caller_removes_the_file(store: CallStore, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    add_call(store, "c1")
    add_call(store, "c2", caller="+15550111222")
    save_recording(store, "c1", recorder().wav(), folder)
    save_recording(store, "c2", recorder().wav(), folder)
    erase_caller(store, NUMBER)  # removes their file itself: nothing is left for the sweep
    assert len(list(folder.iterdir())) == 1
    assert sweep_recordings(store, folder) == 0
    assert b"".join(read_recording(store, "c2", folder))


def test_expired_recordings_are_deleted_with_their_files(store: CallStore, tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    add_call(store, "old")
    add_call(store, "new")
    save_recording(store, "old", recorder().wav(), folder, now=1000.0)
    save_recording(store, "new", recorder().wav(), folder, now=1000.0 + 29 * 86400)
    run_retention(store, now=1000.0 + 31 * 86400)
    assert sweep_recordings(store, folder) == 1
    with pytest.raises(FileNotFoundError):
        b"".join(read_recording(store, "old", folder))
    assert b"".join(read_recording(store, "new", folder))
