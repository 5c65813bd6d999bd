"""The echo guard with numpy signals: the receptionist's voice coming back delayed and attenuated is not the
caller; another voice, alone or over the echo, is."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from appliance.call.audio import level_dbfs
from appliance.call.echo import PLAYED_FRAMES, EchoGuard
from appliance.call.turns import TurnDetector, TurnSignal
from sip.media import RECENT_FRAMES

SILENT_FRAME = bytes(640)


def speech(seconds: float, seed: int) -> npt.NDArray[np.int16]:
    """Speech-like sound: syllables of random length, loudness and decay on a voiced carrier, random pauses."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 16000)
    env, i = np.zeros(n), 0
    while i < n:
        d = min(int(rng.uniform(0.06, 0.3) * 16000), n - i)
        t = np.arange(d) / 16000
        env[i:i + d] = rng.uniform(0.3, 1.0) * np.minimum(1, t / 0.01) * np.exp(-t / rng.uniform(0.05, 0.2))
        i += d + int(rng.exponential(0.08) * 16000)
    pitch, k = rng.uniform(90, 220), np.arange(n) / 16000
    carrier = sum(np.sin(2 * np.pi * pitch * h * k) / h for h in range(1, 6)) + 0.3 * rng.standard_normal(n)
    return (env * carrier * 6000).astype(np.int16)


def echo_of(played: npt.NDArray[np.int16], delay_ms: int, loss_db: float) -> npt.NDArray[np.int16]:
    delay = delay_ms * 16
    return (np.concatenate([np.zeros(delay), played[:-delay]]) * 10 ** (-loss_db / 20)).astype(np.int16)


def frames(pcm: npt.NDArray[np.int16]) -> list[bytes]:
    return [pcm[i:i + 320].astype("<i2").tobytes() for i in range(0, pcm.size - 319, 320)]


def hear(heard: npt.NDArray[np.int16], played: npt.NDArray[np.int16]) -> tuple[list[TurnSignal], float]:
    """Feed a call's caller side to the guard and the turn detector, the receptionist side as played from the
    answer on; return the turn signals and the share of voiced frames taken for echo."""
    guard, detector = EchoGuard(), TurnDetector()
    history, signals, echoes, voiced = [SILENT_FRAME] * PLAYED_FRAMES, [], 0, 0
    out = frames(played)
    for n, frame in enumerate(frames(heard)):
        history = [*history[1:], out[n] if n < len(out) else SILENT_FRAME]
        echo = guard.is_echo(frame, tuple(history))
        level = level_dbfs(np.frombuffer(frame, dtype="<i2"))
        if level > -50:
            voiced, echoes = voiced + 1, echoes + echo
        if (signal := detector.push(level, echo)) is not TurnSignal.NONE:
            signals.append(signal)
    return signals, echoes / max(voiced, 1)


def mixed(a: npt.NDArray[np.int16], b: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    return np.clip(a.astype(np.int32) + b, -32768, 32767).astype(np.int16)


def test_the_line_keeps_enough_of_its_playout_for_the_guard() -> None:
    assert RECENT_FRAMES >= PLAYED_FRAMES


@pytest.mark.parametrize("delay_ms", [20, 120, 250, 380])
@pytest.mark.parametrize("loss_db", [0, 10, 20])
def test_the_receptionists_echo_starts_no_turn(delay_ms: int, loss_db: float) -> None:
    played = speech(6, seed=1)
    signals, share = hear(echo_of(played, delay_ms, loss_db), played)
    assert signals == [] and share > 0.95


def test_without_the_guard_the_same_echo_would_barge_in() -> None:
    played, detector = speech(6, seed=1), TurnDetector()
    levels = [level_dbfs(np.frombuffer(f, dtype="<i2")) for f in frames(echo_of(played, 120, 10))]
    assert TurnSignal.BARGE_IN in [detector.push(level) for level in levels]


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_another_voice_barges_in(seed: int) -> None:
    signals, share = hear(speech(4, seed), speech(4, seed=1))
    assert TurnSignal.BARGE_IN in signals and share < 0.25  # a few of its frames may pass for echo: a later cut


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_a_caller_talking_over_the_echo_barges_in(seed: int) -> None:
    played = speech(4, seed=1)
    signals, _ = hear(mixed(echo_of(played, 120, 10), speech(4, seed)), played)
    assert TurnSignal.BARGE_IN in signals


def test_a_line_that_does_not_say_what_it_played_hears_everything() -> None:
    guard = EchoGuard()
    assert not any(guard.is_echo(frame, ()) for frame in frames(speech(1, seed=1)))
