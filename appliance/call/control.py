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

    def extend(self, frames: list[bytes]) -> None:
        """Queue 20 ms frames to play to the caller (a prompt, a reply)."""

    def clear(self) -> int:
        """Drop the audio still queued (the caller barged in); return how many frames were dropped."""

    def __len__(self) -> int:
        """Frames still queued to play."""
