"""The shared models, taken in turn by all calls: blocking inference runs in worker threads, one at a time
per model, in arrival order (asyncio locks and queues are FIFO), so concurrent calls share the box fairly.

The LLM may come as a pool of copies (`spare_chats`), each with its own context and threads: a reply written
for one call then never waits behind the whole of another call's reply. On a 2-core box one llama.cpp copy on
two threads, sharing the cores with speech recognition and the voice, loses most of its time at the threads'
barriers (bench: 56 tokens in 7 s against 1.5 s on one thread); one-thread copies do not. With a copy per line,
four calls answered by the LLM at once reached a p95 of 1.6 s, against 2.4 s with two copies (bench.latency)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import threading
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from appliance.call.audio import Pcm, resample
from appliance.call.unloaded import ModelFault, chats_or_standin, transcriber_or_standin, voice_or_default
from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode, StageError
from models import ChatMessage, ChatModel, ModelError, ModelRegistry, Synthesizer, Transcriber, default_llm_model

_LOGGER = logging.getLogger(__name__)
_DONE = object()
LLM_STALL_S = 10.0  # the LLM wrote nothing for this long: the reply fails (a call's own deadline is usually sooner)
STOP_WAIT_S = 1.0  # a closed reply stream waits this long for its worker to notice that it should stop


@dataclass
class _LlmCopies:
    """The LLM's copies free to take, shared by every brand's engines, and those stuck on a reply nobody waits
    for any more (monotonic time since, by copy)."""

    copies: tuple[ChatModel, ...]
    free: asyncio.Queue[ChatModel] = field(default_factory=asyncio.Queue)
    stuck: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for chat in self.copies:
            self.free.put_nowait(chat)

    def stuck_s(self) -> float | None:
        """How long the longest-stuck copy has been stuck (None: no copy is)."""
        return time.monotonic() - min(self.stuck.values()) if self.stuck else None


@dataclass
class Engines:
    """The three engines of the appliance, a lock for each, and the LLM's copies free to take."""

    transcriber: Transcriber
    chat: ChatModel
    synthesizer: Synthesizer
    spare_chats: tuple[ChatModel, ...] = ()
    faults: tuple[ModelFault, ...] = ()  # models that did not load at the start, and what calls get instead

    def __post_init__(self) -> None:
        self._stt_lock = asyncio.Lock()
        self._llm = _LlmCopies((self.chat, *self.spare_chats))
        self._tts_lock = asyncio.Lock()

    @property
    def deaf(self) -> bool:
        """Whether the speech-to-text did not load at the start (no caller's words can be heard)."""
        return any(fault.key == "models.whisper" for fault in self.faults)

    def warm(self, system_prompt: str) -> None:
        """Evaluate a system prompt in every copy of the LLM (blocking: run it in a worker thread)."""
        for chat in self._llm.copies:
            chat.warm(system_prompt)

    def with_voice(self, synthesizer: Synthesizer) -> Engines:
        """The same speech recognition and LLM (and their locks: one model, one user at a time) with another
        voice, for a brand that has its own."""
        other = copy.copy(self)
        other.synthesizer = synthesizer
        other._tts_lock = asyncio.Lock()
        return other

    async def transcribe(self, pcm: Pcm, prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        """Text of one 16 kHz utterance; `prompt` primes the speech-to-text, `terms` are the business's words."""
        audio = pcm.astype(np.float32) / 32768.0
        async with self._stt_lock:
            return await asyncio.to_thread(self.transcriber.transcribe, audio, 16000, initial_prompt=prompt,
                                           terms=terms)

    async def synthesize(self, text: str, rate: int = 16000) -> Pcm:
        """Speech for one sentence, at the given sample rate."""
        async with self._tts_lock:
            pcm = await asyncio.to_thread(self.synthesizer.synthesize, text)
        return resample(pcm, self.synthesizer.sample_rate, rate)

    async def stream_chat(self, messages: list[ChatMessage], max_tokens: int = 56) -> AsyncGenerator[str, None]:
        """Pieces of the LLM's reply as they are generated; closing the iterator stops generation.

        A copy that writes nothing for LLM_STALL_S fails the reply (StageError). A closed stream whose worker does
        not stop within STOP_WAIT_S is left to finish on its own (a thread inside llama.cpp cannot be killed); it
        keeps its copy, which is not re-entrant. Replies go on with the other copies; once every copy is stuck,
        each reply asked for fails at once instead of queueing (its call then goes on with the keypad menu)."""
        llm = self._llm
        if len(llm.stuck) == len(llm.copies):
            raise StageError(f"the language model is stuck on earlier replies (for {llm.stuck_s():.0f} s)",
                             code=ErrorCode.LLM)
        pieces: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()
        chat = await llm.free.get()
        # The next call's turn comes once this reply is written, not once it has been spoken.
        finished = self._start_llm_worker(chat, messages, max_tokens, stop, pieces)
        try:
            while (item := await self._next_piece(pieces)) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                yield str(item)
        finally:
            stop.set()
            await self._let_go(chat, finished)

    def _start_llm_worker(self, chat: ChatModel, messages: list[ChatMessage], max_tokens: int,
                          stop: threading.Event, pieces: asyncio.Queue[object]) -> asyncio.Future[None]:
        """Run one copy on a daemon thread of its own: a stuck one holds no slot of the shared thread pool and does
        not keep the process from exiting. The copy is free again when the thread ends."""
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def hand(callback: Callable[..., object], *args: object) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed while a stuck worker ran on
                loop.call_soon_threadsafe(callback, *args)

        def produce() -> None:
            try:
                for piece in chat.stream(messages, max_tokens=max_tokens, should_stop=stop.is_set):
                    hand(pieces.put_nowait, piece)
            except Exception as exc:  # handed to the consumer, which raises it at its boundary
                hand(pieces.put_nowait, exc)
            finally:
                hand(pieces.put_nowait, _DONE)
                hand(self._llm_let_go, chat, finished)

        threading.Thread(target=produce, name="llm-reply", daemon=True).start()
        return finished

    async def _next_piece(self, pieces: asyncio.Queue[object]) -> object:
        try:
            return await asyncio.wait_for(pieces.get(), LLM_STALL_S)
        except TimeoutError:
            raise StageError(f"the language model wrote nothing for {LLM_STALL_S:g} s", code=ErrorCode.LLM) from None

    async def _let_go(self, chat: ChatModel, finished: asyncio.Future[None]) -> None:
        """Wait a moment for a closed stream's worker to stop; past that, leave it to finish on its own."""
        await asyncio.wait({finished}, timeout=STOP_WAIT_S)
        if not finished.done() and id(chat) not in self._llm.stuck:
            self._llm.stuck[id(chat)] = time.monotonic()
            _LOGGER.warning("a copy of the language model did not stop within %g s of being asked to (%d of %d "
                            "stuck); its reply is left to finish on its own. Once every copy is stuck, calls that "
                            "need it go on with the keypad menu. If this lasts, restart the appliance", STOP_WAIT_S,
                            len(self._llm.stuck), len(self._llm.copies))

    def _llm_let_go(self, chat: ChatModel, finished: asyncio.Future[None]) -> None:
        """A worker ended (on the loop): its copy is free again."""
        finished.set_result(None)
        if (since := self._llm.stuck.pop(id(chat), None)) is not None:
            _LOGGER.warning("a copy of the language model finished its stuck reply after %.0f s; it answers again",
                            time.monotonic() - since)
        self._llm.free.put_nowait(chat)

    @property
    def llm_stuck_s(self) -> float | None:
        """How long a copy of the LLM has been stuck on a reply nobody waits for (None: none is)."""
        return self._llm.stuck_s()


SMALL_LLM_BYTES = 1 << 30  # a GGUF under 1 GB (the embedded 135M model): copies are cheap, share the file


@dataclass(frozen=True)
class LlmPool:
    """How many copies of the LLM to load, and the threads of each (None: the model's own default)."""

    copies: int
    threads: int | None


def llm_pool(configured: int, model_bytes: int, cores: int, gpu_layers: int, lines: int) -> LlmPool:
    """The LLM's copies: `configured` when set (> 0), else one one-thread copy of a small model per line on a CPU
    (more threads on a box with cores to spare), and one copy of a large model or one on a GPU, with its own
    default threads."""
    small_on_cpu = model_bytes < SMALL_LLM_BYTES and gpu_layers == 0
    copies = configured or (max(1, lines) if small_on_cpu else 1)
    if copies == 1 and not small_on_cpu:
        return LlmPool(1, None)
    return LlmPool(copies, max(1, (cores - 1) // copies))


def load_engines(settings: Settings, registry: ModelRegistry, *, answering: bool = False) -> Engines:
    """Load (once per process) the three models named in the config, or the embedded defaults; a load error
    names the config key that chose the file. `answering` (the running appliance): a model that does not load
    leaves a stand-in and a fault instead of stopping the start (see `appliance.call.unloaded`)."""
    m = settings.models
    faults: list[ModelFault] = []
    try:
        def transcriber() -> Transcriber:
            return registry.transcriber(m.whisper, device=m.whisper_device, language=m.whisper_language or None,
                                        beam_size=m.whisper_beam, config_key="models.whisper")

        def voice(path: Path | None = m.voice, config: Path | None = m.voice_config) -> Synthesizer:
            return registry.synthesizer(path, config, config_key="models.voice")

        if not answering:
            chats = _chats(settings, registry)
            return Engines(transcriber(), chats[0], voice(), tuple(chats[1:]))
        stt = transcriber_or_standin(transcriber, faults)
        chats = chats_or_standin(lambda: _chats(settings, registry), faults)
        spoken = voice_or_default(voice, (lambda: voice(None, None)) if m.voice is not None else None, faults)
        return Engines(stt, chats[0], spoken, tuple(chats[1:]), tuple(faults))
    except ModelError as exc:
        raise ApplianceError(str(exc), code=ErrorCode.MODEL) from exc


def _chats(settings: Settings, registry: ModelRegistry) -> list[ChatModel]:
    """The LLM's copies (see `llm_pool`)."""
    m = settings.models
    llm_path = m.llm or default_llm_model("models.llm")
    size = llm_path.stat().st_size if llm_path.is_file() else 0  # a missing file: the load below says so
    pool = llm_pool(m.llm_copies, size, len(os.sched_getaffinity(0)), m.llm_gpu_layers,
                    settings.call.max_concurrent_calls)
    return [registry.chat(m.llm, n_ctx=m.llm_context, n_gpu_layers=m.llm_gpu_layers, n_threads=pool.threads,
                          replica=n, config_key="models.llm") for n in range(pool.copies)]
