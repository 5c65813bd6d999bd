"""Load each model once per process and hand the same instance to every call that asks for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from models.chat import ChatModel
from models.defaults import default_llm_model, default_voice_model, default_whisper_model
from models.synthesizer import Synthesizer
from models.transcriber import Transcriber

_LOGGER = logging.getLogger(__name__)

_Model = TypeVar("_Model")
_Key = tuple[object, ...]


def _resolve(path: Path | None) -> Path | None:
    """Resolve symlinks and relative parts so two spellings of one file share one model."""
    return _real(path) if path is not None else None


def _real(path: Path) -> Path:
    return path.expanduser().resolve()


class ModelRegistry:
    """A thread-safe cache of loaded models keyed by kind, file and options."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loading: dict[_Key, threading.Lock] = {}
        self._models: dict[_Key, object] = {}

    # `config_key` names the caller's setting in load errors; it is not part of a model's identity.

    def transcriber(self, path: Path | None = None, *, config_key: str = "", **opts: Any) -> Transcriber:
        """Return the shared speech-to-text model at path (None: the embedded default)."""
        model_path = _real(path or default_whisper_model(config_key))  # the default too: one key for both
        key = ("transcriber", model_path, *sorted(opts.items()))
        return self._get(key, lambda: Transcriber(model_path, config_key=config_key, **opts), Transcriber)

    def chat(self, path: Path | None = None, *, config_key: str = "", replica: int = 0, **opts: Any) -> ChatModel:
        """Return the shared language model at path (None: the embedded default); `replica` numbers separate
        copies of one model (each its own context and threads)."""
        model_path = _real(path or default_llm_model(config_key))
        key = ("chat", model_path, replica, *sorted(opts.items()))
        return self._get(key, lambda: ChatModel(model_path, config_key=config_key, **opts), ChatModel)

    def synthesizer(self, path: Path | None = None, config: Path | None = None, *, config_key: str = "",
                    **opts: Any) -> Synthesizer:
        """Return the shared voice at path with its JSON settings (None: the embedded default voice)."""
        model_path, config_path = _resolve(path), _resolve(config)
        if model_path is None:
            model_path, default_config = map(_real, default_voice_model(config_key))
            config_path = config_path or default_config
        # Resolve the implied <voice>.onnx.json here so both spellings share one key.
        config_path = config_path or model_path.with_name(model_path.name + ".json")
        key = ("synthesizer", model_path, config_path, *sorted(opts.items()))
        return self._get(key, lambda: Synthesizer(model_path, config_path, config_key=config_key, **opts),
                         Synthesizer)

    def loaded(self) -> list[object]:
        """Return the models loaded so far (for health pages and tests)."""
        with self._lock:
            return list(self._models.values())

    def _get(self, key: _Key, load: Callable[[], _Model], kind: type[_Model]) -> _Model:
        """Return the cached model for key, loading it once even when several threads ask at the same time."""
        with self._lock:
            cached = self._models.get(key)
            key_lock = self._loading.setdefault(key, threading.Lock())
        if cached is None:
            # One lock per key: a slow LLM load does not hold up a voice load; two asks for one model wait.
            with key_lock:
                cached = self._models.get(key)
                if cached is None:
                    started = time.monotonic()
                    cached = load()
                    _LOGGER.info("Loaded %s in %.2f s", key[0], time.monotonic() - started)
                    with self._lock:
                        self._models[key] = cached
        if not isinstance(cached, kind):
            raise TypeError(f"registry entry {key[0]} holds a {type(cached).__name__}")
        return cached


_SHARED: ModelRegistry | None = None
_SHARED_LOCK = threading.Lock()


def shared_registry() -> ModelRegistry:
    """Return the one registry of this process, created on first use."""
    global _SHARED  # noqa: PLW0603 - one lazily built process-wide instance is the point
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ModelRegistry()
        return _SHARED
