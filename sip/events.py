"""What the SIP layer tells its user about calls; delivered from PJSIP threads, so listeners only enqueue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sip.control import LineControl


@dataclass(frozen=True)
class CallInfo:
    """One answered call as the application sees it."""

    key: str
    caller_number: str
    caller_name: str
    called: str
    sip_call_id: str
    source: str
    codec: str
    control: LineControl


class SipListener(Protocol):
    """Receives call events. Every method runs on a PJSIP thread and must return within microseconds."""

    def on_call_started(self, call: CallInfo) -> None:
        """Media is flowing: frames will now arrive and queued playout frames will be sent."""

    def on_audio(self, key: str, frame: bytes) -> None:
        """One 20 ms frame of caller audio (16 kHz, mono, PCM16 little-endian)."""

    def on_dtmf(self, key: str, digit: str) -> None:
        """The caller pressed a key."""

    def on_call_ended(self, key: str, reason: str) -> None:
        """The call is over (either side hung up, it was refused, or it failed)."""
