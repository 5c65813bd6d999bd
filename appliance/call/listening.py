"""Listening to one caller, frame by frame: voice activity, the utterance in progress with its pre-roll,
speculative transcription at the first pause (whose words can end the turn sooner, or make it wait longer), and
what a turn's end or a barge-in means for the run."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.call.audio import level_dbfs
from appliance.call.echo import EchoGuard
from appliance.call.endofturn import Finished, judge
from appliance.call.turns import TurnConfig, TurnDetector, TurnSignal

PREROLL_FRAMES = 15
Transcribe = Callable[[np.ndarray], Coroutine[Any, Any, str]]


@dataclass
class Utterance:
    """Caller audio of the turn in progress, with pre-roll, and when its voice started and last sounded."""

    frames: list[bytes]
    started: float
    last_voice: float
    voiced: int = 0  # voiced frames (20 ms each)

    def pcm(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.frames), dtype="<i2")

    @property
    def voiced_s(self) -> float:
        return self.voiced * 0.02


@dataclass(frozen=True)
class TurnEnd:
    """The caller finished a turn: its audio, and a transcription already started at the first pause."""

    utterance: Utterance
    speculative: asyncio.Task[str] | None


class BargeIn:
    """The caller spoke over the receptionist long enough to mean it."""


BARGE_IN = BargeIn()


class Listening:
    """Turns caller frames into turn ends and barge-ins."""

    def __init__(self, config: TurnConfig, transcribe: Transcribe, patient: Callable[[], bool] = lambda: False) -> None:
        """`patient`: whether the caller is now dictating (a message, a number), when no turn ends early."""
        self.detector = TurnDetector(config)
        self.echo = EchoGuard()
        self._transcribe = transcribe
        self._patient = patient
        self._verdict: Finished | None = None
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self.utterance: Utterance | None = None
        self._speculative: asyncio.Task[str] | None = None

    def frame(self, pcm: bytes, now: float, played: tuple[bytes, ...] = ()) -> TurnEnd | BargeIn | None:
        """Hear one 20 ms frame at monotonic time now; `played`: what the line had just played to the caller."""
        level = level_dbfs(np.frombuffer(pcm, dtype="<i2"))
        echo = self.echo.is_echo(pcm, played)
        signal = self.detector.push(level, echo)
        if self.utterance is not None:
            self.utterance.frames.append(pcm)
            if not echo and self.detector.is_voiced(level):
                self.utterance.last_voice = now
                self.utterance.voiced += 1
        else:
            self._preroll.append(pcm)
        if signal is TurnSignal.NONE and self.utterance is not None:
            signal = self._by_words()
        return self._on_signal(signal, now) if signal is not TurnSignal.NONE else None

    def _by_words(self) -> TurnSignal:
        """In a pause whose words are transcribed: end a turn that sounds finished once `finished_after_ms` of
        silence passed; give one that sounds unfinished the longer `unfinished_window_ms`."""
        task, config = self._speculative, self.detector.config
        if task is None or not task.done() or self.detector.silence_ms == 0:
            return TurnSignal.NONE
        if self._verdict is None:
            failed = task.cancelled() or task.exception() is not None
            self._verdict = Finished.UNSURE if failed else judge(task.result())
            if self._verdict is Finished.NO:
                self.detector.hold(max(config.unfinished_window_ms, config.silence_window_ms))
        soon = self._verdict is Finished.YES and self.detector.silence_ms >= config.finished_after_ms
        return self.detector.end_now() if soon and not self._patient() else TurnSignal.NONE

    def _on_signal(self, signal: TurnSignal, now: float) -> TurnEnd | BargeIn | None:
        if signal is TurnSignal.SPEECH_STARTED:
            self.utterance = Utterance(list(self._preroll), now, now)
            self._preroll.clear()
        elif signal is TurnSignal.BARGE_IN:
            return BARGE_IN
        elif signal is TurnSignal.EARLY_PAUSE and self.utterance is not None:
            self._speculate(self.utterance)
        elif signal is TurnSignal.SPEECH_RESUMED:
            self.drop_speculation()
            self.detector.hold(self.detector.config.silence_window_ms)
        elif signal is TurnSignal.TURN_ENDED and self.utterance is not None:
            utterance, self.utterance = self.utterance, None
            speculative, self._speculative = self._speculative, None
            return TurnEnd(utterance, speculative)
        elif signal is TurnSignal.NOISE_DISCARDED:
            self.utterance = None
            self.drop_speculation()
        return None

    def _speculate(self, utterance: Utterance) -> None:
        """Start transcribing at the first pause, so the text is ready when the silence window closes."""
        self.drop_speculation()
        self._speculative = asyncio.ensure_future(self._transcribe(utterance.pcm()))
        self._verdict = None

    def drop_speculation(self) -> None:
        """Forget a transcription started too early (the caller went on speaking, or the call ends)."""
        if self._speculative is not None:
            self._speculative.cancel()
            self._speculative = None
        self._verdict = None

    def cut_off(self) -> Utterance | None:
        """The call ended: the utterance in progress, if any (the caller's last words)."""
        utterance, self.utterance = self.utterance, None
        return utterance
