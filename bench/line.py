"""A caller's words as the appliance hears them over a phone line, offline: espeak-ng speaks them (the same voice
and rate as the real-SIP scenario runner), G.711 mu-law at 8 kHz (or G.722's 7 kHz band) carries them, the audio
comes back at 16 kHz, and the appliance's own listener cuts the turns the way a live call does (pre-roll, the
transcription started at the first pause, the end of turn by words)."""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from appliance.call.audio import Pcm, resample
from appliance.call.listening import Listening, TurnEnd
from appliance.call.turns import TurnConfig
from tests.e2e.support import SCENARIO_VOICE, espeak_wav, read_wav

LINE_RATE = 8000
WIDE_BAND_RATE = 14000  # G.722 carries up to 7 kHz
CODECS = ("PCMU", "G722")
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


def over_the_line(pcm: Pcm, codec: str = "PCMU") -> Pcm:
    """16 kHz audio sent as PCMU (or G722) and received at 16 kHz. G.722 is taken as its band alone, up to 7 kHz:
    at 64 kbit/s its quantisation noise is far below what decides the words."""
    if codec == "G722":
        return resample(resample(pcm, RATE, WIDE_BAND_RATE), WIDE_BAND_RATE, RATE)
    return resample(mulaw_round_trip(resample(pcm, RATE, LINE_RATE)), LINE_RATE, RATE)


def spoken(text: str, folder: Path | None = None, voice: str = SCENARIO_VOICE) -> Pcm:
    """What espeak-ng says for text, at 16 kHz, as the real-SIP runner makes it."""
    with tempfile.TemporaryDirectory(prefix="hearing-") as temp:
        path = espeak_wav(text, Path(folder or temp) / "step.wav", voice)
        samples = read_wav(path)
    pcm: Pcm = np.round(samples * 32768.0).clip(-32768, 32767).astype(np.int16)
    return pcm


class _FrameClock:
    """Frames fed so far: the listener's time, so a transcription can take as many frames as it took seconds."""

    def __init__(self) -> None:
        self.frames = 0
        self.stopped = False

    async def after(self, seconds: float) -> None:
        """Wait until the frames of `seconds` more were fed (or the line ended)."""
        until = self.frames + math.ceil(seconds / 0.02)
        while self.frames < until and not self.stopped:
            await asyncio.sleep(0)


async def _turns(pcm: Pcm, transcribe: Callable[[Pcm], str], config: TurnConfig, patient: bool) -> list[str]:
    clock = _FrameClock()

    async def timed(utterance: np.ndarray) -> str:
        started = time.monotonic()
        text = transcribe(utterance)
        await clock.after(time.monotonic() - started)
        return text

    ears = Listening(config, timed, patient=lambda: patient)
    line = np.concatenate([np.zeros(int(_LEAD_S * RATE), np.int16), pcm, np.zeros(RATE * 2, np.int16)])
    turns: list[asyncio.Task[str]] = []
    for start in range(0, line.size - FRAME + 1, FRAME):
        end = ears.frame(line[start : start + FRAME].tobytes(), clock.frames * 0.02)
        clock.frames += 1
        for _ in range(4):
            await asyncio.sleep(0)
        if isinstance(end, TurnEnd):
            turns.append(end.speculative or asyncio.ensure_future(timed(end.utterance.pcm())))
    clock.stopped = True
    return list(await asyncio.gather(*turns))


def heard_turns(text: str, transcribe: Callable[[Pcm], str], config: TurnConfig | None = None,
                patient: bool = False, voice: str = SCENARIO_VOICE, *, codec: str = "PCMU") -> list[str]:
    """What the appliance hears, turn by turn, when an espeak-ng caller says text over `codec`: the real listener
    cuts the turns (its end of turn by words included), and a transcription takes as long as it really takes
    (`patient`: the caller is dictating)."""
    line = over_the_line(spoken(text, voice=voice), codec)
    return asyncio.run(_turns(line, transcribe, config or TurnConfig(), patient))
