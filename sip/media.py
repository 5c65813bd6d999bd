"""The audio bridge between a call and the application: 20 ms PCM16 frames in and out."""

from __future__ import annotations

import threading
import time
from collections import deque

SAMPLE_RATE = 16000
FRAME_SAMPLES = 320
FRAME_BYTES = FRAME_SAMPLES * 2
SILENCE = bytes(FRAME_BYTES)
RECENT_FRAMES = 35  # what a queue remembers having played (700 ms): the reference that tells echo from a caller


class FrameQueue:
    """Frames waiting to be played to the caller; the media thread pops one every 20 ms."""

    def __init__(self) -> None:
        self._frames: deque[bytes] = deque()
        self._lock = threading.Lock()
        self.sent = 0
        self.last_sent_at = 0.0
        self.sent_log: list[bytes] | None = None  # when a list: every frame sent, silence included
        self.recent: deque[bytes] = deque([SILENCE] * RECENT_FRAMES, maxlen=RECENT_FRAMES)  # sent, oldest first

    def extend(self, frames: list[bytes]) -> None:
        """Queue frames for playout (each exactly FRAME_BYTES)."""
        with self._lock:
            self._frames.extend(frames)

    def clear(self) -> int:
        """Drop everything queued (barge-in); return how many frames were dropped."""
        with self._lock:
            dropped = len(self._frames)
            self._frames.clear()
            return dropped

    def pop(self) -> bytes | None:
        """The next frame, or None when nothing is queued."""
        with self._lock:
            frame = self._frames.popleft() if self._frames else None
        self.recent.append(SILENCE if frame is None else frame)
        if self.sent_log is not None:
            self.sent_log.append(SILENCE if frame is None else frame)
        if frame is not None:
            self.sent += 1
            self.last_sent_at = time.monotonic()
        return frame

    def __len__(self) -> int:
        return len(self._frames)
