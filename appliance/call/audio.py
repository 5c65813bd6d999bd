"""Resampling and framing of 16-bit PCM, done with numpy (band-limited, no extra dependency)."""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
_HALF_TAPS = 10  # input samples either side of each output sample (at the lower of the two rates)
_PASS = 0.9  # the pass band: 90 % of the lower rate's Nyquist frequency; above it the filter rolls off


def resample(pcm: Pcm, src_rate: int, dst_rate: int) -> Pcm:
    """Resample mono int16 PCM from src_rate to dst_rate: windowed-sinc interpolation, band-limited to the lower
    of the two rates both ways (no aliasing going down, no mirror images going up)."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=True)
    common = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // common, src_rate // common
    weights, reach = _kernel(up, down)
    outputs = np.arange(round(pcm.size * up / down))
    base = outputs * down // up
    phase = outputs % up
    padded = np.concatenate([np.zeros(reach), pcm.astype(np.float64), np.zeros(reach + 1)])
    out = np.zeros(outputs.size)
    for column in range(weights.shape[1]):
        out += weights[phase, column] * padded[base + column + 1]
    clipped: Pcm = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return clipped


@functools.lru_cache(maxsize=16)
def _kernel(up: int, down: int) -> tuple[npt.NDArray[np.float64], int]:
    """Filter weights for each of the `up` output phases (rows) over the input samples around it (columns, the
    nearest `reach` either side), and that reach."""
    scale = min(1.0, up / down) * _PASS  # the cutoff as a fraction of the input's Nyquist frequency
    reach = math.ceil(_HALF_TAPS / scale)
    fraction = (np.arange(up) * down % up) / up
    distance = fraction[:, np.newaxis] - np.arange(-reach + 1, reach + 1)[np.newaxis, :]
    weights = scale * np.sinc(scale * distance) * (0.5 + 0.5 * np.cos(np.pi * distance / reach))
    return weights, reach


def to_frames(pcm: Pcm, frame_samples: int) -> list[bytes]:
    """Cut PCM into frames of frame_samples, zero-padding the last one."""
    if pcm.size == 0:
        return []
    pad = (-pcm.size) % frame_samples
    padded = np.concatenate([pcm, np.zeros(pad, dtype=np.int16)]) if pad else pcm
    raw = padded.astype("<i2").tobytes()
    step = frame_samples * 2
    return [raw[i : i + step] for i in range(0, len(raw), step)]


def level_dbfs(frame: Pcm) -> float:
    """RMS level of a frame in dBFS (-96 for digital silence)."""
    if frame.size == 0:
        return -96.0
    rms = float(np.sqrt(np.mean(frame.astype(np.float64) ** 2)))
    return max(-96.0, 20 * float(np.log10(max(rms, 1e-9) / 32768.0)))
