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
from sip.bridge import BridgePool, connect
from sip.calls import PjAccount, PjCall
from sip.config import EndpointConfig, SipError
from sip.control import LineControl
from sip.events import CallInfo, SipListener
from sip.gate import InviteGate, RefusalLog
from sip.lib import create_library, make_account_config
from sip.uri import SourceFilter, parse_party, transfer_uri

_LOGGER = logging.getLogger(__name__)
Command = Callable[[], None]


class SipEndpoint:
    """Answers calls from allowed sources and bridges their audio to a SipListener."""

    def __init__(self, config: EndpointConfig, listener: SipListener) -> None:
        self.config = config
        self.listener = listener
        self.admission = Admission(config.limits, SourceFilter(list(config.allowed_sources)), time.monotonic())
        self._refusals = RefusalLog()
        self._gate = InviteGate(self.admission.decide, self._refusals.refused)
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._error: SipError | None = None
        self._thread = threading.Thread(target=self._run, name="pjsip", daemon=True)
        self._keys = itertools.count(1)
        self._calls: dict[str, PjCall] = {}
        self._bridges = BridgePool()
        self._accounts: list[PjAccount] = []
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
        """Hang up a call (from any thread)."""
        self._commands.put(lambda: self._hangup(key))

    def transfer(self, key: str, target: str) -> None:
        """Blind-transfer a call (SIP REFER) to a SIP URI, or to a number at the peer that sent the call.
        Raises ValueError for a target that is neither."""
        transfer_uri(target, "peer")  # a bad target fails here, in the asking thread
        self._commands.put(lambda: self._transfer(key, target))

    def dial(self, uri: str) -> str:
        """Place an outgoing call (test callers and transfers only); returns its key."""
        key = f"c{next(self._keys)}"
        self._commands.put(lambda: self._dial(key, uri))
        return key

    def send_dtmf(self, key: str, digits: str) -> None:
        """Send key presses on a call (RFC 4733)."""
        self._commands.put(lambda: self._dtmf(key, digits))

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

    def incoming_call(self, account: PjAccount, call_id: int, source: str) -> None:
        """Answer an INVITE the gate let through, unless the lines filled up meanwhile (a second check)."""
        key = f"c{next(self._keys)}"
        call = PjCall(self, account, call_id, key, source)
        self._calls[key] = call
        prm = pj.CallOpParam()
        try:
            status = self.admission.recheck(source)
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

    def call_media_changed(self, call: PjCall) -> None:
        """Wire the call's audio to its bridge; tell the listener the first time."""
        info = call.getInfo()
        media = info.media
        for mi in media:
            if mi.type == pj.PJMEDIA_TYPE_AUDIO and mi.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self._attach(call, info, mi.index)
                return

    def _attach(self, call: PjCall, info: Any, index: int) -> None:
        audio = call.getAudioMedia(index)
        if call.bridge is None:
            key = call.key
            call.bridge = self._bridges.take(call.playout, lambda frame: self.listener.on_audio(key, frame))
        connect(audio, call.bridge)
        if not call.started:
            call.started = True
            self.listener.on_call_started(self._call_info(call, info, index))

    def _call_info(self, call: PjCall, info: Any, index: int) -> CallInfo:
        number, name = parse_party(str(info.remoteUri))
        called, _ = parse_party(str(info.localUri))
        codec = str(call.getStreamInfo(index).codecName)
        control = LineControl(self, call.key, call.playout)
        return CallInfo(call.key, number, name, called, str(info.callIdString), call.source, codec, control)

    def call_disconnected(self, call: PjCall, reason: str) -> None:
        """Forget a finished call. Its last reference goes when this callback returns, not later: destroying a
        pjsua2 Call after PJSIP gave its slot to a new INVITE would hang up the new call."""
        self._calls.pop(call.key, None)
        if call.holds_line:
            call.holds_line = False
            self.admission.call_ended(call.source)
        self.listener.on_call_ended(call.key, reason)
        if call.bridge is not None:
            self._bridges.give_back(call.bridge)
            call.bridge = None

    def _hangup(self, key: str) -> None:
        call = self._calls.get(key)
        if call is not None:
            prm = pj.CallOpParam()
            prm.statusCode = 200
            call.hangup(prm)

    def _transfer(self, key: str, target: str) -> None:
        call = self._calls.get(key)
        if call is not None:
            call.xfer(transfer_uri(target, call.source), pj.CallOpParam(True))

    def _dial(self, key: str, uri: str) -> None:
        call = PjCall(self, self._accounts[0], pj.PJSUA_INVALID_ID, key, uri)
        self._calls[key] = call
        try:
            call.makeCall(uri, pj.CallOpParam(True))
        except pj.Error as exc:
            self._calls.pop(key, None)
            self.listener.on_call_ended(key, f"not placed: {exc.reason}")

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
        while self._calls:  # no loop variable may keep a Call alive past libDestroy()
            self._calls.popitem()[1].bridge = None
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
