"""Gaps in the appliance's outgoing audio as the caller's host receives it: a raw socket on the loopback
interface (root only) timestamps every RTP packet in the kernel, and each stream's longest pause between two
packets is what the caller's jitter buffer had to hide. Packets leave every 20 ms; a gap over 40 ms is one the
caller may hear."""

from __future__ import annotations

import socket
import struct
import threading
from collections import defaultdict
from dataclasses import dataclass, field

_ETH_P_ALL = 0x0003
_SO_TIMESTAMPNS = 35
_ETHERNET = 14
_UDP = 17
_RTP_VERSION = 2
_AUDIO_TYPES = {0, 8, 9}  # PCMU, PCMA, G722: not telephone events, not RTCP
GAP_MS = 40.0


@dataclass
class StreamGaps:
    """One stream's packets: how many, the longest pause and the pauses over GAP_MS."""

    packets: int = 0
    longest_ms: float = 0.0
    over: int = 0
    last: float | None = field(default=None, repr=False)

    def add(self, at: float) -> None:
        """Count a packet that arrived at `at` (seconds)."""
        if self.last is not None:
            gap = (at - self.last) * 1000.0
            self.longest_ms = max(self.longest_ms, gap)
            self.over += gap > GAP_MS
        self.last, self.packets = at, self.packets + 1


def audio_stream(frame: bytes, from_ports: range) -> tuple[int, int] | None:
    """The (source port, destination port) of an RTP audio packet sent from `from_ports`, else None."""
    ip = frame[_ETHERNET:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != _UDP:
        return None
    header = (ip[0] & 0x0F) * 4
    if len(ip) < header + 8 + 12:
        return None
    source, destination = struct.unpack_from("!HH", ip, header)
    rtp = ip[header + 8:]
    if source not in from_ports or rtp[0] >> 6 != _RTP_VERSION or rtp[1] & 0x7F not in _AUDIO_TYPES:
        return None
    return source, destination


class GapWatch:
    """Watches the loopback interface for RTP sent from the appliance's ports while it runs (a context manager)."""

    def __init__(self, from_ports: range) -> None:
        self.from_ports = from_ports
        self.streams: dict[tuple[int, int], StreamGaps] = defaultdict(StreamGaps)
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, name="rtp-gaps", daemon=True)

    def __enter__(self) -> GapWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, ancillary, _flags, address = self._sock.recvmsg(2048, 64)
            except TimeoutError:
                continue
            if address[2] == socket.PACKET_OUTGOING:  # loopback shows each packet twice: count it once
                continue
            stream = audio_stream(frame, self.from_ports)
            if stream is not None and ancillary:
                seconds, nanoseconds = struct.unpack("qq", ancillary[0][2][:16])
                self.streams[stream].add(seconds + nanoseconds / 1e9)

    def summary(self) -> str:
        """The streams' longest gap and how many gaps were over GAP_MS."""
        heard = [s for s in self.streams.values() if s.packets > 50]
        if not heard:
            return "outgoing audio gaps: no stream seen"
        longest = max(s.longest_ms for s in heard)
        over = sum(s.over for s in heard)
        packets = sum(s.packets for s in heard)
        return (f"outgoing audio gaps (at the caller, {len(heard)} streams, {packets} packets): longest "
                f"{longest:.0f} ms, {over} over {GAP_MS:.0f} ms")


def available() -> bool:
    """Whether this process may open a raw socket (root, or CAP_NET_RAW)."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL)).close()
    except (PermissionError, OSError):
        return False
    return True
