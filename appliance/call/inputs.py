"""What reaches a call's run, in order, on one queue: typed input frames instead of bytes, text and sentinels."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol


class LegLine(Protocol):
    """A rung team member's line: play to it, hang it up."""

    def extend(self, frames: list[bytes]) -> None: ...

    def clear(self) -> int: ...

    def __len__(self) -> int: ...

    def hang_up(self) -> None: ...


@dataclass(frozen=True)
class AudioIn:
    """20 ms of caller audio (16 kHz mono PCM16 little-endian), and what the line had just played to the caller
    (its last frames, oldest first; empty when unknown): the reference that tells an echo from the caller."""

    pcm: bytes = field(repr=False)
    played: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class CallerText:
    """A caller turn given as text (`receptionist simulate`, tests): no speech recognition needed."""

    text: str


@dataclass(frozen=True)
class KeyPressed:
    """The caller pressed a key on the phone's keypad (RFC 4733 or SIP INFO)."""

    digit: str


@dataclass(frozen=True)
class TransferResult:
    """How a transfer the run asked for ended: ok (the caller reached the target) or not, and the SIP status."""

    ok: bool
    status: int
    how: str = "refer"  # "refer": the caller's phone called the target; "bridged": the box joined the two calls


@dataclass(frozen=True)
class LegAnswered:
    """The team member rung for a warm transfer picked up; `control` plays to them."""

    control: LegLine = field(repr=False)


@dataclass(frozen=True)
class LegFailed:
    """The team member's phone did not answer: busy (486), declined (603), no answer (408), unreachable."""

    status: int


@dataclass(frozen=True)
class LegAudio:
    """20 ms of the team member's audio (during a warm transfer's brief)."""

    pcm: bytes = field(repr=False)


@dataclass(frozen=True)
class LegKey:
    """The team member pressed a key."""

    digit: str


@dataclass(frozen=True)
class LegEnded:
    """The team member's leg is gone (they hung up, or it was never answered)."""


@dataclass(frozen=True)
class LineClosed:
    """The line is gone: the caller hung up, or the receptionist's hang-up went through."""

    reason: str = ""


@dataclass(frozen=True)
class Shutdown:
    """The appliance is stopping: end the run now."""


LegInput = LegAnswered | LegFailed | LegAudio | LegKey | LegEnded
CallInput = AudioIn | CallerText | KeyPressed | TransferResult | LegInput | LineClosed | Shutdown
Inputs = asyncio.Queue[CallInput]
