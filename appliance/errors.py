"""Coded errors of a call run and of the appliance's start-up: the one root every user-facing error has.

`models` and `sip` know nothing of the appliance; their errors (ModelError, SipError) are turned into coded
ApplianceErrors where the appliance calls them (`wiring.load_engines`, `service.Appliance.start`)."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes stored with a call's error event and shown to admins."""

    CONFIG = "config-invalid"
    MODEL = "model-unavailable"
    STT = "stt-failed"
    LLM = "llm-failed"
    TTS = "tts-failed"
    OVERLOAD = "overloaded"  # a reply took too long (a slow stage, or a queue behind other calls)
    SIP = "sip-failed"
    STORE = "store-failed"
    NOT_FOUND = "not-found"
    INTERNAL = "internal"


class ApplianceError(Exception):
    """An error with a code and a message that says what went wrong and what to do."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ConfigError(ApplianceError):
    """The config file is missing, unreadable or has a bad value."""

    code = ErrorCode.CONFIG


class StageError(ApplianceError):
    """One stage of a call run (STT, LLM, TTS, media) failed."""


class NotFoundError(ApplianceError):
    """A call or caller asked for by id does not exist (or is no longer in progress)."""

    code = ErrorCode.NOT_FOUND
