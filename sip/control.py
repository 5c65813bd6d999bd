"""One answered line's control port: hang up, transfer, and play audio. It matches the appliance's
`CallControl` protocol without importing it (`sip` knows nothing of the appliance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sip.media import FrameQueue


class LineCommands(Protocol):
    """What the endpoint does for a line, from any thread (it queues the work for the PJSIP thread)."""

    def hangup(self, key: str) -> None: ...

    def transfer(self, key: str, target: str, ring_timeout_s: float = ..., bridge_if_refused: bool = ...) -> None: ...

    def new_key(self) -> str: ...

    def dial_for(self, key: str, target: str, leg_key: str, ring_timeout_s: float = ...) -> None: ...

    def bridge(self, key_a: str, key_b: str) -> None: ...


class LineControl:
    """The control port of one call, known to the endpoint by its key."""

    def __init__(self, commands: LineCommands, key: str, playout: FrameQueue) -> None:
        self._commands, self.key, self.playout = commands, key, playout

    def hang_up(self) -> None:
        """End the call with a BYE."""
        self._commands.hangup(self.key)

    def transfer(self, target: str, bridge_if_refused: bool = True) -> None:
        """Blind-transfer the caller (SIP REFER) to a SIP URI, or to a number at the peer that sent the call.
        With bridge_if_refused, a peer that refuses the REFER gets the target called and bridged instead (the
        listener's on_transfer_result says "bridged"; the application should then leave the call)."""
        self._commands.transfer(self.key, target, bridge_if_refused=bridge_if_refused)

    def ring(self, target: str, ring_timeout_s: float, claim: Callable[[str], None] | None = None) -> str:
        """Call a team member for this caller (a warm transfer): returns the new leg's key at once; the leg's
        answer or failure, audio and key presses come to the listener under that key. `claim` learns the key
        before the leg is placed, so no event of the leg can come before its owner knows it."""
        leg_key = self._commands.new_key()
        if claim is not None:
            claim(leg_key)
        self._commands.dial_for(self.key, target, leg_key, ring_timeout_s)
        return leg_key

    def join(self, leg_key: str) -> None:
        """Connect this caller with an answered leg and leave them talking (the application hears neither)."""
        self._commands.bridge(self.key, leg_key)

    def extend(self, frames: list[bytes]) -> None:
        """Queue frames to play to the caller."""
        self.playout.extend(frames)

    def clear(self) -> int:
        """Drop the frames still queued; return how many."""
        return self.playout.clear()

    def __len__(self) -> int:
        return len(self.playout)
