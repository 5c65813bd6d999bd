"""Speaking to the caller: text → sentences → cached or fresh TTS → 20 ms frames on the call's playout queue."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from typing import Protocol

from appliance.call.audio import to_frames
from appliance.call.engines import Engines
from appliance.call.watch import FRAME_S
from appliance.errors import ErrorCode, StageError
from models import ModelError
from sip.media import FRAME_SAMPLES, SAMPLE_RATE

DRAIN_SLACK_S = 1.0  # how much longer than its frames play a reply may take to leave


class Playout(Protocol):
    """Where frames for the caller go (sip.FrameQueue, or a simulated line)."""

    def extend(self, frames: list[bytes]) -> None:
        """Queue frames."""

    def clear(self) -> int:
        """Drop what is queued."""

    def __len__(self) -> int:
        """Frames still queued."""


class PhraseCache:
    """Frames of phrases spoken often (greeting, facts, prompts), synthesized once and kept. Phrases preloaded
    before the first call stay for good (they are what a call falls back on when the voice fails); the rest,
    the LLM's sentences among them, are kept up to `limit`, the least recently used going first."""

    def __init__(self, engines: Engines, limit: int = 256) -> None:
        self._engines = engines
        self._kept: dict[str, list[bytes]] = {}
        self._frames: OrderedDict[str, list[bytes]] = OrderedDict()
        self._limit = limit

    async def frames(self, sentence: str) -> list[bytes]:
        """The sentence as 20 ms frames at the call rate, from the cache when it is there."""
        if (kept := self._kept.get(sentence)) is not None:
            return kept
        cached = self._frames.get(sentence)
        if cached is not None:
            self._frames.move_to_end(sentence)
            return cached
        try:
            pcm = await self._engines.synthesize(sentence, SAMPLE_RATE)
        except (ModelError, RuntimeError, ValueError, OSError) as exc:
            raise StageError(f"the voice could not speak {sentence!r}: {exc}", code=ErrorCode.TTS) from exc
        frames = to_frames(pcm, FRAME_SAMPLES)
        self._frames[sentence] = frames
        if len(self._frames) > self._limit:
            self._frames.popitem(last=False)
        return frames

    async def preload(self, sentences: list[str]) -> None:
        """Synthesize sentences ahead of the first call and keep them for good (each must make some audio: they
        are what a call falls back on)."""
        for sentence in sentences:
            if not (frames := await self.frames(sentence)):
                raise StageError(f"the voice made no audio for {sentence!r}", code=ErrorCode.TTS)
            self._kept[sentence] = frames
            self._frames.pop(sentence, None)


class Mouth:
    """Speaks sentences on one call's playout and knows when the caller has heard them."""

    def __init__(self, playout: Playout, phrases: PhraseCache) -> None:
        self._playout = playout
        self._phrases = phrases
        self.first_audio_at: float | None = None
        self.said: deque[str] = deque(maxlen=3)  # the last sentences queued (what an echo would repeat)

    async def say(self, sentence: str) -> None:
        """Queue one sentence's audio."""
        frames = await self._phrases.frames(sentence)
        self._playout.extend(frames)
        self.said.append(sentence)
        if self.first_audio_at is None and frames:
            self.first_audio_at = time.monotonic()

    async def drained(self) -> None:
        """Wait until every queued frame has been sent: at most as long as they play and a second more, so a line
        that stopped taking frames does not hold the call."""
        deadline = time.monotonic() + len(self._playout) * FRAME_S + DRAIN_SLACK_S
        while len(self._playout) and time.monotonic() < deadline:
            await asyncio.sleep(FRAME_S)

    @property
    def playing(self) -> bool:
        """Whether audio is queued for the caller."""
        return len(self._playout) > 0

    def cut(self) -> int:
        """Stop speaking now (barge-in); return the frames dropped."""
        return self._playout.clear()
