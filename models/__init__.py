"""Speech and language engines behind narrow interfaces: transcribe, stream chat, synthesize."""

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
