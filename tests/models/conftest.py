"""Shared fixtures for the model engine tests: each real model loads once per test session."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import numpy.typing as npt
import pytest
from model_test_audio import HOURS_SENTENCE, read_wav, resample

from models import (
    ChatModel,
    Synthesizer,
    Transcriber,
    default_llm_model,
    default_voice_model,
    default_whisper_model,
)


@pytest.fixture(scope="session")
def synthesizer() -> Synthesizer:
    """The embedded default voice."""
    return Synthesizer(*default_voice_model())


@pytest.fixture(scope="session")
def transcriber() -> Transcriber:
    """The embedded default speech-to-text model."""
    return Transcriber(default_whisper_model())


@pytest.fixture(scope="session")
def chat_model() -> ChatModel:
    """The embedded default language model."""
    return ChatModel(default_llm_model())


@pytest.fixture(scope="session")
def hours_audio(synthesizer: Synthesizer) -> npt.NDArray[np.int16]:
    """The opening-hours sentence spoken by the default voice (22050 Hz int16)."""
    return synthesizer.synthesize(HOURS_SENTENCE)


@pytest.fixture(scope="session")
def espeak_question(tmp_path_factory: pytest.TempPathFactory) -> npt.NDArray[np.float32]:
    """'What time do you open tomorrow?' spoken by espeak-ng, at 16 kHz."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed; it makes the independent test voice")
    path = tmp_path_factory.mktemp("espeak") / "question.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "What time do you open tomorrow?"], check=True)
    audio, rate = read_wav(path)
    return resample(audio, rate)
