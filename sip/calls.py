"""pjsua2 Call and Account subclasses: they translate PJSIP callbacks into calls on the endpoint."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from sip.media import FrameQueue

if TYPE_CHECKING:
    from sip.endpoint import SipEndpoint

_LOGGER = logging.getLogger(__name__)


class PjCall(pj.Call):  # type: ignore[misc]
    """One SIP call; lives in the endpoint's table until PJSIP reports it disconnected."""

    def __init__(self, owner: SipEndpoint, account: Any, call_id: int, key: str, source: str) -> None:
        super().__init__(account, call_id)
        self.owner = owner
        self.key = key
        self.source = source
        self.bridge: Any = None
        self.playout = FrameQueue()
        self.started = False
        self.holds_line = False  # counted by the admission book until it disconnects

    def onCallState(self, prm: Any) -> None:
        """Report a disconnected call to the endpoint."""
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.owner.call_disconnected(self, f"{info.lastStatusCode} {info.lastReason}")

    def onCallMediaState(self, prm: Any) -> None:
        """Media became active (or changed): wire it to the bridge."""
        self.owner.call_media_changed(self)

    def onDtmfDigit(self, prm: Any) -> None:
        """A key press (RFC 4733 or SIP INFO)."""
        self.owner.listener.on_dtmf(self.key, str(prm.digit))

    def onCallTransferStatus(self, prm: Any) -> None:
        """Progress of a transfer we asked for (NOTIFY). Once the caller reached the target our leg ends; a
        failed transfer leaves the call up (the run decides what to say)."""
        if not prm.finalNotify:
            return
        if prm.statusCode // 100 == 2:
            _LOGGER.info("call %s transferred", self.key)
            prm.cont = False
            self.owner.hangup(self.key)
        else:
            _LOGGER.warning("call %s: transfer failed: %s %s", self.key, prm.statusCode, prm.reason)


class PjAccount(pj.Account):  # type: ignore[misc]
    """An identity of the box: the default catch-all one, or one registered at a PBX or trunk."""

    def __init__(self, owner: SipEndpoint, label: str) -> None:
        super().__init__()
        self.owner = owner
        self.label = label

    def onIncomingCall(self, prm: Any) -> None:
        """A new INVITE: let the endpoint decide to answer or refuse it."""
        self.owner.incoming_call(self, prm.callId, str(prm.rdata.srcAddress))

    def onRegState(self, prm: Any) -> None:
        """Log registration results (a failure says what the registrar answered)."""
        if prm.code // 100 == 2:
            _LOGGER.info("registered %s (expires %ss)", self.label, prm.expiration)
        else:
            _LOGGER.warning("registration of %s failed: %s %s", self.label, prm.code, prm.reason)
