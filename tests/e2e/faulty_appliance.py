"""A test-only launcher: `receptionist run` with its real models wrapped so that a test can make them fail on cue.

    python -m tests.e2e.faulty_appliance run --config DATA/config.toml

The test writes the faults it wants into `faults` beside the config, one name a line (`stt-raises`,
`llm-raises`, `llm-hangs`, `tts-raises`), and empties the file to end them. The wrappers read the file at each
use of a model. None of this is in the product: the appliance is built exactly as `receptionist run` builds it,
only its loaded models are handed over wrapped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from appliance import service
from appliance.call.engines import Engines
from appliance.config import Settings
from models import ChatMessage, ChatModel, ModelRegistry, Synthesizer, Transcriber
from receptionist.cli import main as receptionist_main

FAULTS_FILE = "faults"
STT_RAISES, LLM_RAISES, LLM_HANGS, TTS_RAISES = "stt-raises", "llm-raises", "llm-hangs", "tts-raises"


class Faults:
    """The faults a test has switched on (read from its file at each ask)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __contains__(self, name: object) -> bool:
        try:
            return name in self.path.read_text().split()
        except FileNotFoundError:
            return False


class FaultyTranscriber(Transcriber):
    """The real speech-to-text model, raising while `stt-raises` is on."""

    def __init__(self, real: Transcriber, faults: Faults) -> None:  # no second model load: the real one works
        self.real, self.faults = real, faults

    def transcribe(self, audio: npt.NDArray[Any], sample_rate: int = 16000, *,
                   initial_prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        if STT_RAISES in self.faults:
            raise RuntimeError("CUDA error: out of memory (injected)")
        return self.real.transcribe(audio, sample_rate, initial_prompt=initial_prompt, terms=terms)


class FaultyChat(ChatModel):
    """The real LLM, raising while `llm-raises` is on, and stuck (as inside llama.cpp: it never asks
    should_stop) while `llm-hangs` is on."""

    def __init__(self, real: ChatModel, faults: Faults) -> None:
        self.real, self.faults = real, faults

    def warm(self, system_prompt: str) -> None:
        self.real.warm(system_prompt)

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 96, temperature: float = 0.2,
               should_stop: Callable[[], bool] | None = None) -> Generator[str, None, None]:
        if LLM_RAISES in self.faults:
            raise RuntimeError("llama_decode returned -1 (injected)")
        while LLM_HANGS in self.faults:
            time.sleep(0.05)
        yield from self.real.stream(messages, max_tokens=max_tokens, temperature=temperature,
                                    should_stop=should_stop)


class FaultySynthesizer(Synthesizer):
    """The real voice, raising while `tts-raises` is on (the phrases made before the first call are made)."""

    def __init__(self, real: Synthesizer, faults: Faults) -> None:
        self.real, self.faults = real, faults

    @property
    def sample_rate(self) -> int:
        return self.real.sample_rate

    def synthesize(self, text: str) -> npt.NDArray[np.int16]:
        if TTS_RAISES in self.faults:
            raise RuntimeError("onnxruntime: bad allocation (injected)")
        return self.real.synthesize(text)


def wrapped(load: Callable[..., Engines], faults: Faults) -> Callable[..., Engines]:
    """The appliance's engine loader, handing over its loaded models wrapped."""

    def load_faulty(settings: Settings, registry: ModelRegistry, **options: bool) -> Engines:
        real = load(settings, registry, **options)
        return Engines(FaultyTranscriber(real.transcriber, faults), FaultyChat(real.chat, faults),
                       FaultySynthesizer(real.synthesizer, faults),
                       tuple(FaultyChat(chat, faults) for chat in real.spare_chats), real.faults)

    return load_faulty


def main(argv: list[str]) -> int:
    """`receptionist run --config FILE`, with the faults file beside FILE."""
    config = Path(argv[argv.index("--config") + 1])
    service.load_engines = wrapped(service.load_engines, Faults(config.parent / FAULTS_FILE))
    return receptionist_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
