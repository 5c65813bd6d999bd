"""pjsua2 Call and Account subclasses: they translate PJSIP callbacks into calls on the endpoint."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from sip.media import FrameQueue
from sip.uri import request_user

if TYPE_CHECKING:
    from sip.endpoint import SipEndpoint

_LOGGER = logging.getLogger(__name__)


class PjCall(pj.Call):  # type: ignore[misc]
    """One SIP call; lives in the endpoint's table until PJSIP reports it disconnected."""

    def __init__(self, owner: SipEndpoint, account: Any, call_id: int, key: str, source: str, *,
                 outgoing: bool = False, dialled: str = "") -> None:
        super().__init__(account, call_id)
        self.owner = owner
        self.key = key
        self.source = source  # the peer's address; for an outgoing leg, the URI dialled
        self.outgoing = outgoing
        self.dialled = dialled  # an incoming call's request URI's user part ('' if it has none)
        self.bridge: Any = None
        self.playout = FrameQueue()
        self.started = False  # reported to the listener (started, or a leg answered)
        self.failed = False  # an outgoing leg reported as not answered
        self.ended = False  # on_call_ended sent
        self.holds_line = False  # counted by the admission book until it disconnects
        self.peer: str | None = None  # the call whose audio this one is bridged to
        self.transfer_of: str | None = None  # for a transfer's fallback leg: the call being transferred

    def audio(self) -> Any:
        """The call's active AudioMedia, or None."""
        info = self.getInfo()
        index = active_audio(info)
        return None if index is None else self.getAudioMedia(index)

    def onCallState(self, prm: Any) -> None:
        """Report an answered (confirmed) or a disconnected call to the endpoint."""
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.owner.call_disconnected(self, int(info.lastStatusCode), str(info.lastReason))
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.owner.call_confirmed(self)

    def onCallMediaState(self, prm: Any) -> None:
        """Media became active (or changed): wire it to the bridge."""
        self.owner.call_media_changed(self)

    def onDtmfDigit(self, prm: Any) -> None:
        """A key press (RFC 4733 or SIP INFO)."""
        self.owner.listener.on_dtmf(self.key, str(prm.digit))

    def onCallTransferStatus(self, prm: Any) -> None:
        """Progress of a transfer we asked for: the REFER's own final response, or a NOTIFY."""
        prm.cont = self.owner.transfer_progress(self, int(prm.statusCode), str(prm.reason), bool(prm.finalNotify))


def active_audio(info: Any) -> int | None:
    """The index of a call's active audio stream (from its CallInfo), if any."""
    media = info.media  # kept in a variable: iterating a temporary's media reads freed memory
    for mi in media:
        if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
            return int(mi.index)
    return None


class PjAccount(pj.Account):  # type: ignore[misc]
    """An identity of the box: the default catch-all one, or one registered at a PBX or trunk."""

    def __init__(self, owner: SipEndpoint, label: str) -> None:
        super().__init__()
        self.owner = owner
        self.label = label

    def onIncomingCall(self, prm: Any) -> None:
        """A new INVITE: let the endpoint decide to answer or refuse it."""
        self.owner.incoming_call(self, prm.callId, str(prm.rdata.srcAddress), request_user(str(prm.rdata.wholeMsg)))

    def onRegState(self, prm: Any) -> None:
        """Log registration results (a failure says what the registrar answered)."""
        if prm.code // 100 == 2:
            _LOGGER.info("registered %s (expires %ss)", self.label, prm.expiration)
        else:
            _LOGGER.warning("registration of %s failed: %s %s", self.label, prm.code, prm.reason)
