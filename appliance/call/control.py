"""The call-control port: what a call's run may ask of the phone line, whatever carries it (SIP, a simulation).

The SIP layer implements it (`sip.control.LineControl`); `CallRun` uses nothing else of the line. Every method
returns at once and may be called from the asyncio loop; the line acts on its own thread.
"""

from __future__ import annotations

from typing import Protocol


class CallControl(Protocol):
    """Hang up, transfer, and play audio to the caller."""

    def hang_up(self) -> None:
        """End the call (a BYE); the run then sees LineClosed."""

    def transfer(self, target: str) -> None:
        """Hand the caller to a SIP URI or number (a blind transfer, SIP REFER); the run then sees LineClosed."""

    def ring(self, target: str, ring_timeout_s: float) -> str:
        """Call a team member for this caller (a warm transfer); returns the leg's key at once. The run then
        sees LegAnswered (with the leg's own control port) or LegFailed, and the leg's audio and keys."""

    def join(self, leg_key: str) -> None:
        """Connect the caller with an answered leg and leave them talking; the run then ends."""

    def extend(self, frames: list[bytes]) -> None:
        """Queue 20 ms frames to play to the caller (a prompt, a reply)."""

    def clear(self) -> int:
        """Drop the audio still queued (the caller barged in); return how many frames were dropped."""

    def __len__(self) -> int:
        """Frames still queued to play."""
