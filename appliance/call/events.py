"""Typed events of one call's run: the same stream feeds the call log, the live view and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """How a call ended, from the business's point of view."""

    ANSWERED = "answered"
    TRANSFERRED = "transferred"
    MESSAGE_TAKEN = "message-taken"
    AFTER_HOURS = "after-hours"
    ABANDONED = "abandoned"
    BLOCKED = "blocked"
    FALLBACK = "fallback"  # a model failed: the call went on with pre-synthesized phrases and the keypad
    FAILED = "failed"


class Speaker(StrEnum):
    """Who said a turn."""

    CALLER = "caller"
    RECEPTIONIST = "receptionist"


@dataclass(frozen=True)
class CallStarted:
    """The call was answered (or, `answered` False, refused): everything known about it, under the one id that
    names the call everywhere."""

    call_id: str
    caller: str
    called: str
    at: float
    caller_name: str = ""
    source: str = ""  # the SIP peer's address (a trunk, a PBX or the caller's phone)
    codec: str = ""
    sip_call_id: str = ""
    brand: str = ""  # the id of the brand that answered (profile v2)
    answered: bool = True  # False: refused before answering (a blocked caller's 603), logged all the same


@dataclass(frozen=True)
class TurnSpoken:
    """One turn's words, with its offsets from the answer time in seconds."""

    speaker: Speaker
    text: str
    start: float
    end: float
    timings: dict[str, float] = field(default_factory=dict)
    intent: str = ""  # a receptionist turn: what it answered (hours, price, transfer, ...), for the summary


@dataclass(frozen=True)
class Interrupted:
    """The caller spoke over the receptionist; playout was cut."""

    at: float


@dataclass(frozen=True)
class Backchannel:
    """The caller said a short "yeah", "okay" or "mm-hm" over the receptionist, who went on speaking and did not
    answer it (it is no turn of the conversation)."""

    text: str
    at: float


@dataclass(frozen=True)
class DtmfPressed:
    """The caller pressed a key (RFC 4733)."""

    digit: str
    at: float


@dataclass(frozen=True)
class ErrorRaised:
    """A coded error ended or degraded the call."""

    code: str
    message: str
    at: float


@dataclass(frozen=True)
class CallEnded:
    """The call is over."""

    outcome: Outcome
    reason: str
    at: float


@dataclass(frozen=True)
class MessageTaken:
    """The caller left a message for the team (once it is final: its callback number read back and confirmed,
    given up on, or the call ended during the read-back)."""

    name: str | None
    callback_number: str | None
    reason: str
    urgency: str
    at: float
    for_member: str | None = None  # the id of the team member it is for (one the caller could not reach)
    number_confirmed: bool = False  # the caller said the callback number read back to them is right


@dataclass(frozen=True)
class Transferring:
    """The receptionist is putting the caller through to a team member (a SIP REFER, or a bridged call)."""

    member: str  # the team member's id in the profile
    target: str  # their extension, number or SIP URI
    at: float
    name: str = ""  # their name, as the summary says it


@dataclass(frozen=True)
class TransferFailed:
    """The transfer did not reach the team member; the caller is still on the line with the receptionist."""

    member: str
    target: str
    status: int  # the SIP status that ended it (486 busy, 603 declined, 408 no answer, ...)
    at: float
    name: str = ""


@dataclass(frozen=True)
class KnowledgeGap:
    """The caller asked what the brand's profile cannot answer; the receptionist said so and offered a message."""

    question: str  # the caller's words (numbers in them masked: `appliance.reception.gaps`)
    brand: str  # the id of the brand that was asked
    at: float  # wall-clock time (Unix seconds)


@dataclass(frozen=True)
class Recorded:
    """The call's audio (a WAV, both sides), when recording is on; published after CallEnded."""

    wav: bytes = field(repr=False)
    seconds: float


CallEvent = (CallStarted | TurnSpoken | Interrupted | Backchannel | DtmfPressed | ErrorRaised | MessageTaken
             | Transferring | TransferFailed | KnowledgeGap | CallEnded | Recorded)
