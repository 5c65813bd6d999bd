"""A PJSIP module that ignores strangers and refuses unwanted INVITEs statelessly, before PJSIP sets up media.

pjsua opens a call's RTP and RTCP sockets before `onIncomingCall` reaches Python, so a refusal made there
still costs two sockets of PJSIP's fixed socket table, reusable only ~500 ms after they close; a burst of
refused INVITEs used to exhaust the table and abort the process. This module sits just before pjsua's own
(priority 63 < 64) and sees only requests outside a dialog (the dialog layer takes the others first). A request
the `Admission` policy does not welcome (from outside allowed_sources and trunk_sources, or sent by a scanning
tool) gets no answer at all, whatever its method: a scanner's OPTIONS, REGISTER or INVITE learns nothing, not
even that a SIP device listens, and a forged source address gets no reflected reply. Other INVITEs get the
policy's decision: on to pjsua, or 486/503 without a transaction, a call slot or a socket.

pjsua2's Python API has no way to register a module, but the wheel exports pjsip's C functions, so the module
is a ctypes structure. The few fields of `pjsip_rx_data` it reads follow pjproject 2.15's layout with the
default PJSIP_MAX_PKT_LEN; every request checks that layout against `pjsip_rx_data_get_info`, and on a
mismatch the gate stands aside (the endpoint's own check in `onIncomingCall` still refuses).
"""

from __future__ import annotations

import ctypes
import logging
import time
from ctypes import CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int, c_long, c_ssize_t, c_uint32, c_void_p

import pjsua2

from sip.admission import Admission, is_scanner, user_agent
from sip.config import SipError
from sip.uri import source_ip

_LOGGER = logging.getLogger(__name__)
_PRIORITY = 63  # PJSIP_MOD_PRIORITY_APPLICATION - 1: after the dialog layer, before pjsua
_MAX_PKT_LEN = 4000  # PJSIP_MAX_PKT_LEN in pjproject's default config (the wheel's)
_INVITE = 0  # PJSIP_INVITE_METHOD
_REQUEST = 0  # PJSIP_REQUEST_MSG
_REASONS = {403: b"Forbidden", 486: b"Busy Here", 503: b"Service Unavailable"}


class _PjStr(Structure):
    _fields_ = [("ptr", c_char_p), ("slen", c_ssize_t)]


_RX = CFUNCTYPE(c_int, c_void_p)


class _Module(Structure):
    _fields_ = [("prev", c_void_p), ("next", c_void_p), ("name", _PjStr), ("id", c_int), ("priority", c_int),
                ("load", c_void_p), ("start", c_void_p), ("stop", c_void_p), ("unload", c_void_p),
                ("on_rx_request", _RX), ("on_rx_response", c_void_p), ("on_tx_request", c_void_p),
                ("on_tx_response", c_void_p), ("on_tsx_state", c_void_p)]


class _TpInfo(Structure):  # pool, transport, tp_data, pjsip_rx_data_op_key {pj_ioqueue_op_key_t, rdata}
    _fields_ = [("pool", c_void_p), ("transport", c_void_p), ("tp_data", c_void_p),
                ("op_key", c_void_p * 34), ("rdata", c_void_p)]


class _PktInfo(Structure):
    _fields_ = [("sec", c_long), ("msec", c_long), ("packet", c_char * _MAX_PKT_LEN), ("zero", c_uint32),
                ("len", c_ssize_t), ("src_addr", c_uint32 * 7), ("src_addr_len", c_int),
                ("src_name", c_char * 46), ("src_port", c_int)]


class _MsgInfo(Structure):  # only the leading fields the gate reads
    _fields_ = [("msg_buf", c_void_p), ("len", c_int), ("msg", c_void_p), ("info", c_void_p)]


class _RxData(Structure):
    _fields_ = [("tp_info", _TpInfo), ("pkt_info", _PktInfo), ("msg_info", _MsgInfo)]


class _Method(Structure):  # pjsip_method: its id, then its name (a pj_str_t, so the struct is 8-byte aligned)
    _fields_ = [("id", c_int), ("name", _PjStr)]


class _Msg(Structure):  # pjsip_msg: type, then the request line, which starts with the method
    _fields_ = [("type", c_int), ("method", _Method)]


def _library() -> ctypes.CDLL:
    lib = ctypes.CDLL(pjsua2._pjsua2.__file__)
    lib.pjsua_get_pjsip_endpt.restype = c_void_p
    lib.pjsip_endpt_register_module.argtypes = [c_void_p, c_void_p]
    lib.pjsip_endpt_unregister_module.argtypes = [c_void_p, c_void_p]
    lib.pjsip_rx_data_get_info.restype = c_void_p
    lib.pjsip_rx_data_get_info.argtypes = [c_void_p]
    lib.pjsip_endpt_respond_stateless.argtypes = [c_void_p, c_void_p, c_int, POINTER(_PjStr), c_void_p, c_void_p]
    return lib


