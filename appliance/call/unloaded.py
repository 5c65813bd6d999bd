"""Loading the models for a running appliance, which answers its phone even when a model will not load.

A phone that rings out helps nobody: a speech-to-text or LLM file that is missing or damaged when the appliance
starts (a failed disk, an update cut short, a typo in the config) leaves a stand-in in its place that fails each
time it is used, with the load error. Calls then go on as they do when a model fails mid-call: the turns that
need the missing model get the keypad menu (1: a message, 0: the front desk), spoken from phrases made before the
first call, and the call is stored as `fallback`. A voice that will not load is replaced by the embedded default
voice; only when that fails too is there nothing to speak with, and the start is refused. Each fault is logged as
an error naming the config key, and `health()` reports it until a restart with the file fixed.

`receptionist simulate` and the tools keep refusing a model that will not load: they have nobody to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from models import ChatMessage, ChatModel, ModelError, Synthesizer, Transcriber

_LOGGER = logging.getLogger(__name__)


class UnloadedTranscriber(Transcriber):
    """In place of a speech-to-text model that did not load: every utterance fails with the load error."""

    def __init__(self, error: ModelError) -> None:  # nothing to load: the real one would not
        self.error = error

    def transcribe(self, audio: npt.NDArray[Any], sample_rate: int = 16000, *,
                   initial_prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        raise self.error


class UnloadedChat(ChatModel):
    """In place of an LLM that did not load: every reply fails with the load error (there is no prompt to warm)."""

    def __init__(self, error: ModelError) -> None:
        self.error = error

    def warm(self, system_prompt: str) -> None:
        return None

    def stream(self, messages: list[ChatMessage], *, max_tokens: int = 96, temperature: float = 0.2,
               should_stop: Callable[[], bool] | None = None) -> Generator[str, None, None]:
        raise self.error

    def complete_json(self, messages: list[ChatMessage], grammar_json_schema: dict[str, Any],
                      max_tokens: int = 64) -> str:
        raise self.error


@dataclass(frozen=True)
class ModelFault:
    """A model that did not load at the start: the config key that chose it, and what went wrong, what calls get
    instead and what to do (for the log and the signed-in panel; `/health`, open to the LAN, names only the key)."""

    key: str
    text: str


def fault(error: ModelError, effect: str) -> ModelFault:
    """Log a model that did not load, and what the calls get instead."""
    said = f"{error} Until then, {effect}; restart the appliance once it is fixed."
    _LOGGER.error("%s", said)
    return ModelFault(error.config_key, said)


def transcriber_or_standin(load: Callable[[], Transcriber], faults: list[ModelFault]) -> Transcriber:
    """The speech-to-text model, or a stand-in if it does not load (its fault added to `faults`)."""
    try:
        return load()
    except ModelError as exc:
        faults.append(fault(exc, "calls are answered, and the caller's words get the keypad menu"))
        return UnloadedTranscriber(exc)


def chats_or_standin(load: Callable[[], list[ChatModel]], faults: list[ModelFault]) -> list[ChatModel]:
    """The LLM's copies, or one stand-in if they do not load (its fault added to `faults`)."""
    try:
        return load()
    except ModelError as exc:
        faults.append(fault(exc, "calls are answered from the business profile, and the questions only the "
                                 "language model could answer get the keypad menu"))
        return [UnloadedChat(exc)]


def voice_or_default(load: Callable[[], Synthesizer], default: Callable[[], Synthesizer] | None,
                     faults: list[ModelFault]) -> Synthesizer:
    """The configured voice, or the embedded default voice if it does not load (`default` None: the configured
    one is the default, and its error stops the start)."""
    try:
        return load()
    except ModelError as exc:
        if default is None:
            raise
        voice = default()  # nothing left to speak with if this fails: the error stops the start
        faults.append(fault(exc, "calls are answered in the embedded default voice"))
        return voice
