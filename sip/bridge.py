"""The pjsua2 audio ports that connect calls to the application's frame queues.

pjsua2-python 2.15.1 frees an AudioMediaPort's memory while the (asynchronous) conference bridge may still
remove it, a use-after-free that corrupts the heap when calls come and go (pjproject #4200). So bridges are
never destroyed while the endpoint runs: a finished call's bridge is detached and kept for the next call, and
the pool is destroyed once, at shutdown, with no calls left.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from sip.media import FRAME_BYTES, SAMPLE_RATE, SILENCE, FrameQueue

FrameSink = Callable[[bytes], None]


class FrameBridge(pj.AudioMediaPort):  # type: ignore[misc]
    """Callbacks run on PJSIP's media clock thread every 20 ms, so they only copy bytes."""

    # Class-level defaults: while a bridge is deallocated at shutdown, Python clears its instance attributes
    # before the C++ port leaves the conference bridge, and a media-clock callback in that window must find
    # "serve nobody" instead of raising AttributeError.
    _playout: FrameQueue | None = None
    _on_frame: FrameSink | None = None
    _silence = pj.ByteVector(SILENCE)

    def __init__(self, name: str) -> None:
        super().__init__()
        self._playout = None
        self._on_frame = None
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, SAMPLE_RATE, 1, 20000, 16)
        self.createPort(name, fmt)

    def attach(self, playout: FrameQueue, on_frame: FrameSink) -> None:
        """Serve one call: play from its queue, hand its frames to on_frame."""
        self._playout, self._on_frame = playout, on_frame

    def detach(self) -> None:
        """Serve nobody: play silence, drop received frames."""
        self._playout = self._on_frame = None

    def onFrameRequested(self, frame: Any) -> None:
        """Hand PJSIP the next queued frame, or silence."""
        playout = self._playout
        data = playout.pop() if playout is not None else None
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = self._silence if data is None else pj.ByteVector(data)
        frame.size = FRAME_BYTES

    def onFrameReceived(self, frame: Any) -> None:
        """Pass one received caller frame on."""
        on_frame = self._on_frame
        if on_frame is not None and frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size == FRAME_BYTES:
            on_frame(bytes(frame.buf))


class BridgePool:
    """Bridges kept for reuse; used only on the PJSIP thread."""

    def __init__(self) -> None:
        self._free: list[FrameBridge] = []
        self._all: list[FrameBridge] = []
        self._names = itertools.count(1)

    def take(self, playout: FrameQueue, on_frame: FrameSink) -> FrameBridge:
        """A detached bridge (or a new one) attached to a call's queues."""
        if not self._free:
            bridge = FrameBridge(f"bridge{next(self._names)}")
            self._all.append(bridge)
            self._free.append(bridge)
        bridge = self._free.pop()
        bridge.attach(playout, on_frame)
        return bridge

    def give_back(self, bridge: FrameBridge) -> None:
        """Detach a finished call's bridge and keep it for the next call."""
        bridge.detach()
        self._free.append(bridge)

    def destroy(self) -> None:
        """Drop every bridge (only at shutdown, before libDestroy)."""
        self._free.clear()
        self._all.clear()


def connect(call_media: Any, bridge: FrameBridge) -> None:
    """Connect a call's audio both ways to the bridge (idempotent)."""
    call_media.startTransmit(bridge)
    bridge.startTransmit(call_media)


def disconnect(call_media: Any, bridge: FrameBridge) -> None:
    """Take a call's audio off the bridge, both ways."""
    call_media.stopTransmit(bridge)
    bridge.stopTransmit(call_media)


def cross_connect(media_a: Any, media_b: Any) -> None:
    """Let two calls hear each other directly (idempotent)."""
    media_a.startTransmit(media_b)
    media_b.startTransmit(media_a)