class InviteGate:
    """Registers the module on the running pjsua library; it may run on any PJSIP thread."""

    def __init__(self, admission: Admission, log: RefusalLog) -> None:
        self._admission, self._log = admission, log
        self._lib = _library()
        self._endpt: int | None = None
        self._name = ctypes.create_string_buffer(b"mod-receptionist-gate")
        self._callback = _RX(self._on_rx_request)  # kept referenced: PJSIP holds only the C pointer
        self._module = _Module(name=_PjStr(ctypes.cast(self._name, c_char_p), len(self._name.value)),
                               id=-1, priority=_PRIORITY, on_rx_request=self._callback)
        self._reasons = {code: _PjStr(text, len(text)) for code, text in _REASONS.items()}
        self._layout_ok = True
        self.refusals = 0
        self.ignored = 0

    def register(self) -> None:
        """Insert the module into PJSIP (after libInit, on the thread that owns the library)."""
        endpt = self._lib.pjsua_get_pjsip_endpt()
        status = self._lib.pjsip_endpt_register_module(endpt, ctypes.byref(self._module))
        if status != 0:
            raise SipError(f"cannot install the INVITE gate in PJSIP (status {status}); reinstall the "
                           "pjsua2-python wheel with scripts/setup.sh")
        self._endpt = endpt

    def unregister(self) -> None:
        """Take the module out again (before libDestroy)."""
        if self._endpt is not None:
            self._lib.pjsip_endpt_unregister_module(self._endpt, ctypes.byref(self._module))
            self._endpt = None

    def _on_rx_request(self, rdata: int) -> int:
        try:
            request = self._request(rdata)
            if request is None:
                return 0
            method, source, agent = request
            if not self._admission.welcomes(source, agent):
                self.ignored += 1
                self._log.ignored(source, is_scanner(agent))
                return 1  # taken, and never answered
            status = self._admission.decide(source, time.monotonic()) if method == _INVITE else 0
            if not status:
                return 0
            self._respond(rdata, status)
            self.refusals += 1
            self._log.refused(source, status)
            return 1
        except Exception:  # an exception must never cross into C: let pjsua handle the request instead
            _LOGGER.exception("the INVITE gate failed; the request goes on to PJSIP")
            return 0

    def _request(self, rdata: int) -> tuple[int, str, str] | None:
        """(method id, 'ip:port', User-Agent) of a request outside a dialog, or None for a response (or if the
        layout is off)."""
        rx = _RxData.from_address(rdata)
        info = self._lib.pjsip_rx_data_get_info(rdata)
        if not self._layout_ok or info != rx.msg_info.info or not rx.msg_info.msg:
            self._layout_mismatch()
            return None
        msg = _Msg.from_address(rx.msg_info.msg)
        if msg.type != _REQUEST:
            return None
        host = rx.pkt_info.src_name.decode("ascii", "replace")
        port = rx.pkt_info.src_port
        size = min(max(rx.msg_info.len, 0), _MAX_PKT_LEN)
        agent = user_agent(ctypes.string_at(rx.msg_info.msg_buf, size)) if rx.msg_info.msg_buf else ""
        return msg.method.id, f"[{host}]:{port}" if ":" in host else f"{host}:{port}", agent

    def _respond(self, rdata: int, status: int) -> None:
        reason = self._reasons.get(status)
        self._lib.pjsip_endpt_respond_stateless(self._endpt, rdata, status,
                                                ctypes.byref(reason) if reason else None, None, None)

    def _layout_mismatch(self) -> None:
        if self._layout_ok:
            self._layout_ok = False
            _LOGGER.error("this PJSIP build's rx_data layout is not the expected one: strangers' requests are "
                          "now answered and excess INVITEs refused after media set-up; use the pjsua2-python "
                          "wheel the project pins")


class RefusalLog:
    """Logs refused calls and ignored requests without flooding the log: the first per source and code, then a
    count every 10 s."""

    def __init__(self, every_s: float = 10.0) -> None:
        self._every = every_s
        self._seen: dict[tuple[str, int], tuple[float, int]] = {}

    def refused(self, source: str, status: int) -> None:
        """Note one refused call (any thread)."""
        ip = source_ip(source)
        held = self._due((ip, status))
        if held is not None:
            _LOGGER.warning("refused call from %s with %s%s", ip, status, _more(held))

    def ignored(self, source: str, scanner: bool) -> None:
        """Note one request left unanswered: sent by a scanning tool, or its source is not allowed (any thread)."""
        ip = source_ip(source)
        held = self._due((ip, 1 if scanner else 0))
        if held is None:
            return
        if scanner:
            _LOGGER.warning("ignored SIP requests from %s: a SIP scanning tool (its User-Agent says so); look for "
                            "what scans from that address%s", ip, _more(held))
        else:
            _LOGGER.warning("ignored SIP requests from %s, which is not in [sip] allowed_sources or trunk_sources "
                            "(add it there if it is your PBX, trunk or phone)%s", ip, _more(held))

    def _due(self, key: tuple[str, int]) -> int | None:
        """None while this key was logged less than 10 s ago (counted), else how many were held back."""
        now = time.monotonic()
        logged_at, held = self._seen.get(key, (-self._every, 0))
        if now - logged_at < self._every:
            self._seen[key] = (logged_at, held + 1)
            return None
        if len(self._seen) > 1024:
            self._seen.clear()
        self._seen[key] = (now, 0)
        return held


def _more(held: int) -> str:
    return f" ({held} more since the last note)" if held else ""

