"""The PJSIP (pjsua2) endpoint: accounts, calls, 20 ms media frames, DTMF. Knows nothing of AI."""

from sip.events import CallInfo, SipListener
from sip.media import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, FrameQueue

__all__ = ["FRAME_BYTES", "FRAME_SAMPLES", "SAMPLE_RATE", "CallInfo", "FrameQueue", "SipListener"]
