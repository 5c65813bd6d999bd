"""Audio helpers for the model tests (plain functions, no fixtures)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

HOURS_SENTENCE = "Our opening hours are Monday to Friday, nine to five."


def resample(audio: npt.NDArray[np.int16], rate_in: int, rate_out: int = 16000) -> npt.NDArray[np.float32]:
    """Linear-interpolation resampler: plenty for speech recognition in tests."""
    samples = audio.astype(np.float32) / 32768.0
    count = int(len(samples) * rate_out / rate_in)
    positions = np.arange(count) * (rate_in / rate_out)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def read_wav(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    """Read a mono 16-bit WAV file."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
        return np.frombuffer(frames, dtype=np.int16), wav.getframerate()
