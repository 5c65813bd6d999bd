"""Real engines on the real embedded default models: speak, hear, and chat."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from model_test_audio import resample

from models import ChatMessage, ChatModel, Synthesizer, Transcriber
from models.hypotheses import business_words
from tests.e2e.support import SCENARIO_VOICE, espeak_wav
from tests.e2e.support import read_wav as read_16k

pytestmark = pytest.mark.models

SYSTEM = "You are the friendly receptionist of Smith Dental. Answer in one short sentence."
ACTION_SCHEMA = {
    "type": "object",
    "properties": {"action": {"enum": ["answer", "take_message", "transfer", "end"]}},
    "required": ["action"],
}


def _conversation(question: str) -> list[ChatMessage]:
    return [ChatMessage("system", SYSTEM), ChatMessage("user", question)]


def test_voice_speaks_a_sentence(synthesizer: Synthesizer, hours_audio: npt.NDArray[np.int16]) -> None:
    assert synthesizer.sample_rate == 22050
    assert hours_audio.dtype == np.int16 and hours_audio.ndim == 1
    seconds = len(hours_audio) / synthesizer.sample_rate
    assert 1.0 < seconds < 8.0
    rms = float(np.sqrt(np.mean(hours_audio.astype(np.float64) ** 2)))
    assert rms > 300, "audio is (nearly) silent"


def test_voice_returns_nothing_for_empty_text(synthesizer: Synthesizer) -> None:
    assert synthesizer.synthesize("").size == 0
    assert synthesizer.synthesize("   ").size == 0


def test_voice_pauses_between_sentences(synthesizer: Synthesizer) -> None:
    one = synthesizer.synthesize("Hello there.")
    two = synthesizer.synthesize("Hello there. Goodbye now.")
    assert len(two) > len(one) + synthesizer.sample_rate * 0.3


def test_transcriber_hears_the_voice(transcriber: Transcriber, hours_audio: npt.NDArray[np.int16]) -> None:
    text = transcriber.transcribe(resample(hours_audio, 22050)).lower()
    assert "monday" in text and "friday" in text


def test_transcriber_hears_espeak(transcriber: Transcriber, espeak_question: npt.NDArray[np.float32]) -> None:
    assert "open" in transcriber.transcribe(espeak_question).lower()


def test_a_beam_weighs_its_guesses_with_the_business_words(transcriber: Transcriber, tmp_path: Path) -> None:
    """Five guesses, the one holding 'billing' kept; a short answer is not written twice (the beam's loop)."""
    beam = Transcriber(transcriber.model_path, beam_size=5)
    terms = business_words(["Ann Lee", "billing", "invoice"])
    for said, heard in (("Can I talk to someone in billing?", "billing"), ("Yes.", "yes")):
        audio = read_16k(espeak_wav(said, tmp_path / "a.wav", SCENARIO_VOICE))
        text = beam.transcribe(audio, initial_prompt="Ann Lee, billing, invoice.", terms=terms)
        assert heard in text.lower()
        assert len(text.split()) <= len(said.split()) + 1, text


def test_an_automatic_beam_is_one_guess_on_a_cpu(transcriber: Transcriber) -> None:
    automatic = Transcriber(transcriber.model_path, device="cpu", beam_size=0)
    assert automatic.beam_size == 1


def test_transcriber_accepts_int16(transcriber: Transcriber, hours_audio: npt.NDArray[np.int16]) -> None:
    pcm16 = (resample(hours_audio, 22050) * 32767).astype(np.int16)
    assert "monday" in transcriber.transcribe(pcm16).lower()


def test_standard_window_agrees(hours_audio: npt.NDArray[np.int16], transcriber: Transcriber) -> None:
    standard = Transcriber(transcriber.model_path, min_window_seconds=None)
    audio = resample(hours_audio, 22050)
    text = standard.transcribe(audio, initial_prompt="Smith Dental, opening hours").lower()
    assert "monday" in text and "friday" in text


def test_transcriber_hears_nothing_in_silence(transcriber: Transcriber) -> None:
    assert transcriber.transcribe(np.zeros(16000, dtype=np.float32)) == ""
    assert transcriber.transcribe(np.zeros(0, dtype=np.float32)) == ""


def test_transcriber_refuses_other_rates_and_stereo(transcriber: Transcriber) -> None:
    with pytest.raises(ValueError, match="16000"):
        transcriber.transcribe(np.zeros(8000, dtype=np.float32), sample_rate=8000)
    with pytest.raises(ValueError, match="mono"):
        transcriber.transcribe(np.zeros((2, 8000), dtype=np.float32))


def test_chat_streams_in_pieces(chat_model: ChatModel) -> None:
    chat_model.warm(SYSTEM)
    pieces = list(chat_model.stream(_conversation("Hello, are you open on Saturday?")))
    assert len(pieces) > 2
    assert "".join(pieces).strip()


def test_chat_stops_early_and_stays_usable(chat_model: ChatModel) -> None:
    seen: list[str] = []
    reply = chat_model.stream(_conversation("Tell me about your services."), should_stop=lambda: bool(seen))
    for piece in reply:
        seen.append(piece)
    assert len(seen) == 1
    abandoned = chat_model.stream(_conversation("Where are you located?"))
    next(abandoned)
    abandoned.close()  # the consumer walks away mid-reply
    assert "".join(chat_model.stream(_conversation("Can I book a cleaning?"))).strip()


def test_chat_waits_for_an_open_stream(chat_model: ChatModel, monkeypatch: pytest.MonkeyPatch) -> None:
    first = chat_model.stream(_conversation("Hello?"))
    next(first)
    monkeypatch.setattr(chat_model, "busy_timeout", 0.2)
    with pytest.raises(TimeoutError, match="left open"):
        next(chat_model.stream(_conversation("Hello again?")))
    first.close()
    assert chat_model.complete_json(_conversation("Bye."), ACTION_SCHEMA)


def test_chat_stream_moves_between_threads(chat_model: ChatModel) -> None:
    reply = chat_model.stream(_conversation("Do you take new patients?"))
    with ThreadPoolExecutor(max_workers=3) as pool:
        pieces = [pool.submit(next, reply, "").result() for _ in range(4)]
        other = pool.submit(chat_model.complete_json, _conversation("Bye."), ACTION_SCHEMA)
        rest = [pool.submit(list, reply).result()]
        assert json.loads(other.result(timeout=30))["action"]
    assert "".join(pieces + rest[0]).strip()


def test_chat_drops_old_turns_to_fit(chat_model: ChatModel) -> None:
    small = ChatModel(chat_model.model_path, n_ctx=512)
    history = [ChatMessage("user" if i % 2 else "assistant", "word " * 100) for i in range(8)]
    messages = [ChatMessage("system", SYSTEM), *history, ChatMessage("user", "Are you open today?")]
    assert "".join(small.stream(messages, max_tokens=8)).strip()
    with pytest.raises(ValueError, match="context"):
        list(small.stream([ChatMessage("system", "word " * 600), ChatMessage("user", "Hi")]))


def test_chat_json_follows_the_schema(chat_model: ChatModel) -> None:
    messages = _conversation("I'd like to leave a message for Dr. Patel, please.")
    messages.append(ChatMessage("user", "Reply with the action to take as JSON."))
    choice = json.loads(chat_model.complete_json(messages, ACTION_SCHEMA))
    assert choice["action"] in {"answer", "take_message", "transfer", "end"}
