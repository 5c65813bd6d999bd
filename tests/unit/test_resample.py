"""Resampling and framing."""

import numpy as np
import pytest

from appliance.call.audio import level_dbfs, resample, to_frames


def tone(freq: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 10000).astype(np.int16)


def dominant(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.fft.rfftfreq(pcm.size, 1 / rate)[int(np.argmax(spectrum))])


@pytest.mark.parametrize(("src", "dst"), [(22050, 16000), (16000, 8000), (8000, 16000), (16000, 48000)])
def test_a_tone_keeps_its_pitch_and_duration(src: int, dst: int) -> None:
    out = resample(tone(440, src), src, dst)
    assert abs(out.size - dst) <= 1
    assert abs(dominant(out, dst) - 440) < 3


def test_frequencies_above_the_new_nyquist_are_filtered() -> None:
    out = resample(tone(7000, 22050), 22050, 8000)
    assert level_dbfs(out[100:-100]) < level_dbfs(tone(7000, 22050)) - 15


def test_bad_rates_raise() -> None:
    with pytest.raises(ValueError, match="positive"):
        resample(tone(440, 8000), 0, 16000)


def test_frames_are_padded_to_full_size() -> None:
    frames = to_frames(np.ones(700, dtype=np.int16), 320)
    assert [len(f) for f in frames] == [640, 640, 640]
    assert frames[-1][120:] == bytes(520)


def test_levels() -> None:
    assert level_dbfs(np.zeros(320, dtype=np.int16)) == -96.0
    assert -4 < level_dbfs(np.full(320, 32767, dtype=np.int16)) <= 0.01


def test_upsampling_leaves_no_mirror_image() -> None:
    """8 kHz phone audio brought to 16 kHz: a 3 kHz tone stays one tone, with no image at 5 kHz."""
    out = resample(tone(3000, 8000), 8000, 16000).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(out[400:-400]))
    freqs = np.fft.rfftfreq(out.size - 800, 1 / 16000)
    image = spectrum[np.abs(freqs - 5000) < 50].max()
    assert image < spectrum.max() / 300  # at least 50 dB down


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (22050, 16000)])
def test_a_tone_in_the_pass_band_keeps_its_level(src: int, dst: int) -> None:
    out = resample(tone(1000, src), src, dst)
    assert abs(level_dbfs(out[200:-200]) - level_dbfs(tone(1000, src))) < 0.2
