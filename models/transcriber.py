"""Speech-to-text with faster-whisper: one finished turn of caller audio in, its text out."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.errors import SPEECH_TO_TEXT

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Without tokenizer.json faster-whisper fetches one from the model hub; we never allow that.
_REQUIRED_FILES = ("model.bin", "tokenizer.json")
_MAX_CPU_THREADS = 4


def _cpu_threads() -> int:
    """Use the cores this process may run on (cgroup/affinity aware), capped where whisper stops scaling."""
    return max(1, min(_MAX_CPU_THREADS, len(os.sched_getaffinity(0))))


def _pick_device(device: str, compute_type: str) -> tuple[str, str]:
    """Resolve "auto" device and compute type to what this box can actually run."""
    if device == "auto":
        import ctranslate2  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy, load time only

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def _as_float32(audio: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """Turn mono int16 or float PCM into the float32 [-1, 1] whisper expects."""
    if audio.ndim != 1:
        raise ValueError(f"audio must be mono (1-D), got shape {audio.shape}")
    if audio.dtype == np.int16:
        return audio.astype(np.float32) / 32768.0
    if np.issubdtype(audio.dtype, np.floating):
        return audio.astype(np.float32, copy=False)
    raise ValueError(f"audio must be float32 in [-1, 1] or int16, got {audio.dtype}")


class Transcriber:
    """A loaded faster-whisper model that turns one utterance into text."""

    def __init__(
        self,
        model_path: Path,
        *,
        device: str = "auto",
        compute_type: str = "int8",
        cpu_threads: int | None = None,
        language: str | None = None,
        config_key: str = "models.whisper",
    ) -> None:
        self.model_path = model_path
        self.config_key = config_key
        self._lock = threading.Lock()
        self._check_files()
        self.device, self.compute_type = _pick_device(device, compute_type)
        self._model = self._load(cpu_threads or _cpu_threads())
        self.is_multilingual = bool(self._model.model.is_multilingual)
        # An English-only model must be told "en"; a multilingual one uses the configured language or detects.
        self.language = language if self.is_multilingual else "en"

    def _check_files(self) -> None:
        if not self.model_path.exists():
            raise SPEECH_TO_TEXT.error(self.model_path, self.config_key, "file not found")
        if not self.model_path.is_dir():
            raise SPEECH_TO_TEXT.error(self.model_path, self.config_key, "this is a file, not a model folder")
        for name in _REQUIRED_FILES:
            if not (self.model_path / name).is_file():
                raise SPEECH_TO_TEXT.error(self.model_path, self.config_key, f"the folder has no {name}")

    def _load(self, cpu_threads: int) -> Any:
        try:
            from faster_whisper import WhisperModel  # noqa: PLC0415 - heavy, load time only
        except ImportError as exc:
            key = self.config_key
            raise SPEECH_TO_TEXT.missing_library(self.model_path, key, "faster-whisper") from exc
        _LOGGER.info(
            "Loading speech-to-text model %s on %s (%s, %d threads)",
            self.model_path, self.device, self.compute_type, cpu_threads,
        )
        try:
            return WhisperModel(
                str(self.model_path),
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except Exception as exc:  # ctranslate2 raises bare RuntimeError/ValueError for unusable files
            reason = f"the model is unusable ({exc})"
            raise SPEECH_TO_TEXT.error(self.model_path, self.config_key, reason) from exc

    def transcribe(
        self,
        audio: npt.NDArray[Any],
        sample_rate: int = SAMPLE_RATE,
        *,
        initial_prompt: str | None = None,
    ) -> str:
        """Transcribe one utterance of 16 kHz mono PCM (float32 in [-1, 1] or int16); blocking."""
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"audio must be sampled at {SAMPLE_RATE} Hz, got {sample_rate}")
        samples = _as_float32(audio)
        if samples.size == 0:
            return ""
        with self._lock:
            segments, _info = self._model.transcribe(
                samples,
                language=self.language,
                beam_size=1,
                # One greedy pass: the temperature fallback re-decodes up to five times and ruins latency.
                temperature=0.0,
                condition_on_previous_text=False,
                vad_filter=False,  # the caller already cut the turn with its own VAD
                without_timestamps=True,
                initial_prompt=initial_prompt,
            )
            text = " ".join(segment.text.strip() for segment in segments)
        return text.strip()
