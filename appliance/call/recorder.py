"""Recording a call: both sides' frames as they pass, turned into a stereo WAV when the call ends."""

from __future__ import annotations

import io
import wave

import numpy as np

from sip.media import FRAME_BYTES, SAMPLE_RATE


class CallRecorder:
    """Collects one call's audio; appended to from PJSIP threads (list appends are atomic)."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.sent: list[bytes] = []

    def wav(self) -> bytes:
        """The call as a 16 kHz stereo WAV (caller left, receptionist right)."""
        frames = min(len(self.received), len(self.sent))
        left = np.frombuffer(b"".join(self.received[:frames]), dtype="<i2")
        right = np.frombuffer(b"".join(self.sent[:frames]), dtype="<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())
        return buffer.getvalue()

    @property
    def seconds(self) -> float:
        """How much audio was recorded."""
        return min(len(self.received), len(self.sent)) * FRAME_BYTES / 2 / SAMPLE_RATE
