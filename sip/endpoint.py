"""The PJSIP endpoint on its own thread: one thread owns pjsua2; other threads send it commands."""

from __future__ import annotations

import gc
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from sip.admission import Admission
from sip.bridge import BridgePool, connect, cross_connect, disconnect
from sip.calls import PjAccount, PjCall, active_audio
from sip.config import EndpointConfig, SipError
from sip.control import LineControl
from sip.events import NO_ANSWER, NOT_PLACED, CallInfo, SipListener
from sip.gate import InviteGate, RefusalLog
from sip.lib import create_library, make_account_config
from sip.timers import Timers
from sip.transfer import TransferDesk
from sip.uri import SourceFilter, parse_party, transfer_uri

_LOGGER = logging.getLogger(__name__)
Command = Callable[[], object]
RING_TIMEOUT_S = 20.0  # how long an outgoing leg may ring before the endpoint gives up (no answer)


class SipEndpoint:
    """Answers calls from allowed sources and bridges their audio to a SipListener."""

    def __init__(self, config: EndpointConfig, listener: SipListener) -> None:
        self.config = config
        self.listener = listener
        self.admission = Admission(config.limits, SourceFilter(list(config.allowed_sources)), time.monotonic())
        self._refusals = RefusalLog()
        self._gate = InviteGate(self.admission, self._refusals)
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._error: SipError | None = None
        self._thread = threading.Thread(target=self._run, name="pjsip", daemon=True)
        self._keys = itertools.count(1)
        self._calls: dict[str, PjCall] = {}
        self._bridges = BridgePool()
        self._accounts: list[PjAccount] = []
        self._timers = Timers()
        self._desk = TransferDesk(self, listener, self._timers)
        self._ep: Any = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the PJSIP thread and wait until it listens; raise SipError if it cannot."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise SipError("the SIP endpoint did not start in time; check the log for PJSIP errors")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error

    def hangup(self, key: str) -> None:
        """Hang up a call (from any thread). A call bridged to another takes the other down with it."""
        self._commands.put(lambda: self._hangup(key))

    def transfer(self, key: str, target: str, ring_timeout_s: float = RING_TIMEOUT_S,
                 bridge_if_refused: bool = True) -> None:
        """Blind-transfer a call to a SIP URI, or to a number at the peer that sent the call. A SIP REFER
        first; if the peer refuses it (a non-2xx answer to the REFER, or a failing NOTIFY other than the
        target's own busy/decline/no answer) and bridge_if_refused, the endpoint dials the target itself
        (ringing at most ring_timeout_s) and bridges the two calls. The listener hears on_transfer_result; on
        failure the call stays up. Raises ValueError for a target that is neither a URI nor a number."""
        transfer_uri(target, "peer")  # a bad target fails here, in the asking thread
        self._commands.put(lambda: self._transfer(key, target, ring_timeout_s, bridge_if_refused))

    def dial(self, uri: str, ring_timeout_s: float = RING_TIMEOUT_S) -> str:
        """Place an outgoing call (a leg) and return its key. The listener hears on_leg_answered (CallInfo
        with outgoing=True; then its audio and key presses arrive with this key, and its control plays to
        it) or on_leg_failed (busy, declined, unreachable, or no answer within ring_timeout_s: the endpoint
        then cancels it); on_call_ended follows either way."""
        key = self.new_key()
        self._commands.put(lambda: self.dial_now(key, uri, ring_timeout_s, None))
        return key

    def dial_for(self, key: str, target: str, leg_key: str, ring_timeout_s: float = RING_TIMEOUT_S) -> None:
        """Place a leg for call `key` (a warm transfer): `target` is a SIP URI, or a number at the peer that sent
        that call; `leg_key` comes from new_key(), so the caller can know the leg before any of its events.
        Raises ValueError for a target that is neither a URI nor a number."""
        transfer_uri(target, "peer")
        self._commands.put(lambda: self._dial_for(key, target, leg_key, ring_timeout_s))

    def _dial_for(self, key: str, target: str, leg_key: str, ring_timeout_s: float) -> None:
        call = self._calls.get(key)
        uri = transfer_uri(target, call.source if call is not None else self.config.bind_address)
        self.dial_now(leg_key, uri, ring_timeout_s, None)

    def bridge(self, key_a: str, key_b: str) -> None:
        """Connect two answered calls' audio to each other through the conference bridge and take both from
        the application: no more on_audio for them, their controls play nothing. From then on, when either
        side hangs up the endpoint hangs up the other; on_call_ended comes for both. If either call is gone
        (or has no audio) nothing is bridged and the other stays with the application."""
        self._commands.put(lambda: self.bridge_now(key_a, key_b))

    def send_dtmf(self, key: str, digits: str) -> None:
        """Send key presses on a call (RFC 4733)."""
        self._commands.put(lambda: self._dtmf(key, digits))

    def new_key(self) -> str:
        """A fresh call key (any thread)."""
        return f"c{next(self._keys)}"

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up every call, free PJSIP and end the thread."""
        self.admission.stopping = True
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def active_calls(self) -> int:
        """Calls not yet disconnected."""
        return len(self._calls)

    def live_calls(self) -> list[str]:
        """The keys of the calls not yet disconnected (any thread; a snapshot)."""
        return list(self._calls.copy())

    # --- everything below runs on the PJSIP thread ---

    def _run(self) -> None:
        try:
            self._ep = create_library(self.config)
            self._gate.register()
            self._create_accounts()
        except SipError as exc:
            self._error = exc
            self._destroy()
            self._ready.set()
            return
        self._ready.set()
        _LOGGER.info("SIP listening on %s:%s (%s)", self.config.bind_address, self.config.port,
                     "/".join(self.config.transports))
        while not self._stopping.is_set():
            self._ep.libHandleEvents(10)
            self._drain_commands()
            self._timers.run_due(time.monotonic())
        self._shutdown()

    def _create_accounts(self) -> None:
        default = PjAccount(self, "default")
        default.create(make_account_config(self.config, None), True)
        self._accounts.append(default)
        for reg in self.config.registrations:
            account = PjAccount(self, f"{reg.user}@{reg.registrar}")
            account.create(make_account_config(self.config, reg))
            self._accounts.append(account)

    def _drain_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command()
            except pj.Error as exc:
                _LOGGER.warning("SIP command failed: %s", exc.info())

    def incoming_call(self, account: PjAccount, call_id: int, source: str, dialled: str = "") -> None:
        """Answer an INVITE the gate let through, unless the lines filled up meanwhile (a second check)."""
        key = self.new_key()
        call = PjCall(self, account, call_id, key, source, dialled=dialled)
        self._calls[key] = call
        prm = pj.CallOpParam()
        try:
            status = self.admission.recheck(source) or self._screen(call)
            if not status:
                self.admission.call_started(source)
                call.holds_line = True
            prm.statusCode = status or 200
        except Exception:  # never leave the INVITE at 100 Trying, holding a call slot
            _LOGGER.exception("deciding on an incoming call failed")
            prm.statusCode = status = 500
        if status:
            self._refusals.refused(source, status)
            call.hangup(prm)
        else:
            call.answer(prm)

    def _screen(self, call: PjCall) -> int:
        """The listener's say on a caller before answering (e.g. 603 for a blocked number); 0 answers."""
        screen = getattr(self.listener, "screen", None)
        if screen is None:
            return 0
        info = call.getInfo()
        number, _ = parse_party(str(info.remoteUri))
        called, _ = parse_party(str(info.localUri))
        return int(screen(number, called, str(info.callIdString), call.dialled))

    def call_media_changed(self, call: PjCall) -> None:
        """Wire the call's audio (to the application, or to the call it is bridged to); report a new call or
        an answered leg the first time."""
        info = call.getInfo()
        index = active_audio(info)
        if index is None:
            return
        if call.peer is not None:  # new media after a re-INVITE: wire it to the partner again
            self._bridge_media(call, self._calls.get(call.peer))
        elif not call.outgoing or call.started:
            self._attach(call, info, index)
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED and not call.failed:
            self._leg_answered(call, info, index)

    def call_confirmed(self, call: PjCall) -> None:
        """An outgoing leg got its 200 OK: report it once its media flows too (either may come first)."""
        if call.outgoing and not call.started:
            self.call_media_changed(call)

    def _attach(self, call: PjCall, info: Any, index: int) -> None:
        self._to_application(call, index)
        if not call.started:
            call.started = True
            self.listener.on_call_started(self._call_info(call, info, index))

    def _to_application(self, call: PjCall, index: int) -> None:
        audio = call.getAudioMedia(index)
        if call.bridge is None:
            key = call.key
            call.bridge = self._bridges.take(call.playout, lambda frame: self.listener.on_audio(key, frame))
        connect(audio, call.bridge)

    def _leg_answered(self, call: PjCall, info: Any, index: int) -> None:
        call.started = True
        _LOGGER.info("call %s answered", call.key)
        if call.transfer_of is not None:
            self._desk.leg_answered(call.transfer_of, call.key)
            return
        self._to_application(call, index)
        self.listener.on_leg_answered(self._call_info(call, info, index))

    def _call_info(self, call: PjCall, info: Any, index: int) -> CallInfo:
        number, name = parse_party(str(info.remoteUri))
        called, _ = parse_party(str(info.localUri))
        codec = str(call.getStreamInfo(index).codecName)
        control = LineControl(self, call.key, call.playout)
        return CallInfo(call.key, number, name, called, str(info.callIdString), call.source, codec, control,
                        call.outgoing, call.dialled)

    def call_disconnected(self, call: PjCall, status: int, reason: str) -> None:
        """Forget a finished call (and hang up the call bridged to it). Its last reference goes when this
        callback returns, not later: destroying a pjsua2 Call after PJSIP gave its slot to a new INVITE would
        hang up the new call."""
        if self._calls.get(call.key) is call:
            del self._calls[call.key]
        if call.holds_line:
            call.holds_line = False
            if call.outgoing:
                self.admission.leg_ended()
            else:
                self.admission.call_ended(call.source)
        if call.outgoing and not call.started and not call.failed:
            self._leg_failed(call, status, reason)
        self._desk.call_ended(call.key)
        if call.peer is not None:
            _LOGGER.info("call %s ended: hanging up %s, bridged to it", call.key, call.peer)
            self.hangup(call.peer)
            call.peer = None
        self._report_ended(call, f"{status} {reason}")
        if call.bridge is not None:
            self._bridges.give_back(call.bridge)
            call.bridge = None

    def _leg_failed(self, call: PjCall, status: int, reason: str) -> None:
        call.failed = True
        _LOGGER.info("call %s not answered: %s %s", call.key, status, reason)
        if call.transfer_of is not None:
            self._desk.leg_failed(call.transfer_of, call.key, status)
        else:
            self.listener.on_leg_failed(call.key, status, reason)

    def _report_ended(self, call: PjCall, reason: str) -> None:
        if not call.ended:
            call.ended = True
            if call.transfer_of is None:  # a transfer's own leg is reported through on_transfer_result
                self.listener.on_call_ended(call.key, reason)

    def transfer_progress(self, call: PjCall, status: int, reason: str, final: bool) -> bool:
        """The REFER's final response or a NOTIFY; returns whether to keep the subscription."""
        _LOGGER.info("call %s: transfer %s %s%s", call.key, status, reason, " (final)" if final else "")
        return self._desk.progress(call.key, status, final)

    def _hangup(self, key: str) -> None:
        call = self._calls.get(key)
        if call is not None:
            if call.outgoing and not call.started and not call.failed:
                self._leg_failed(call, 487, "cancelled")  # we gave up on it before an answer
            prm = pj.CallOpParam()
            prm.statusCode = 200
            call.hangup(prm)

    def _transfer(self, key: str, target: str, ring_timeout_s: float, bridge_if_refused: bool) -> None:
        call = self._calls.get(key)
        if call is not None:  # a call already gone gets no result: on_call_ended said it
            self._desk.begin(key, transfer_uri(target, call.source), ring_timeout_s, bridge_if_refused)

    def refer_now(self, key: str, uri: str) -> bool:
        """Send a REFER (PJSIP thread); False if it could not be sent."""
        call = self._calls.get(key)
        if call is None:
            return False
        try:
            call.xfer(uri, pj.CallOpParam(True))
        except pj.Error as exc:
            _LOGGER.warning("call %s: cannot send the REFER: %s", key, exc.info())
            return False
        return True

    def dial_now(self, key: str, uri: str, ring_timeout_s: float, transfer_of: str | None) -> None:
        """Place an outgoing call (PJSIP thread); `transfer_of` marks a transfer's own fallback leg."""
        call = PjCall(self, self._accounts[0], pj.PJSUA_INVALID_ID, key, uri, outgoing=True)
        call.transfer_of = transfer_of
        self._calls[key] = call
        try:
            call.makeCall(uri, pj.CallOpParam(True))
        except pj.Error as exc:
            if self._calls.get(key) is call:
                del self._calls[key]
            if not call.failed:
                self._leg_failed(call, NOT_PLACED, f"not placed: {exc.reason}")
            self._report_ended(call, f"not placed: {exc.reason}")
            return
        self.admission.leg_started()
        call.holds_line = True
        self._timers.at(time.monotonic() + ring_timeout_s, lambda: self._ring_timeout(key))

    def _ring_timeout(self, key: str) -> None:
        call = self._calls.get(key)
        if call is not None and not call.started and not call.failed:
            self._leg_failed(call, NO_ANSWER, "no answer")
            self._hangup(key)

    def bridge_now(self, key_a: str, key_b: str) -> bool:
        """Bridge two calls (PJSIP thread); False if that cannot be done."""
        a, b = self._calls.get(key_a), self._calls.get(key_b)
        if a is None or b is None or a is b or a.peer is not None or b.peer is not None:
            _LOGGER.warning("cannot bridge %s and %s: a call is gone or already bridged", key_a, key_b)
            return False
        if not self._bridge_media(a, b):
            _LOGGER.warning("cannot bridge %s and %s: no active audio", key_a, key_b)
            return False
        a.peer, b.peer = key_b, key_a
        _LOGGER.info("calls %s and %s bridged", key_a, key_b)
        return True

    def _bridge_media(self, a: PjCall, b: PjCall | None) -> bool:
        """Connect the audio of a and b both ways, off the application's bridges."""
        media_a, media_b = a.audio(), None if b is None else b.audio()
        if b is None or media_a is None or media_b is None:
            return False
        for call, media in ((a, media_a), (b, media_b)):
            if call.bridge is not None:
                disconnect(media, call.bridge)
                self._bridges.give_back(call.bridge)
                call.bridge = None
        cross_connect(media_a, media_b)
        return True

    def _dtmf(self, key: str, digits: str) -> None:
        call = self._calls.get(key)
        if call is not None:
            call.dialDtmf(digits)

    def _shutdown(self) -> None:
        if self._calls:
            self._ep.hangupAllCalls()
            deadline = time.monotonic() + 3.0
            while self._calls and time.monotonic() < deadline:
                self._ep.libHandleEvents(20)
        self._destroy()

    def _destroy(self) -> None:
        """Drop every pjsua2 object before libDestroy(): one destroyed after it aborts the process."""
        self._timers.clear()
        while self._calls:  # no variable may keep a Call alive past libDestroy(); its run ends now, not at a timeout
            self._report_ended(self._calls[key := next(reversed(self._calls))], "shutdown")
            self._calls.pop(key).bridge = None
        self._bridges.destroy()
        gc.collect()
        if self._ep is not None:  # let the conference bridge finish the queued port removals
            self._ep.libHandleEvents(100)
        while self._accounts:
            self._accounts.pop().shutdown()
        gc.collect()
        if self._ep is not None:
            self._gate.unregister()
            self._ep.libDestroy()
            self._ep = None
        _LOGGER.info("SIP endpoint stopped")
