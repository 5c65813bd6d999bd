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
from models.hypotheses import best_hypothesis
from models.repeats import mend

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Without tokenizer.json faster-whisper fetches one from the model hub; we never allow that.
_REQUIRED_FILES = ("model.bin", "tokenizer.json")
_MAX_CPU_THREADS = 4
_FRAMES_PER_SECOND = 100
_FULL_WINDOW_FRAMES = 30 * _FRAMES_PER_SECOND
# Whisper's own thresholds (faster-whisper defaults) for "this was not speech" and "the decoder looped".
_NO_SPEECH_PROB = 0.6
_LOG_PROB_FLOOR = -1.0
_COMPRESSION_RATIO_CEILING = 2.4
# Speech runs at about 3-4 tokens a second; twice that plus slack never truncates a real utterance.
_TOKENS_PER_SECOND_CAP = 8
AUTO_BEAM = 5  # faster-whisper's own default beam


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


def window_frames(content_frames: int, min_window_seconds: float) -> int:
    """Encoder window for an utterance: its length plus 1 s, at least the minimum, in whole seconds."""
    wanted = max(int(min_window_seconds * _FRAMES_PER_SECOND), content_frames + _FRAMES_PER_SECOND)
    whole_seconds = -(-wanted // _FRAMES_PER_SECOND) * _FRAMES_PER_SECOND
    return min(_FULL_WINDOW_FRAMES, whole_seconds)


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
        min_window_seconds: float | None = 10.0,
        beam_size: int = 1,  # 0: AUTO_BEAM on a GPU, one greedy guess on a CPU
        config_key: str = "",
    ) -> None:
        self.model_path = model_path
        self.config_key = config_key
        # Whisper always encodes a 30 s window; an utterance-sized window is 3-5x faster. Below ~10 s the
        # decoder starts to loop on short phrases, so that is the floor; None keeps the standard 30 s.
        self.min_window_seconds = min_window_seconds
        self._lock = threading.Lock()
        self._check_files()
        self.device, self.compute_type = _pick_device(device, compute_type)
        # More than 1: the best guesses are weighed with the business's words. On a 2-core CPU five guesses cost
        # about 80 ms a turn (200 ms at p95 when the LLM answers too), so there it takes an explicit setting.
        self.beam_size = beam_size or (AUTO_BEAM if self.device == "cuda" else 1)
        self._model = self._load(cpu_threads or _cpu_threads())
        self.is_multilingual = bool(self._model.model.is_multilingual)
        # An English-only model must be told "en"; a multilingual one uses the configured language or detects.
        self.language = language if self.is_multilingual else "en"
        self._tokenizer: Any = None
        self._suppress_tokens: list[int] = []
        self._prepare_fitted_window()

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

    def _prepare_fitted_window(self) -> None:
        """Build the tokenizer for the fitted-window path; it needs a known language (no detection)."""
        if self.language is None or self.min_window_seconds is None:
            return
        import faster_whisper  # noqa: PLC0415 - already loaded with the model

        model = self._model
        self._tokenizer = faster_whisper.tokenizer.Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=self.language
        )
        self._suppress_tokens = list(faster_whisper.transcribe.get_suppressed_tokens(self._tokenizer, [-1]))

    def transcribe(
        self,
        audio: npt.NDArray[Any],
        sample_rate: int = SAMPLE_RATE,
        *,
        initial_prompt: str | None = None,
        terms: frozenset[str] = frozenset(),
    ) -> str:
        """Transcribe one utterance of 16 kHz mono PCM (float32 in [-1, 1] or int16); blocking. With a beam, the
        hypothesis kept is the best once the business words (`terms`, see models.hypotheses) it holds count."""
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"audio must be sampled at {SAMPLE_RATE} Hz, got {sample_rate}")
        samples = _as_float32(audio)
        if samples.size == 0:
            return ""
        with self._lock:
            text = self._transcribe_fitted(samples, initial_prompt, terms) if self._tokenizer is not None else None
            if text is None:
                text = self._transcribe_standard(samples, initial_prompt)
        return text

    def _transcribe_standard(self, samples: npt.NDArray[np.float32], initial_prompt: str | None) -> str:
        """Faster-whisper's own path: 30 s windows, one pass."""
        segments, _info = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            # One pass: the temperature fallback re-decodes up to five times and ruins latency.
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,  # the caller already cut the turn with its own VAD
            without_timestamps=True,
            initial_prompt=initial_prompt,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()

    def _transcribe_fitted(self, samples: npt.NDArray[np.float32], initial_prompt: str | None,
                           terms: frozenset[str]) -> str | None:
        """Encode an utterance-sized window and decode it (greedily, or the beam's best guesses); None when the
        standard path must decide."""
        import faster_whisper  # noqa: PLC0415 - already loaded with the model

        model, tokenizer, helpers = self._model, self._tokenizer, faster_whisper.transcribe
        features = model.feature_extractor(samples)
        content = features.shape[-1] - 1
        if content + _FRAMES_PER_SECOND > _FULL_WINDOW_FRAMES:
            return None
        frames = window_frames(content, self.min_window_seconds or 0)
        window = faster_whisper.audio.pad_or_trim(features[:, :content], frames)
        encoded = model.model.encode(helpers.get_ctranslate2_storage(window[np.newaxis]))
        previous = tokenizer.encode(" " + initial_prompt.strip()) if initial_prompt else []
        prompt = model.get_prompt(tokenizer, previous, without_timestamps=True)
        max_new = _TOKENS_PER_SECOND_CAP * content // _FRAMES_PER_SECOND + 16
        max_new = min(max_new, model.max_length - len(prompt))
        result = model.model.generate(
            encoded, [prompt], beam_size=self.beam_size, num_hypotheses=self.beam_size,
            max_length=len(prompt) + max_new, return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=self._suppress_tokens,
        )[0]
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > _NO_SPEECH_PROB and avg_logprob < _LOG_PROB_FLOOR:
            return ""
        hypotheses = zip(result.sequences_ids, result.scores, strict=True)
        guesses = [(self._mended(ids, max_new), score) for ids, score in hypotheses]
        usable = [(text, score) for text, score in guesses if text is not None]
        if not usable:
            return None
        return usable[best_hypothesis(usable, terms)][0]

    def _mended(self, tokens: list[int], max_new: int) -> str | None:
        """A hypothesis' text with a sentence written again kept once; None where it may have looped."""
        import faster_whisper  # noqa: PLC0415 - already loaded with the model

        decoded = str(self._tokenizer.decode(tokens)).strip()
        text = mend(decoded, cut=len(tokens) >= max_new)  # a sentence written again is kept once
        if text is None or faster_whisper.transcribe.get_compression_ratio(text) > _COMPRESSION_RATIO_CEILING:
            # The standard window is the reference, and it keeps a repetition the caller really said.
            _LOGGER.debug("Fitted-window decode may have looped (%r)", decoded)
            return None
        if text != decoded:
            _LOGGER.debug("Fitted-window decode wrote a sentence again (%r); kept once", decoded)
        return text
