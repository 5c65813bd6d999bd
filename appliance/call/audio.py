"""Resampling and framing of 16-bit PCM, done with numpy (band-limited, no extra dependency)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
_TAPS = 63


def _lowpass(samples: npt.NDArray[np.float64], cutoff: float) -> npt.NDArray[np.float64]:
    """Windowed-sinc low-pass; cutoff is a fraction of the sample rate (0..0.5)."""
    n = np.arange(_TAPS) - (_TAPS - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(_TAPS)
    kernel /= kernel.sum()
    filtered: npt.NDArray[np.float64] = np.convolve(samples, kernel, mode="same")
    return filtered


def resample(pcm: Pcm, src_rate: int, dst_rate: int) -> Pcm:
    """Resample mono int16 PCM from src_rate to dst_rate."""
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} and {dst_rate}")
    if src_rate == dst_rate or pcm.size == 0:
        return pcm.astype(np.int16, copy=True)
    samples = pcm.astype(np.float64)
    if dst_rate < src_rate:
        samples = _lowpass(samples, 0.45 * dst_rate / src_rate)
    count = round(pcm.size * dst_rate / src_rate)
    positions = np.arange(count) * (src_rate / dst_rate)
    out = np.interp(positions, np.arange(pcm.size), samples)
    clipped: Pcm = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    return clipped


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
