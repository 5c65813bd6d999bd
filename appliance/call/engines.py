"""The shared models, taken in turn by all calls: blocking inference runs in worker threads, one at a time
per model, in arrival order (asyncio locks are FIFO), so concurrent calls share the box fairly."""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
from collections.abc import AsyncGenerator
from dataclasses import dataclass

import numpy as np

from appliance.call.audio import Pcm, resample
from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode
from models import ChatMessage, ChatModel, ModelError, ModelRegistry, Synthesizer, Transcriber

_LOGGER = logging.getLogger(__name__)
_DONE = object()


@dataclass
class Engines:
    """The three engines of the appliance and a lock for each."""

    transcriber: Transcriber
    chat: ChatModel
    synthesizer: Synthesizer

    def __post_init__(self) -> None:
        self._stt_lock = asyncio.Lock()
        self._llm_lock = asyncio.Lock()
        self._tts_lock = asyncio.Lock()

    def with_voice(self, synthesizer: Synthesizer) -> Engines:
        """The same speech recognition and LLM (and their locks: one model, one user at a time) with another
        voice, for a brand that has its own."""
        other = copy.copy(self)
        other.synthesizer = synthesizer
        other._tts_lock = asyncio.Lock()
        return other

    async def transcribe(self, pcm: Pcm, prompt: str | None = None) -> str:
        """Text of one 16 kHz utterance."""
        audio = pcm.astype(np.float32) / 32768.0
        async with self._stt_lock:
            return await asyncio.to_thread(self.transcriber.transcribe, audio, 16000, initial_prompt=prompt)

    async def synthesize(self, text: str, rate: int = 16000) -> Pcm:
        """Speech for one sentence, at the given sample rate."""
        async with self._tts_lock:
            pcm = await asyncio.to_thread(self.synthesizer.synthesize, text)
        return resample(pcm, self.synthesizer.sample_rate, rate)

    async def stream_chat(self, messages: list[ChatMessage], max_tokens: int = 56) -> AsyncGenerator[str, None]:
        """Pieces of the LLM's reply as they are generated; closing the iterator stops generation."""
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()

        def produce() -> None:
            try:
                for piece in self.chat.stream(messages, max_tokens=max_tokens, should_stop=stop.is_set):
                    loop.call_soon_threadsafe(pieces.put_nowait, piece)
            except Exception as exc:  # handed to the consumer, which raises it at its boundary
                loop.call_soon_threadsafe(pieces.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(pieces.put_nowait, _DONE)

        await self._llm_lock.acquire()
        worker = asyncio.ensure_future(asyncio.to_thread(produce))
        # The next call's turn comes once this reply is written, not once it has been spoken.
        worker.add_done_callback(lambda _: self._llm_lock.release())
        try:
            while (item := await pieces.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                yield str(item)
        finally:
            stop.set()
            await asyncio.shield(worker)


def load_engines(settings: Settings, registry: ModelRegistry) -> Engines:
    """Load (once per process) the three models named in the config, or the embedded defaults; a load error
    names the config key that chose the file."""
    m = settings.models
    try:
        return Engines(
            registry.transcriber(m.whisper, device=m.whisper_device, language=m.whisper_language or None,
                                 config_key="models.whisper"),
            registry.chat(m.llm, n_ctx=m.llm_context, n_gpu_layers=m.llm_gpu_layers, config_key="models.llm"),
            registry.synthesizer(m.voice, m.voice_config, config_key="models.voice"),
        )
    except ModelError as exc:
        raise ApplianceError(str(exc), code=ErrorCode.MODEL) from exc
