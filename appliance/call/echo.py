"""The echo guard: the receptionist's own voice coming back from the caller's phone (line echo, a speakerphone) is
not the caller speaking, so it must not start a turn or barge in. Pure: frames in, a verdict out.

The caller's sound is reduced to an energy envelope (5 ms blocks over the last 300 ms) and correlated with the
envelope of what was played to them at every delay up to ECHO_MAX_DELAY_MS. An echo path has one delay, so the
correlations are averaged over time and the best average names it; a chance likeness of two voices moves from
delay to delay and averages out. A frame is echo when, at that delay, the sound correlates now (at least
MIN_CORRELATION), the delay has held (an average of at least MIN_AVERAGE), and the frame is no louder than the
played audio through the fitted echo gain (at most 0 dB) plus MARGIN_DB. A caller talking over the echo is louder
than that and breaks the correlation, so a real barge-in still counts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FRAME_SAMPLES = 320  # 20 ms at 16 kHz, as every frame of a call
BLOCK_SAMPLES = 80  # 5 ms
BLOCKS_PER_FRAME = FRAME_SAMPLES // BLOCK_SAMPLES
WINDOW_FRAMES = 15  # 300 ms of the caller's sound compared at once
MIN_WINDOW_FRAMES = 4  # at the start of a call, compare this much at least
ECHO_MAX_DELAY_MS = 400  # a round trip through two jitter buffers and the phone
DELAYS = ECHO_MAX_DELAY_MS // 5 + 1  # in blocks, 0 included
PLAYED_FRAMES = WINDOW_FRAMES + ECHO_MAX_DELAY_MS // 20  # what the line keeps of its playout (700 ms)
MIN_CORRELATION = 0.7
SHORT_FRAMES = 5  # 100 ms: compared alone when the whole window does not fit
MIN_SHORT_CORRELATION = 0.9
DRIFT_BLOCKS = 20  # the delay may wander this far (100 ms) from its average: jitter buffers adapt as they go
MIN_AVERAGE = 0.6
AVERAGING = 0.1  # weight of the newest frame's correlations in the running average (a plain mean at first)
MAX_GAIN = 1.0  # an echo is never louder than what was played
MARGIN_DB = 6.0
ECHO_EVIDENCE_FRAMES = 25
QUIET_RMS = 33.0  # -60 dBFS: played audio below this cannot echo audibly
SILENT_RMS = 100.0  # -50 dBFS, the turn detector's floor: a quieter frame is no voice, echo or not

Envelope = npt.NDArray[np.float64]


def envelope(pcm: bytes) -> Envelope:
    """RMS amplitude of each 5 ms block of 16-bit PCM."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    samples = samples[: samples.size - samples.size % BLOCK_SAMPLES]
    result: Envelope = np.sqrt(np.mean(samples.reshape(-1, BLOCK_SAMPLES) ** 2, axis=1))
    return result


def correlations(heard: Envelope, played: Envelope) -> Envelope:
    """Pearson correlation of `heard` with `played` at each delay (in blocks, 0 first; 0 where either is flat).
    Both are oldest first and end at the same moment; played holds DELAYS - 1 more blocks than heard."""
    windows = np.lib.stride_tricks.sliding_window_view(played, heard.size)[::-1]  # row d: delayed by d blocks
    w = windows - windows.mean(axis=1, keepdims=True)
    h = heard - heard.mean()
    denominator = np.sqrt((w**2).sum(axis=1) * (h**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        result: Envelope = np.where(denominator > 0, (w @ h) / denominator, 0.0)
    return result


def louder_than_echo(heard: Envelope, played: Envelope) -> bool:
    """Whether the newest frame of `heard` is louder than `played` (already aligned, same length) through the
    fitted echo gain, plus the margin."""
    gain = min(MAX_GAIN, float(heard @ played) / max(float(played @ played), 1e-9))
    newest, echo = heard[-BLOCKS_PER_FRAME:], gain * played[-BLOCKS_PER_FRAME:]
    return float(np.sqrt(np.mean(newest**2))) > float(np.sqrt(np.mean(echo**2))) * 10 ** (MARGIN_DB / 20)


class EchoGuard:
    """Remembers the caller's recent sound and the echo delay, and says whether each new frame is the
    receptionist's echo."""

    def __init__(self) -> None:
        self._heard: deque[Envelope] = deque(maxlen=WINDOW_FRAMES)
        self._average = np.zeros(DELAYS)
        self._averaged = 0  # frames in the average
        self._echoes = 0  # frames found to be echo

    def is_echo(self, pcm: bytes, played: Sequence[bytes]) -> bool:
        """Hear one frame; `played`: at least PLAYED_FRAMES frames played to the caller up to this one, oldest
        first (fewer, or none, when the line does not say: then nothing is echo)."""
        newest = envelope(pcm)
        self._heard.append(newest)
        if len(self._heard) < MIN_WINDOW_FRAMES or len(played) < PLAYED_FRAMES:
            return False
        if float(np.sqrt(np.mean(newest**2))) < SILENT_RMS:
            return False  # nothing to explain (and no evidence for the delay)
        heard = np.concatenate(self._heard)
        reference = envelope(b"".join(played[-PLAYED_FRAMES:]))
        if reference.max() < QUIET_RMS:
            return False  # nothing was played lately: the average keeps the delay for the next reply
        now = correlations(heard, reference[(WINDOW_FRAMES - len(self._heard)) * BLOCKS_PER_FRAME:])
        self._averaged += 1
        self._average += max(AVERAGING, 1 / self._averaged) * (now - self._average)
        delay = int(np.argmax(self._average))
        if self._average[delay] < MIN_AVERAGE:
            return False
        # A jitter buffer that jumped spoils the long window for a while: the newest 100 ms alone may still fit.
        short = heard[-SHORT_FRAMES * BLOCKS_PER_FRAME:]
        echo = _explains(heard, reference, now, delay, MIN_CORRELATION) or _explains(
            short, reference, correlations(short, reference[(WINDOW_FRAMES - SHORT_FRAMES) * BLOCKS_PER_FRAME:]),
            delay, MIN_SHORT_CORRELATION)
        self._echoes += echo
        return echo

    @property
    def line_echoes(self) -> bool:
        """Whether this line has been heard echoing the receptionist (half a second of echo found so far)."""
        return self._echoes >= ECHO_EVIDENCE_FRAMES


def _explains(heard: Envelope, reference: Envelope, now: Envelope, delay: int, least: float) -> bool:
    """Whether, near the average delay, the played audio correlates with `heard` at least `least` and is not
    quieter than its newest frame (through the echo gain, plus the margin)."""
    near = max(0, delay - DRIFT_BLOCKS)
    delay = near + int(np.argmax(now[near:delay + DRIFT_BLOCKS + 1]))
    if now[delay] < least:
        return False
    aligned = reference[reference.size - delay - heard.size: reference.size - delay]
    return not louder_than_echo(heard, aligned)
