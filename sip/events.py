"""What the SIP layer tells its user about calls; delivered from PJSIP threads, so listeners only enqueue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from sip.control import LineControl

NO_ANSWER = 408  # on_leg_failed: nobody answered within the ring timeout (or the target never replied)
NOT_PLACED = 500  # on_leg_failed: the call could not even be sent (bad URI, no free call slot)
TransferHow = Literal["refer", "bridged"]


@dataclass(frozen=True)
class CallInfo:
    """One answered call as the application sees it. For an outgoing leg (`outgoing`), caller_number and
    caller_name describe the party we dialled, and `called` is our own identity."""

    key: str
    caller_number: str
    caller_name: str
    called: str
    sip_call_id: str
    source: str
    codec: str
    control: LineControl
    outgoing: bool = False
    dialled: str = ""  # an incoming call's request URI's user part (`called` is the To header's)


class SipListener(Protocol):
    """Receives call events. Every method runs on a PJSIP thread and must return within microseconds.

    A listener may also offer `screen(caller_number, called, sip_call_id, dialled) -> int`: asked before an
    incoming call is answered, it returns a SIP status to refuse it with (e.g. 603 Decline), or 0 to answer.

    An incoming call gets on_call_started. An outgoing leg (SipEndpoint.dial) gets on_leg_answered or
    on_leg_failed instead, never on_call_started, so it never looks like a new caller. Every call, incoming or
    outgoing, ends with exactly one on_call_ended."""

    def on_call_started(self, call: CallInfo) -> None:
        """Media is flowing: frames will now arrive and queued playout frames will be sent."""

    def on_audio(self, key: str, frame: bytes) -> None:
        """One 20 ms frame of the far end's audio (16 kHz, mono, PCM16 little-endian), from a caller or a leg."""

    def on_dtmf(self, key: str, digit: str) -> None:
        """The far end (a caller or an answered leg) pressed a key."""

    def on_call_ended(self, key: str, reason: str) -> None:
        """The call is over (either side hung up, it was refused, or it failed)."""

    def on_leg_answered(self, call: CallInfo) -> None:
        """An outgoing leg was answered and its media flows (call.outgoing is True): its audio and key presses
        now arrive through on_audio/on_dtmf with its key, and call.control plays to it."""

    def on_leg_failed(self, key: str, status: int, reason: str) -> None:
        """An outgoing leg was not answered: busy (486), declined (603), no answer within its ring timeout
        (NO_ANSWER, 408), not placed (NOT_PLACED, 500), or any other final SIP status. on_call_ended follows
        once the SIP dialog is gone."""

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        """How a transfer of call `key` ended. ok with how "refer": the peer took the caller to the target (the
        call then ends); ok with how "bridged": the peer refused the REFER, so the endpoint called the target
        and bridged the two calls (the call stays up, but no longer reaches the application). Not ok: the
        call stays up with the application; status says why (a SIP status, 408 for no answer)."""
