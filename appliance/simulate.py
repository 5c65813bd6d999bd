"""`receptionist simulate`: the same CallRun as a phone call, fed from typed text or WAV files, no SIP."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import numpy as np

from appliance.call.audio import resample, to_frames
from appliance.call.context import build_context
from appliance.call.engines import load_engines
from appliance.call.events import CallEnded, CallEvent, CallStarted, ErrorRaised, Interrupted, Speaker, TurnSpoken
from appliance.call.inputs import AudioIn, CallerText, Inputs, LegFailed, LineClosed
from appliance.call.run import CallRun
from appliance.clock import Clock
from appliance.config import Settings
from appliance.errors import ApplianceError
from appliance.live_profile import LiveProfile
from appliance.reception.profile import Profile, load_profiles
from appliance.storage.store import CallStore
from models import shared_registry
from sip.media import FRAME_SAMPLES, SAMPLE_RATE

TAIL_SILENCE_S = 1.5


class SimulatedLine:
    """The call-control port of a simulated call: the 'caller' hears frames at once (kept to save as WAV)."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.heard: list[bytes] = []

    def hang_up(self) -> None:
        """The receptionist hung up: the line closes."""
        self.inputs.put_nowait(LineClosed("receptionist hung up"))

    def transfer(self, target: str) -> None:
        """A simulated call cannot reach anyone: say so and close the line."""
        print(f"  -- the receptionist transfers the call to {target}", flush=True)
        self.inputs.put_nowait(LineClosed("transferred"))

    def ring(self, target: str, ring_timeout_s: float) -> str:
        """A simulated call cannot ring anyone: the leg fails at once (503)."""
        print(f"  -- the receptionist rings {target} (a simulated call cannot: no answer)", flush=True)
        self.inputs.put_nowait(LegFailed(503))
        return "simulated-leg"

    def join(self, leg_key: str) -> None:
        """Nothing to join in a simulation."""

    def extend(self, frames: list[bytes]) -> None:
        """Keep the frames as heard."""
        self.heard.extend(frames)

    def clear(self) -> int:
        """Nothing is queued: the caller heard it all."""
        return 0

    def __len__(self) -> int:
        return 0


def read_wav(path: Path) -> list[bytes]:
    """Any mono or stereo 16-bit WAV as 20 ms frames at 16 kHz."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (OSError, wave.Error, EOFError) as exc:
        raise ApplianceError(f"cannot read {path} as a WAV file: {exc}") from exc
    if width != 2:
        raise ApplianceError(f"{path}: need 16-bit PCM WAV (try: sox {path} -b 16 out.wav)")
    pcm = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)[:, 0]
    return to_frames(resample(pcm, rate, SAMPLE_RATE), FRAME_SAMPLES)


def _print(event: CallEvent) -> None:
    if isinstance(event, TurnSpoken):
        who = "caller" if event.speaker is Speaker.CALLER else "receptionist"
        timing = ", ".join(f"{k}={v:.0f}" for k, v in event.timings.items())
        print(f"[{event.start:6.2f}s] {who}: {event.text}" + (f"   ({timing})" if timing else ""), flush=True)
    elif isinstance(event, Interrupted | ErrorRaised):
        print(f"  -- {event}", flush=True)
    elif isinstance(event, CallEnded):
        print(f"call ended: {event.outcome.value} ({event.reason})", flush=True)


async def _feed(inputs: Inputs, texts: list[str], wavs: list[Path], replied: asyncio.Event) -> None:
    await replied.wait()  # the greeting
    silence = [bytes(FRAME_SAMPLES * 2)] * int(TAIL_SILENCE_S * 50)
    for path in wavs:
        replied.clear()
        for frame in read_wav(path) + silence:
            inputs.put_nowait(AudioIn(frame))
            await asyncio.sleep(0.02)
        await replied.wait()
    for text in texts:
        replied.clear()
        inputs.put_nowait(CallerText(text))
        await replied.wait()
    inputs.put_nowait(LineClosed())


async def simulate(settings: Settings, texts: list[str], wavs: list[Path], profile_path: Path | None,
                   save_audio: Path | None, *, called: str = "", clock: Clock | None = None) -> int:
    """Run one simulated call to `called` (which brand answers; the default brand when empty) and print every
    turn; returns a process exit code."""
    profile = _profile(settings, profile_path).brand_for(called, settings.business.default_region)
    engines = await asyncio.to_thread(load_engines, settings, shared_registry())
    ctx = await build_context(settings, engines, profile, clock)
    inputs: Inputs = asyncio.Queue()
    line = SimulatedLine(inputs)
    replied = asyncio.Event()

    def emit(event: CallEvent) -> None:
        _print(event)
        if isinstance(event, TurnSpoken) and event.speaker is Speaker.RECEPTIONIST:
            replied.set()

    started = CallStarted("simulated", "simulator", called or "simulate", time.time(), codec="L16/16000",
                          brand=profile.id)
    run = CallRun(ctx, started, line, emit)
    feeder = asyncio.ensure_future(_feed(inputs, texts, [Path(w) for w in wavs], replied))
    await run.run(inputs)
    feeder.cancel()
    if save_audio:
        _save(save_audio, line.heard)
    return 0


def _profile(settings: Settings, path: Path | None) -> Profile:
    """The file given, else what the appliance answers from: the stored live version, or the profile file when it
    is newer or nothing is stored yet."""
    if path is not None or not settings.database_path.exists():
        return load_profiles(path or settings.business.profile)
    store = CallStore.open(settings)
    try:
        return LiveProfile(store, settings.business.profile).current()
    finally:
        store.close()


def _save(path: Path, frames: list[bytes]) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(b"".join(frames))
    print(f"saved the receptionist's audio to {path}")
