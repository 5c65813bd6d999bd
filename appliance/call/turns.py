"""Turn detection: voice activity from frame levels, and the end of the caller's turn after a silence window.

Pure policy: levels in (dBFS per 20 ms frame), decisions out. No audio I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class TurnConfig:
    """Timing and level knobs; all durations in milliseconds."""

    frame_ms: int = 20
    silence_window_ms: int = 500
    early_pause_ms: int = 200
    min_speech_ms: int = 60
    min_utterance_ms: int = 200
    barge_in_ms: int = 600  # voiced this long over the receptionist, it interrupts (no backchannel is as long)
    finished_after_ms: int = 300  # words that sound finished at the first pause end the turn after this silence
    unfinished_window_ms: int = 650  # words that sound unfinished ("my number is five five five") wait this long
    floor_db: float = -50.0
    margin_db: float = 12.0


class TurnSignal(StrEnum):
    """What one frame changed."""

    NONE = "none"
    SPEECH_STARTED = "speech-started"
    EARLY_PAUSE = "early-pause"
    SPEECH_RESUMED = "speech-resumed"
    BARGE_IN = "barge-in"
    TURN_ENDED = "turn-ended"
    NOISE_DISCARDED = "noise-discarded"


class TurnDetector:
    """Tracks one caller's speech frame by frame and says when a turn starts, pauses and ends."""

    def __init__(self, config: TurnConfig | None = None) -> None:
        self.config = config or TurnConfig()
        self._noise_db = -70.0
        self._run = 0  # consecutive voiced frames
        self._silence = 0  # consecutive unvoiced frames since the last voiced one
        self._voiced_total = 0
        self.in_turn = False
        self._barged = False
        self._window_ms = self.config.silence_window_ms

    @property
    def silence_ms(self) -> int:
        """Silence since the caller's voice last sounded in this turn."""
        return self._silence * self.config.frame_ms

    def hold(self, window_ms: int) -> None:
        """Use another silence window for this turn (the words heard so far sound unfinished)."""
        self._window_ms = window_ms

    def end_now(self) -> TurnSignal:
        """End the turn before its silence window closes (the words heard so far sound finished)."""
        return self._end() if self.in_turn else TurnSignal.NONE

    def is_voiced(self, level_db: float) -> bool:
        """Voice activity: above both the absolute floor and the tracked noise level plus a margin."""
        return level_db > max(self.config.floor_db, self._noise_db + self.config.margin_db)

    def push(self, level_db: float, echo: bool = False) -> TurnSignal:
        """Account for one frame's level; return what changed. An echo of the receptionist is not the caller's
        voice, nor the line's noise."""
        if echo:
            return self._unvoiced()
        voiced = self.is_voiced(level_db)
        self._track_noise(level_db)
        return self._voiced(level_db) if voiced else self._unvoiced()

    def _frames(self, ms: int) -> int:
        return max(1, ms // self.config.frame_ms)

    def _track_noise(self, level_db: float) -> None:
        # Falls fast to quieter frames, creeps up slowly: steady noise is learnt in seconds, speech is not.
        rate = 0.1 if level_db < self._noise_db else 0.002
        self._noise_db += rate * (level_db - self._noise_db)

    def _voiced(self, level_db: float) -> TurnSignal:
        self._run += 1
        pause = self._silence
        self._silence = 0
        if self.in_turn:
            self._voiced_total += 1
            if pause >= self._frames(self.config.early_pause_ms):
                return TurnSignal.SPEECH_RESUMED
            if not self._barged and self._voiced_total >= self._frames(self.config.barge_in_ms):
                self._barged = True
                return TurnSignal.BARGE_IN
            return TurnSignal.NONE
        if self._run >= self._frames(self.config.min_speech_ms):
            self.in_turn = True
            self._voiced_total = self._run
            return TurnSignal.SPEECH_STARTED
        return TurnSignal.NONE

    def _unvoiced(self) -> TurnSignal:
        self._run = 0
        if not self.in_turn:
            return TurnSignal.NONE
        self._silence += 1
        if self._silence == self._frames(self.config.early_pause_ms):
            return TurnSignal.EARLY_PAUSE
        if self._silence >= self._frames(self._window_ms):
            return self._end()
        return TurnSignal.NONE

    def _end(self) -> TurnSignal:
        long_enough = self._voiced_total >= self._frames(self.config.min_utterance_ms)
        self.reset()
        return TurnSignal.TURN_ENDED if long_enough else TurnSignal.NOISE_DISCARDED

    def reset(self) -> None:
        """Forget the current turn (the noise level is kept)."""
        self.in_turn = False
        self._barged = False
        self._window_ms = self.config.silence_window_ms
        self._run = self._silence = self._voiced_total = 0
