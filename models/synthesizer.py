"""Text-to-speech with a Piper voice: one sentence in, 16-bit mono PCM out."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from models.errors import VOICE

if TYPE_CHECKING:
    from piper import PiperVoice

_LOGGER = logging.getLogger(__name__)

# Piper returns one chunk per sentence with no gap; a short pause keeps two sentences from running together.
_SENTENCE_PAUSE_SECONDS = 0.15


class Synthesizer:
    """A loaded Piper voice that speaks one sentence or phrase at a time."""

    def __init__(
        self,
        model_path: Path,
        config_path: Path | None = None,
        *,
        config_key: str = "",
        use_cuda: bool = False,
    ) -> None:
        self.model_path = model_path
        # Piper's convention: the voice's settings sit next to it as <name>.onnx.json.
        self.config_path = config_path or model_path.with_name(model_path.name + ".json")
        self.config_key = config_key
        self._lock = threading.Lock()
        self._check_files()
        self._voice = self._load(use_cuda)

    @property
    def sample_rate(self) -> int:
        """Samples per second of the PCM this voice produces (22050 for most medium voices)."""
        return int(self._voice.config.sample_rate)

    def _check_files(self) -> None:
        for path in (self.model_path, self.config_path):
            if not path.exists():
                raise VOICE.error(path, self.config_key, "file not found")
            if not path.is_file():
                raise VOICE.error(path, self.config_key, "this is a folder, not a file")

    def _load(self, use_cuda: bool) -> PiperVoice:
        try:
            from piper import PiperConfig, PiperVoice  # noqa: PLC0415 - heavy, load time only
        except ImportError as exc:
            raise VOICE.missing_library(self.model_path, self.config_key, "piper-tts") from exc
        try:
            PiperConfig.from_dict(json.loads(self.config_path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            reason = f"the voice settings file is not valid Piper JSON ({type(exc).__name__}: {exc})"
            raise VOICE.error(self.config_path, self.config_key, reason) from exc
        _LOGGER.info("Loading voice %s", self.model_path)
        try:
            return PiperVoice.load(self.model_path, self.config_path, use_cuda=use_cuda)
        except Exception as exc:  # onnxruntime raises its own exception types for unusable files
            raise VOICE.error(self.model_path, self.config_key, f"the voice is unusable ({exc})") from exc

    def synthesize(self, text: str) -> npt.NDArray[np.int16]:
        """Speak one sentence or phrase; returns int16 mono PCM at sample_rate (empty for empty text)."""
        if not text.strip():
            return np.zeros(0, dtype=np.int16)
        with self._lock:
            chunks = [chunk.audio_int16_array for chunk in self._voice.synthesize(text)]
        return self._join(chunks)

    def _join(self, chunks: list[npt.NDArray[Any]]) -> npt.NDArray[np.int16]:
        if not chunks:
            return np.zeros(0, dtype=np.int16)
        pause = np.zeros(int(self.sample_rate * _SENTENCE_PAUSE_SECONDS), dtype=np.int16)
        parts: list[npt.NDArray[Any]] = []
        for index, chunk in enumerate(chunks):
            if index:
                parts.append(pause)
            parts.append(chunk.astype(np.int16, copy=False).reshape(-1))
        return np.concatenate(parts)
