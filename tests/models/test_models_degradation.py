"""Degradation through the real call code and the real models, with faults injected into real engines: speech
recognition that dies after the first turn puts the caller on the keypad menu, where a message is still taken and
the call is stored as `fallback`; a voice that cannot make the fixed phrases stops the start with a clear error."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from model_test_audio import read_wav, resample

from appliance.bus import EventBus
from appliance.call.audio import Pcm, to_frames
from appliance.call.context import build_context
from appliance.call.engines import Engines
from appliance.call.events import CallStarted, Speaker, TurnSpoken
from appliance.call.inputs import AudioIn, Inputs, KeyPressed, LineClosed
from appliance.call.run import CallRun
from appliance.call.sentences import split_sentences
from appliance.clock import Clock
from appliance.config import CallSettings, Settings
from appliance.errors import ApplianceError, ErrorCode
from appliance.reception.phrasebook import KEYPAD_MENU, MESSAGE_ASK, TAKEN, UNTRANSCRIBED
from appliance.reception.profile import BusinessProfile
from appliance.reception.summary import summarize
from appliance.storage.calllog import CallLog
from appliance.storage.store import CallStore
from models import ChatModel, Synthesizer, Transcriber
from sip.media import FRAME_SAMPLES
from tests.unit.test_callrun import FakeLine

pytestmark = pytest.mark.models
CALLER = "+12025550123"


class DiesAfterFirstTurn(Transcriber):
    """The real speech-to-text model, which fails from the second utterance on (a fault injected)."""

    def __init__(self, real: Transcriber) -> None:  # no second model load: the real one does the work
        self.real, self.calls = real, 0

    def transcribe(self, audio: npt.NDArray[Any], sample_rate: int = 16000, *,
                   initial_prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("CUDA error: out of memory (injected)")
        return self.real.transcribe(audio, sample_rate, initial_prompt=initial_prompt, terms=terms)


class Mute(Synthesizer):
    """The real voice, broken: it raises, or it makes no sound."""

    def __init__(self, real: Synthesizer, error: Exception | None) -> None:
        self.real, self.error = real, error

    @property
    def sample_rate(self) -> int:
        return self.real.sample_rate

    def synthesize(self, text: str) -> npt.NDArray[np.int16]:
        if self.error is not None:
            raise self.error
        return np.zeros(0, dtype=np.int16)


async def play(line: FakeLine, heard: bytearray) -> None:
    """Play the line's queued frames much faster than real time; keep what the caller heard."""
    while True:
        if (frame := line.playout.pop()) is not None:
            heard += frame
        await asyncio.sleep(0.0005)


def espeak(text: str, folder: Path) -> Pcm:
    path = folder / f"{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    audio, rate = read_wav(path)
    return (resample(audio, rate) * 32767).astype(np.int16)


@pytest.fixture
def profile() -> BusinessProfile:
    text = (Path(__file__).parents[2] / "appliance" / "business_template.toml").read_text(encoding="utf-8")
    return BusinessProfile.model_validate(tomllib.loads(text))


async def test_speech_recognition_dying_mid_call_puts_it_on_the_menu_and_a_message_is_stored(
        profile: BusinessProfile, transcriber: Transcriber, chat_model: ChatModel, synthesizer: Synthesizer,
        tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed; it is the caller's voice")
    engines = Engines(DiesAfterFirstTurn(transcriber), chat_model, synthesizer)
    settings = Settings()
    # the real fixed phrases, made by the real voice; a Wednesday at 10 AM in New York, when the practice is open
    ctx = await build_context(settings, engines, profile, Clock(datetime(2026, 12, 2, 15, 0, tzinfo=UTC)))
    ctx = dataclasses.replace(ctx, call=CallSettings.model_construct(
        **(settings.call.model_dump() | {"reply_deadline_s": 30.0})))  # a slow shared box is not the fault here
    bus, store = EventBus(), CallStore(tmp_path / "receptionist.db", tmp_path / "master.key")
    bus.subscribe(CallLog(store, tmp_path / "recordings", summarize), name="call-log", backlog=None)
    inputs: Inputs = asyncio.Queue()
    line, said, caller_heard = FakeLine(inputs), [], bytearray()
    run = CallRun(ctx, CallStarted("c1", CALLER, "frontdesk", 1.0), line,
                  lambda event: (said.append(event), bus.publish("c1", event)))
    player = asyncio.ensure_future(play(line, caller_heard))
    outcome = asyncio.ensure_future(run.run(inputs))

    async def receptionist(text: str) -> None:
        while not any(isinstance(e, TurnSpoken) and e.speaker is Speaker.RECEPTIONIST and e.text.startswith(text)
                      for e in said):
            await asyncio.sleep(0.02)

    def speak(text: str) -> None:
        for frame in [bytes(640)] * 10 + to_frames(espeak(text, tmp_path), FRAME_SAMPLES) + [bytes(640)] * 40:
            inputs.put_nowait(AudioIn(frame))

    try:
        await asyncio.wait_for(receptionist(profile.greeting_text.split(".")[0]), 60)
        speak("What are your opening hours?")  # heard: the real model still works
        await asyncio.wait_for(receptionist("We're open"), 60)
        for question in ("Do you take insurance?", "Where are you located?"):  # two turns it fails on
            speak(question)
        await asyncio.wait_for(receptionist(KEYPAD_MENU), 60)
        inputs.put_nowait(KeyPressed("1"))
        await asyncio.wait_for(receptionist(MESSAGE_ASK), 60)
        speak("This is Bo Lin, please call me back about my crown.")
        await asyncio.wait_for(receptionist(TAKEN), 60)
        inputs.put_nowait(LineClosed("caller hung up"))
        await asyncio.wait_for(outcome, 60)
    finally:
        player.cancel()
        outcome.cancel()
        bus.close()
    try:
        check_stored(store)
    finally:
        store.close()
    options = split_sentences(KEYPAD_MENU)[-1]  # "Press 1 to leave a message, or press 0 for the front desk."
    spoken = b"".join(await ctx.phrases.frames(options))
    assert spoken in caller_heard  # the caller heard the menu's options, as the real voice said them
    heard = transcriber.transcribe(np.frombuffer(spoken, dtype="<i2")).lower()
    assert all(word in heard for word in ("leave", "message", "front desk")), heard  # the voice varies a little


def check_stored(store: CallStore) -> None:
    """The call is stored as a fallback call, with the message the caller left on the menu."""
    [row] = store.recent_calls(5)
    call = store.call(str(row["id"]))
    assert call["outcome"] == "fallback"
    [message] = store.messages(str(call["contact_id"]))
    assert message["callback_number"] == CALLER and message["reason"] == UNTRANSCRIBED
    assert [json.loads(e["data"])["code"] for e in call["events"] if e["kind"] == "error"] == ["stt-failed"] * 3


@pytest.mark.parametrize("error", [RuntimeError("onnxruntime: bad allocation"), None], ids=["raises", "silent"])
async def test_a_voice_that_cannot_make_the_fixed_phrases_stops_the_start(
        profile: BusinessProfile, transcriber: Transcriber, chat_model: ChatModel, synthesizer: Synthesizer,
        error: Exception | None) -> None:
    engines = Engines(transcriber, chat_model, Mute(synthesizer, error))
    with pytest.raises(ApplianceError) as failed:
        await build_context(Settings(), engines, profile)
    assert failed.value.code is ErrorCode.TTS
    assert "cannot start" in str(failed.value) and "[models] voice" in str(failed.value)
