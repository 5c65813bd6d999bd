"""Speech and language engines behind narrow interfaces: transcribe, stream chat, synthesize."""

import os

# Nothing leaves the box: onnxruntime (under Piper's voice and Whisper's VAD) sends usage telemetry to
# Microsoft from version 1.29 on Linux unless this is set before it starts (tests/e2e/test_zero_egress.py).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

from models.chat import ChatMessage, ChatModel
from models.defaults import default_llm_model, default_voice_model, default_whisper_model
from models.errors import ModelError
from models.registry import ModelRegistry, shared_registry
from models.synthesizer import Synthesizer
from models.transcriber import Transcriber

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ModelError",
    "ModelRegistry",
    "Synthesizer",
    "Transcriber",
    "default_llm_model",
    "default_voice_model",
    "default_whisper_model",
    "shared_registry",
]
