"""The pjsua2 audio port that connects one call to the application's frame queues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pjsua2 as pj

from sip.media import FRAME_BYTES, SAMPLE_RATE, SILENCE, FrameQueue


class FrameBridge(pj.AudioMediaPort):  # type: ignore[misc]
    """Callbacks run on PJSIP's media clock thread every 20 ms, so they only copy bytes."""

    def __init__(self, name: str, playout: FrameQueue, on_frame: Callable[[bytes], None]) -> None:
        super().__init__()
        self._playout = playout
        self._on_frame = on_frame
        self._silence = pj.ByteVector(SILENCE)
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, SAMPLE_RATE, 1, 20000, 16)
        self.createPort(name, fmt)

    def onFrameRequested(self, frame: Any) -> None:
        """Hand PJSIP the next queued frame, or silence."""
        data = self._playout.pop()
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = self._silence if data is None else pj.ByteVector(data)
        frame.size = FRAME_BYTES

    def onFrameReceived(self, frame: Any) -> None:
        """Pass one received caller frame on."""
        if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO and frame.size == FRAME_BYTES:
            self._on_frame(bytes(frame.buf))


def connect(call_media: Any, bridge: FrameBridge) -> None:
    """Connect a call's audio both ways to the bridge (idempotent)."""
    call_media.startTransmit(bridge)
    bridge.startTransmit(call_media)
