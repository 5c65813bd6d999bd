"""A caller's words as the appliance hears them over a phone line, offline: espeak-ng speaks them (the same voice
and rate as the real-SIP scenario runner), G.711 mu-law at 8 kHz carries them, the audio comes back at 16 kHz,
and the appliance's own turn detector cuts the utterance the way a live call does (pre-roll, the early pause at
which the transcription starts)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from appliance.call.audio import Pcm, level_dbfs, resample
from appliance.call.listening import PREROLL_FRAMES
from appliance.call.turns import TurnConfig, TurnDetector, TurnSignal
from tests.e2e.support import espeak_wav, read_wav

LINE_RATE = 8000
RATE = 16000
FRAME = RATE // 50  # 20 ms
_BIAS = 0x84
_CLIP = 32635
_LEAD_S = 1.0  # the line is quiet for a second before the caller speaks (the noise floor settles)


def mulaw_round_trip(pcm: Pcm) -> Pcm:
    """Encode 16-bit PCM with G.711 mu-law and decode it again: what the codec leaves of each sample."""
    x = pcm.astype(np.int32)
    magnitude = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    decoded = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    out: Pcm = np.where(x < 0, -decoded, decoded).astype(np.int16)
    return out


def over_the_line(pcm: Pcm) -> Pcm:
    """16 kHz audio sent as PCMU and received at 16 kHz."""
    return resample(mulaw_round_trip(resample(pcm, RATE, LINE_RATE)), LINE_RATE, RATE)


def spoken(text: str, folder: Path | None = None) -> Pcm:
    """What espeak-ng says for text, at 16 kHz, as the real-SIP runner makes it."""
    with tempfile.TemporaryDirectory(prefix="hearing-") as temp:
        path = espeak_wav(text, Path(folder or temp) / "step.wav")
        samples = read_wav(path)
    pcm: Pcm = np.round(samples * 32768.0).clip(-32768, 32767).astype(np.int16)
    return pcm


def utterances(pcm: Pcm, config: TurnConfig | None = None) -> list[Pcm]:
    """The caller's turns in a stretch of line audio, as the appliance's listener cuts them: each from its
    pre-roll to the early pause whose silence then ended the turn (the audio the transcription was given)."""
    detector = TurnDetector(config or TurnConfig())
    line = np.concatenate([np.zeros(int(_LEAD_S * RATE), np.int16), pcm, np.zeros(RATE * 2, np.int16)])
    frames = [line[i : i + FRAME] for i in range(0, line.size - FRAME + 1, FRAME)]
    found: list[Pcm] = []
    start: int | None = None
    paused_at = 0
    for n, frame in enumerate(frames):
        signal = detector.push(level_dbfs(frame))
        if signal is TurnSignal.SPEECH_STARTED:
            start = max(0, n - PREROLL_FRAMES)
        elif signal is TurnSignal.EARLY_PAUSE:
            paused_at = n + 1
        elif signal is TurnSignal.TURN_ENDED and start is not None:
            found.append(np.concatenate(frames[start:paused_at]))
            start = None
        elif signal is TurnSignal.NOISE_DISCARDED:
            start = None
    return found


def heard_audio(text: str) -> list[Pcm]:
    """The utterances the appliance would transcribe when an espeak-ng caller says text over PCMU."""
    return utterances(over_the_line(spoken(text)))
