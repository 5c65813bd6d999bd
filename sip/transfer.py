"""Blind transfers: a SIP REFER first; when the peer refuses it, the endpoint calls the target itself and
bridges the two calls. A state machine on the PJSIP thread, driven by the endpoint through the `Lines` port,
so it is tested without SIP."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sip.events import NO_ANSWER, TransferHow
from sip.timers import Timers

TARGET_SAID_NO = frozenset({408, 480, 486, 487, 600, 603})  # busy, declined, no answer: the target's own answer
REFER_GRACE_S = 10.0  # an accepted REFER may report its outcome up to the ring timeout plus this
TRANSFER_PENDING = 491  # a transfer asked for while the call's previous one is still going
NOT_SENT = 500  # the REFER (or the bridge) could not be made on our side


def bridge_after(status: int, accepted: bool) -> bool:
    """Whether a failed REFER is worth retrying as dial-and-bridge: yes when the peer refused the REFER itself
    (it does not do transfers, or not for us), or accepted it but could not reach the target for a reason of its
    own (403, 404, 503); no when the target itself said no (busy, declined, no answer), as calling it again would
    only keep the caller waiting longer."""
    return not accepted or status not in TARGET_SAID_NO


class Lines(Protocol):
    """What the desk asks of the endpoint; every call runs on the PJSIP thread."""

    def refer_now(self, key: str, uri: str) -> bool:
        """Send a REFER on call `key`; False if it could not be sent."""

    def new_key(self) -> str:
        """A key for a call about to be placed."""

    def dial_now(self, key: str, uri: str, ring_timeout_s: float, transfer_of: str | None) -> None:
        """Dial `uri` as call `key` for the transfer of call `transfer_of`; the endpoint reports back through
        leg_answered or leg_failed."""

    def bridge_now(self, key_a: str, key_b: str) -> bool:
        """Bridge two calls' audio; False if either has gone."""

    def hangup(self, key: str) -> None:
        """Hang up a call (queued; a call already gone is ignored)."""


class Results(Protocol):
    """Where the outcome goes (the SipListener)."""

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        """How a transfer ended."""


@dataclass
class Transfer:
    """One transfer in progress: strings and flags only (timers capture it; no pjsua2 object may be kept)."""

    key: str
    uri: str
    ring_timeout_s: float
    bridge_if_refused: bool
    accepted: bool = False  # the peer took the REFER (202) and reports progress
    leg: str | None = None  # the fallback call to the target, while it rings


class TransferDesk:
    """Transfers in progress by call key."""

    def __init__(self, lines: Lines, results: Results, timers: Timers,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lines, self._results, self._timers, self._clock = lines, results, timers, clock
        self._pending: dict[str, Transfer] = {}

    def begin(self, key: str, uri: str, ring_timeout_s: float, bridge_if_refused: bool) -> None:
        """Start transferring call `key` to `uri` with a REFER."""
        if key in self._pending:
            self._results.on_transfer_result(key, uri, False, TRANSFER_PENDING, "refer")
            return
        transfer = self._pending[key] = Transfer(key, uri, ring_timeout_s, bridge_if_refused)
        if not self._lines.refer_now(key, uri):
            self._refused(transfer, NOT_SENT)
            return
        self._timers.at(self._clock() + ring_timeout_s + REFER_GRACE_S, lambda: self._refer_timed_out(transfer))

    def progress(self, key: str, status: int, final: bool) -> bool:
        """The REFER's final response or a NOTIFY about it; returns whether to keep listening for more."""
        transfer = self._pending.get(key)
        if transfer is None or transfer.leg is not None:
            if final and status // 100 == 2:
                self._lines.hangup(key)  # a late success: the caller has left us, whatever we reported
            return False
        if not final:
            transfer.accepted = True
            return True
        if status // 100 == 2:
            self._finish(transfer, True, status, "refer")
            self._lines.hangup(key)
        else:
            self._refused(transfer, status)
        return False

    def leg_answered(self, origin: str, leg: str) -> None:
        """The fallback call to the target was answered: bridge it to the caller."""
        transfer = self._pending.get(origin)
        if transfer is None or transfer.leg != leg:
            self._lines.hangup(leg)
        elif self._lines.bridge_now(origin, leg):
            self._finish(transfer, True, 200, "bridged")
        else:
            self._lines.hangup(leg)
            self._finish(transfer, False, NOT_SENT, "bridged")

    def leg_failed(self, origin: str, leg: str, status: int) -> None:
        """The fallback call to the target was not answered: the caller stays with the application."""
        transfer = self._pending.get(origin)
        if transfer is not None and transfer.leg == leg:
            self._finish(transfer, False, status, "bridged")

    def call_ended(self, key: str) -> None:
        """Call `key` is gone: forget its transfer and hang up a fallback call still ringing for it. No result
        follows; on_call_ended says enough."""
        transfer = self._pending.pop(key, None)
        if transfer is not None and transfer.leg is not None:
            self._lines.hangup(transfer.leg)

    def _refused(self, transfer: Transfer, status: int) -> None:
        if transfer.bridge_if_refused and bridge_after(status, transfer.accepted):
            transfer.leg = self._lines.new_key()
            self._lines.dial_now(transfer.leg, transfer.uri, transfer.ring_timeout_s, transfer.key)
        else:
            self._finish(transfer, False, status, "refer")

    def _refer_timed_out(self, transfer: Transfer) -> None:
        if self._pending.get(transfer.key) is transfer and transfer.leg is None:
            self._finish(transfer, False, NO_ANSWER, "refer")

    def _finish(self, transfer: Transfer, ok: bool, status: int, how: TransferHow) -> None:
        self._pending.pop(transfer.key, None)
        self._results.on_transfer_result(transfer.key, transfer.uri, ok, status, how)

    def __len__(self) -> int:
        return len(self._pending)
