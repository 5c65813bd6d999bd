"""A call's run as a stage: frames and fakes in, typed events out (the real engines are tested elsewhere)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from appliance.call import engines as engines_module
from appliance.call.audio import Pcm
from appliance.call.context import VOCABULARY_CHARS, RunContext, fixed_phrases, vocabulary
from appliance.call.engines import Engines
from appliance.call.events import (
    Backchannel,
    CallEnded,
    CallEvent,
    CallStarted,
    DtmfPressed,
    ErrorRaised,
    Interrupted,
    MessageTaken,
    Outcome,
    Speaker,
    TransferFailed,
    Transferring,
    TurnSpoken,
)
from appliance.call.inputs import (
    AudioIn,
    CallerText,
    CallInput,
    Inputs,
    KeyPressed,
    LegAnswered,
    LegAudio,
    LegEnded,
    LegFailed,
    LegKey,
    LineClosed,
    TransferResult,
)
from appliance.call.run import CallRun
from appliance.call.speech import PhraseCache
from appliance.call.turns import TurnConfig
from appliance.call.warm import hold_tone
from appliance.clock import Clock
from appliance.config import CallSettings
from appliance.errors import StageError
from appliance.reception.phrasebook import (
    DIDNT_CATCH,
    FALLBACK,
    KEYPAD_MENU,
    MESSAGE_PROMPT,
    STILL_THERE,
    TOLD,
    UNTRANSCRIBED,
)
from appliance.reception.plans import sympathy_fits
from appliance.reception.policy import system_prompt
from appliance.reception.profile import BusinessProfile
from models import ChatMessage
from sip.media import FRAME_SAMPLES, SILENCE, FrameQueue
from tests.unit.test_engines import StuckChat

OPEN_HOURS = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York: open
VOICE = (np.sin(np.arange(FRAME_SAMPLES) / 3) * 8000).astype("<i2").tobytes()
QUIET = bytes(FRAME_SAMPLES * 2)


@dataclass
class FakeEngines(Engines):
    """Engines with scripted answers: what the caller 'said', what the LLM 'writes', a voice of tones."""

    heard: list[str] = field(default_factory=list)
    llm_pieces: list[str] = field(default_factory=lambda: ["We are happy", " to help. "])
    llm_error: Exception | None = None
    tts_error: Exception | None = None
    stt_error: Exception | None = None
    stt_delay: float = 0.0
    llm_delay: float = 0.0

    async def transcribe(self, pcm: Pcm, prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        await asyncio.sleep(self.stt_delay)
        if self.stt_error:
            raise self.stt_error
        return self.heard.pop(0) if self.heard else ""

    async def synthesize(self, text: str, rate: int = 16000) -> Pcm:
        if self.tts_error:
            raise self.tts_error
        return np.full(rate // 10, 1000, dtype=np.int16)  # 100 ms per sentence

    async def stream_chat(self, messages: list[ChatMessage], max_tokens: int = 80) -> AsyncGenerator[str, None]:
        if self.llm_error:
            raise self.llm_error
        await asyncio.sleep(self.llm_delay)
        for piece in self.llm_pieces:
            yield piece


class FakeLine:
    """A call-control port over a plain frame queue: hang-ups close the line at once."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs, self.playout = inputs, FrameQueue()
        self.hangups: list[bool] = []
        self.transfers: list[str] = []
        self.rings: list[str] = []
        self.joined: list[str] = []

    def hang_up(self) -> None:
        self.hangups.append(True)
        self.inputs.put_nowait(LineClosed("receptionist hung up"))

    def transfer(self, target: str) -> None:
        self.transfers.append(target)

    def ring(self, target: str, ring_timeout_s: float) -> str:
        self.rings.append(target)
        return f"leg{len(self.rings)}"

    def join(self, leg_key: str) -> None:
        self.joined.append(leg_key)

    def extend(self, frames: list[bytes]) -> None:
        self.playout.extend(frames)

    def clear(self) -> int:
        return self.playout.clear()

    def __len__(self) -> int:
        return len(self.playout)


@dataclass
class Harness:
    run: CallRun
    inputs: Inputs
    playout: FrameQueue
    events: list[CallEvent]
    hangups: list[bool]
    line: FakeLine

    def say(self, frames_voiced: int, frames_quiet: int = 40) -> None:
        for frame in [VOICE] * frames_voiced + [QUIET] * frames_quiet:
            self.inputs.put_nowait(AudioIn(frame))

    def type(self, text: str) -> None:
        self.inputs.put_nowait(CallerText(text))

    def caller_hangs_up(self) -> None:
        self.inputs.put_nowait(LineClosed("caller hung up"))

    def turns(self, speaker: Speaker | None = None) -> list[TurnSpoken]:
        return [e for e in self.events if isinstance(e, TurnSpoken) and (speaker is None or e.speaker is speaker)]


def make(profile: BusinessProfile, engines: FakeEngines, *, llm_answers: bool = False, **call: Any) -> Harness:
    settings = CallSettings.model_construct(**(CallSettings().model_dump() | call))
    ctx = RunContext(profile, engines, PhraseCache(engines), settings, TurnConfig(), system_prompt(profile),
                     vocabulary(profile), llm_answers_questions=llm_answers, clock=Clock(OPEN_HOURS))
    inputs: Inputs = asyncio.Queue()
    line, events = FakeLine(inputs), []
    started = CallStarted("c1", "5550100", "desk", 1.0, "Ann", "127.0.0.1:5060", "PCMU", "sip-id")
    return Harness(CallRun(ctx, started, line, events.append), inputs, line.playout, events, line.hangups, line)


async def drain(playout: FrameQueue) -> None:
    """Play queued frames much faster than real time."""
    while True:
        playout.pop()
        await asyncio.sleep(0.0005)


async def converse(h: Harness, until: float = 3.0, *, play: bool = True) -> Outcome:
    player = asyncio.ensure_future(drain(h.playout)) if play else None
    try:
        return await asyncio.wait_for(h.run.run(h.inputs), until)
    finally:
        if player:
            player.cancel()


@pytest.fixture
def engines() -> FakeEngines:
    return FakeEngines(None, None, None)  # type: ignore[arg-type]


async def test_a_spoken_question_gets_the_hours_and_the_call_is_recorded(profile: BusinessProfile,
                                                                        engines: FakeEngines) -> None:
    engines.heard = ["What are your opening hours?"]
    h = make(profile, engines)
    h.say(50, 60)

    async def hang_up_after_reply() -> None:
        while len(h.turns(Speaker.RECEPTIONIST)) < 2:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(hang_up_after_reply())
    assert await converse(h) is Outcome.ANSWERED
    await watcher
    greeting, caller, reply = h.turns()
    assert greeting.text == profile.greeting_text
    assert caller.speaker is Speaker.CALLER and caller.text == "What are your opening hours?"
    assert "Monday to Friday from 8 AM to 5 PM" in reply.text
    assert {"eot_wait_ms", "stt_ms", "voice_to_voice_ms"} <= set(reply.timings)
    assert isinstance(h.events[-1], CallEnded) and h.events[-1].reason == "caller hung up"


async def test_caller_speech_over_the_greeting_interrupts_it(profile: BusinessProfile, engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.say(30, 0)  # 600 ms of speech while the greeting is still queued (nobody plays it out)
    h.caller_hangs_up()
    await converse(h, play=False)
    assert any(isinstance(e, Interrupted) for e in h.events)
    assert len(h.playout) == 0


async def test_a_short_backchannel_does_not_interrupt(profile: BusinessProfile, engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.say(10, 5)  # 200 ms "mm-hm"
    h.caller_hangs_up()
    await converse(h, play=False)
    assert not any(isinstance(e, Interrupted) for e in h.events)


async def test_a_backchannel_over_the_greeting_is_not_answered(profile: BusinessProfile,
                                                               engines: FakeEngines) -> None:
    engines.heard = ["Mm-hmm."]
    h = make(profile, engines)
    h.say(15, 40)  # 300 ms "mm-hm" while the greeting is still queued (nobody plays it out)
    h.caller_hangs_up()
    await converse(h, play=False)
    assert [e.text for e in h.events if isinstance(e, Backchannel)] == ["Mm-hmm."]
    assert not any(isinstance(e, Interrupted) for e in h.events)
    assert h.turns(Speaker.CALLER) == [] and len(h.turns(Speaker.RECEPTIONIST)) == 1  # the greeting, no reply


async def test_short_real_words_over_a_reply_interrupt_it_once_heard(profile: BusinessProfile,
                                                                     engines: FakeEngines) -> None:
    engines.heard = ["Wait, where are you?"]
    h = make(profile, engines)
    h.say(20, 40)  # 400 ms: too short to interrupt before its words are known

    async def hang_up_after_answer() -> None:
        while not any(isinstance(e, Interrupted) for e in h.events):  # the greeting plays on until then
            await asyncio.sleep(0.01)
        player = asyncio.ensure_future(drain(h.playout))
        while len(h.turns(Speaker.RECEPTIONIST)) < 2:
            await asyncio.sleep(0.01)
        player.cancel()
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(hang_up_after_answer())
    await converse(h, play=False)
    await watcher
    assert [t.text for t in h.turns(Speaker.CALLER)] == ["Wait, where are you?"]
    assert profile.address in h.turns(Speaker.RECEPTIONIST)[-1].text


async def test_silence_asks_once_then_says_goodbye_and_hangs_up(profile: BusinessProfile,
                                                                engines: FakeEngines) -> None:
    h = make(profile, engines, no_input_timeout_s=0.3)
    outcome = await converse(h, until=8.0)
    texts = [t.text for t in h.turns(Speaker.RECEPTIONIST)]
    assert texts[1] == STILL_THERE and profile.goodbye_text in texts[2]
    assert h.hangups and outcome is Outcome.ABANDONED
    assert isinstance(h.events[-1], CallEnded) and h.events[-1].reason == "receptionist hung up"


async def test_the_maximum_call_length_ends_the_call_politely(profile: BusinessProfile,
                                                              engines: FakeEngines) -> None:
    h = make(profile, engines, max_call_s=0.3)
    await converse(h, until=8.0)
    assert "time limit" in h.turns(Speaker.RECEPTIONIST)[-1].text and h.hangups


async def test_an_llm_failure_puts_the_call_on_the_keypad_menu(profile: BusinessProfile, engines: FakeEngines) -> None:
    engines.llm_error = RuntimeError("llama_decode returned -1")
    h = make(profile, engines)
    h.type("I will bring my dog.")

    async def caller() -> None:
        await receptionist_said(h, KEYPAD_MENU)
        h.inputs.put_nowait(KeyPressed("1"))
        await receptionist_said(h, "Please tell me your name")
        h.type("This is Bo, call me on 555 201 7788 about my crown.")
        await receptionist_said(h, "I've taken your message.")
        h.caller_hangs_up()

    driver = asyncio.ensure_future(caller())
    assert await converse(h, until=8.0) is Outcome.FALLBACK
    await driver
    assert [e.code for e in h.events if isinstance(e, ErrorRaised)] == ["llm-failed"]
    [message] = [e for e in h.events if isinstance(e, MessageTaken)]
    assert message.name == "Bo" and message.callback_number == "+15552017788"


async def test_phrases_preloaded_before_the_first_call_stay_however_much_else_is_said(engines: FakeEngines) -> None:
    cache = PhraseCache(engines, limit=2)
    await cache.preload([KEYPAD_MENU])
    for n in range(5):  # fresh sentences (the LLM's) fill the cache and go, least recently used first
        await cache.frames(f"Sentence {n}.")
    engines.tts_error = RuntimeError("voice gone")
    assert await cache.frames(KEYPAD_MENU)  # still there: no voice needed
    with pytest.raises(StageError):
        await cache.frames("Sentence 0.")


@dataclass
class StuckLlmEngines(FakeEngines):
    """Fake speech, and the real LLM turn-taking over a chat model stuck inside a reply."""

    async def stream_chat(self, messages: list[ChatMessage], max_tokens: int = 80) -> AsyncGenerator[str, None]:
        async for piece in Engines.stream_chat(self, messages, max_tokens):
            yield piece


async def test_a_stuck_llm_puts_the_call_on_the_menu_and_the_call_still_ends(profile: BusinessProfile,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines_module, "STOP_WAIT_S", 0.1)
    chat = StuckChat()
    engines = StuckLlmEngines(None, chat, None, heard=["We just moved here from Ohio."])  # type: ignore[arg-type]
    h = make(profile, engines, reply_deadline_s=0.5)
    try:
        assert await speak_until_the_menu(h) is Outcome.FALLBACK  # ended although the LLM's thread never came back
        assert [e.code for e in h.events if isinstance(e, ErrorRaised)] == ["overloaded"]
        assert isinstance(h.events[-1], CallEnded)
        await asyncio.sleep(0.3)  # the given-up reply waited STOP_WAIT_S for its thread, then left it behind
        assert engines.llm_stuck_s is not None
    finally:
        chat.release.set()


async def test_ungrounded_llm_sentences_are_not_spoken(profile: BusinessProfile, engines: FakeEngines) -> None:
    engines.llm_pieces = ["No, pets are forbidden by the landlord's insurance policy. "]
    h = make(profile, engines)
    h.type("I will bring my dog.")
    h.caller_hangs_up()
    await converse(h)
    assert h.turns(Speaker.RECEPTIONIST)[-1].text == TOLD  # told, not asked: no "I can't help with that"


async def test_a_question_the_llm_strays_on_gets_the_plain_fallback(profile: BusinessProfile,
                                                                    engines: FakeEngines) -> None:
    engines.llm_pieces = ["No, pets are forbidden by the landlord's insurance policy. "]
    h = make(profile, engines, llm_answers=True)  # a larger model's tier answers questions itself
    h.type("Can I bring my dog?")
    h.caller_hangs_up()
    await converse(h)
    assert h.turns(Speaker.RECEPTIONIST)[-1].text == FALLBACK


async def test_sympathy_for_nothing_told_is_not_spoken(profile: BusinessProfile, engines: FakeEngines) -> None:
    engines.llm_pieces = ["I'm so sorry to hear that. "]
    h = make(profile, engines)
    h.type("It's my first time calling.")
    h.caller_hangs_up()
    await converse(h)
    assert h.turns(Speaker.RECEPTIONIST)[-1].text == TOLD


def test_sympathy_fits_only_what_the_caller_told() -> None:
    assert not sympathy_fits("I'm so sorry to hear that.", "It's my first time calling.")
    assert not sympathy_fits("I'm sorry for your loss.", "My neighbour recommended you.")
    assert sympathy_fits("I'm so sorry to hear that.", "My tooth has been hurting since Sunday.")
    assert sympathy_fits("I'm sorry to hear you're worried.", "I am a bit nervous about dentists.")
    assert sympathy_fits("Thank you for calling us.", "It's my first time calling.")


async def test_a_dropped_sentence_is_logged_without_its_words(profile: BusinessProfile, engines: FakeEngines,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    engines.llm_pieces = ["Bring Rex the dog, Ann Canary, on the landlord's insurance policy. "]
    h = make(profile, engines)
    h.type("I will bring Rex the dog.")
    h.caller_hangs_up()
    with caplog.at_level("DEBUG"):
        await converse(h)
    assert "dropped an ungrounded LLM sentence (" in caplog.text
    for words in ("Rex", "Canary", "landlord"):
        assert words not in caplog.text, words


async def test_a_dead_voice_ends_the_call_with_a_coded_error(profile: BusinessProfile, engines: FakeEngines) -> None:
    engines.tts_error = RuntimeError("onnxruntime: bad allocation")
    h = make(profile, engines)
    assert await converse(h) is Outcome.FAILED
    errors = [e for e in h.events if isinstance(e, ErrorRaised)]
    assert errors and errors[0].code == "tts-failed" and "bad allocation" in errors[0].message
    assert h.hangups and isinstance(h.events[-1], CallEnded)


async def test_words_said_just_before_hanging_up_are_kept(profile: BusinessProfile, engines: FakeEngines) -> None:
    engines.heard = ["Please call me back tomorrow"]
    engines.stt_delay = 0.3  # still transcribing when the line drops
    h = make(profile, engines)
    h.say(40, 30)  # the turn ends (500 ms of silence), then the caller hangs up at once
    h.caller_hangs_up()
    assert await converse(h) is Outcome.ANSWERED
    assert [t.text for t in h.turns(Speaker.CALLER)] == ["Please call me back tomorrow"]
    assert isinstance(h.events[-1], CallEnded)


async def test_an_utterance_cut_by_the_hang_up_is_transcribed(profile: BusinessProfile,
                                                              engines: FakeEngines) -> None:
    engines.heard = ["I wanted to ask about"]
    h = make(profile, engines)
    h.say(40, 0)  # speaking when the line drops
    h.caller_hangs_up()
    await converse(h)
    assert [t.text for t in h.turns(Speaker.CALLER)] == ["I wanted to ask about"]


async def test_a_caller_leaves_a_message_and_corrects_its_number(profile: BusinessProfile,
                                                                 engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.type("I'd like to book an appointment for next week.")
    h.type("This is Ana, please call me back on 555 123 4567.")
    h.type("No, it's five five five, one two three, four five six eight.")
    h.type("Yes, that's right.")
    h.type("No, thanks.")
    assert await converse(h) is Outcome.MESSAGE_TAKEN
    said = [t.text for t in h.turns(Speaker.RECEPTIONIST)]
    assert said[1] == MESSAGE_PROMPT
    assert said[2].endswith("five five five, one two three, four five six seven. Is that right?")
    assert said[3].endswith("five five five, one two three, four five six eight. Is that right?")
    assert said[4].startswith("I've taken your message. The team will call you back.")
    assert said[5] == profile.goodbye_text and h.hangups
    [message] = [e for e in h.events if isinstance(e, MessageTaken)]
    assert (message.name, message.callback_number, message.urgency, message.number_confirmed) == (
        "Ana", "+15551234568", "normal", True)
    assert message.reason == "This is Ana, please call me back on 555 123 4567."


async def test_hanging_up_during_the_read_back_keeps_the_message(profile: BusinessProfile,
                                                                 engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.type("Can you take a message?")
    h.type("This is Ana, please call me back on 555 123 4567.")
    h.caller_hangs_up()  # while the number is read back
    assert await converse(h) is Outcome.MESSAGE_TAKEN
    message, ended = h.events[-2:]
    assert isinstance(message, MessageTaken) and isinstance(ended, CallEnded)
    assert (message.callback_number, message.number_confirmed) == ("+15551234567", False)


async def test_a_message_said_just_before_hanging_up_is_taken(profile: BusinessProfile,
                                                              engines: FakeEngines) -> None:
    engines.heard = ["It's Bob, my filling broke, it's urgent."]
    h = make(profile, engines)
    h.type("Can you take a message?")
    h.say(40, 30)  # the message, then the caller hangs up at once
    h.caller_hangs_up()
    assert await converse(h) is Outcome.MESSAGE_TAKEN
    [message] = [e for e in h.events if isinstance(e, MessageTaken)]
    assert (message.name, message.callback_number, message.urgency) == ("Bob", "5550100", "urgent")


def test_whisper_is_primed_with_the_business_words(profile: BusinessProfile) -> None:
    primed = vocabulary(profile)
    assert primed.startswith("Maple Street Dental, Cleaning") and "Do you accept insurance?" in primed
    assert "book an appointment" in primed and len(primed) <= VOCABULARY_CHARS


async def test_key_presses_reach_the_run(profile: BusinessProfile, engines: FakeEngines) -> None:
    h = make(profile, engines)
    for digit in "1#":
        h.inputs.put_nowait(KeyPressed(digit))
    h.caller_hangs_up()
    await converse(h)
    assert [e.digit for e in h.events if isinstance(e, DtmfPressed)] == ["1", "#"]


async def test_a_caller_is_put_through_and_the_call_ends_as_transferred(clinic: BusinessProfile,
                                                                         engines: FakeEngines) -> None:
    h = make(blind(clinic), engines)
    h.type("Can I speak with Ann Lee, please?")

    async def line_goes_after_the_transfer() -> None:
        while not h.line.transfers:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()  # the caller's phone followed the REFER: our leg ends

    watcher = asyncio.ensure_future(line_goes_after_the_transfer())
    assert await converse(h, until=8.0) is Outcome.TRANSFERRED
    await watcher
    assert h.line.transfers == ["201"]
    [started] = [e for e in h.events if isinstance(e, Transferring)]
    assert (started.member, started.target) == ("ann", "201")
    assert isinstance(h.events[-1], CallEnded) and h.events[-1].reason == "transferred:201"


async def test_a_failed_transfer_comes_back_with_a_message_offer(clinic: BusinessProfile,
                                                                 engines: FakeEngines) -> None:
    h = make(blind(clinic), engines)
    h.type("Put me through to billing.")
    log: list[bytes] = []
    h.playout.sent_log = log
    held: list[bytes] = []

    async def busy_then_hang_up() -> None:
        while not h.line.transfers:
            await asyncio.sleep(0.01)
        rang = len(log)
        await asyncio.sleep(0.5)
        held.extend(f for f in log[rang:] if f != SILENCE)  # while the phone rings: the hold tone, not silence
        h.inputs.put_nowait(TransferResult(False, 486))
        while not any(isinstance(e, TransferFailed) for e in h.events) or len(h.turns(Speaker.RECEPTIONIST)) < 3:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(busy_then_hang_up())
    assert await converse(h, until=8.0) is Outcome.ANSWERED
    await watcher
    [failed] = [e for e in h.events if isinstance(e, TransferFailed)]
    assert (failed.member, failed.status) == ("ann", 486) and len(held) > 5 and set(held) <= set(hold_tone())
    assert h.turns(Speaker.RECEPTIONIST)[-1].text.startswith("I'm sorry, Ann Lee isn't available right now.")


async def test_key_zero_puts_the_caller_through_to_the_front_desk(clinic: BusinessProfile,
                                                                  engines: FakeEngines) -> None:
    h = make(blind(clinic), engines)
    h.inputs.put_nowait(KeyPressed("0"))

    async def hang_up_after_transfer() -> None:
        while not h.line.transfers:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(hang_up_after_transfer())
    await converse(h, until=8.0)
    await watcher
    assert h.line.transfers == ["200"]


def blind(profile: BusinessProfile) -> BusinessProfile:
    """The profile with every team member transferred blind (SIP REFER)."""
    team = [m.model_copy(update={"transfer": "blind"}) for m in profile.team]
    return profile.model_copy(update={"team": team})


class FakeLeg:
    """A team member's line: what the receptionist played to it, and whether it was hung up."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []
        self.hung_up = False

    def extend(self, frames: list[bytes]) -> None:
        self.heard.extend(frames)

    def clear(self) -> int:
        return 0

    def __len__(self) -> int:
        return 0

    def hang_up(self) -> None:
        self.hung_up = True


async def warm_call(h: Harness, answer: list[CallInput], *, leg: FakeLeg | None = None) -> Outcome:
    """The caller asks for Ann Lee (a warm transfer); once Ann's phone rings, `answer` plays out on her leg."""
    h.type("Can I speak with Ann Lee, please?")

    async def ann() -> None:
        while not h.line.rings:
            await asyncio.sleep(0.01)
        if leg is not None:
            h.inputs.put_nowait(LegAnswered(leg))
            while not leg.heard:  # the brief is being spoken to her
                await asyncio.sleep(0.01)
        for item in answer:
            h.inputs.put_nowait(item)
        while not (h.line.joined or any(isinstance(e, TransferFailed) for e in h.events)):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(ann())
    outcome = await converse(h, until=10.0)
    await watcher
    return outcome


async def test_a_warm_transfer_briefs_the_team_member_and_joins_on_key_1(clinic: BusinessProfile,
                                                                         engines: FakeEngines) -> None:
    h, leg = make(clinic, engines), FakeLeg()
    assert await warm_call(h, [LegKey("1")], leg=leg) is Outcome.TRANSFERRED
    said = [t.text for t in h.turns(Speaker.RECEPTIONIST)]
    assert said[-1] == "One moment, I'll see if Ann Lee is available."
    assert h.line.rings == ["201"] and h.line.joined == ["leg1"] and leg.heard and not leg.hung_up
    assert isinstance(h.events[-1], CallEnded) and h.events[-1].reason == "transferred:201"


async def test_a_warm_transfer_accepted_by_voice(clinic: BusinessProfile, engines: FakeEngines) -> None:
    engines.heard = ["Yes, put them through."]  # what Ann says after the brief
    h, leg = make(clinic, engines), FakeLeg()
    voice = [LegAudio(VOICE)] * 30 + [LegAudio(QUIET)] * 40
    assert await warm_call(h, list(voice), leg=leg) is Outcome.TRANSFERRED
    assert h.line.joined == ["leg1"]


@pytest.mark.parametrize(("answer", "status"), [
    ([LegFailed(486)], 486),  # busy
    ([LegFailed(408), LegEnded()], 408),  # rang out
    ([LegFailed(500), LegEnded()], 500),  # not placed: every call slot of the SIP library is taken
])
async def test_a_warm_transfer_that_is_not_answered_offers_a_message(clinic: BusinessProfile, engines: FakeEngines,
                                                                     answer: list[CallInput], status: int) -> None:
    h = make(clinic, engines)
    assert await warm_call(h, answer) is Outcome.ANSWERED
    [failed] = [e for e in h.events if isinstance(e, TransferFailed)]
    assert (failed.member, failed.status) == ("ann", status) and not h.line.joined
    assert h.turns(Speaker.RECEPTIONIST)[-1].text.startswith("I'm sorry, Ann Lee isn't available right now.")


async def test_a_warm_transfer_declined_hangs_up_the_team_members_phone(clinic: BusinessProfile,
                                                                        engines: FakeEngines) -> None:
    h, leg = make(clinic, engines), FakeLeg()
    await warm_call(h, [LegKey("2")], leg=leg)
    assert leg.hung_up and [e.status for e in h.events if isinstance(e, TransferFailed)] == [603]


async def test_silence_after_the_brief_counts_as_no(clinic: BusinessProfile, engines: FakeEngines) -> None:
    h, leg = make(clinic, engines, transfer_answer_s=0.3), FakeLeg()
    await warm_call(h, [], leg=leg)
    assert leg.hung_up and [e.status for e in h.events if isinstance(e, TransferFailed)] == [408]


class SpeakingLeg(FakeLeg):
    """A team member's line that is still playing the brief until `playing` is cleared."""

    playing = True

    def __len__(self) -> int:
        return int(self.playing)


async def test_an_answer_begun_over_the_brief_is_not_taken(clinic: BusinessProfile, engines: FakeEngines) -> None:
    """Ann talks over the brief's end: what is heard of it after the brief is a cut-off tail (the tiny model
    can read 'No.' into one), so only an answer she begins once the brief has ended counts."""
    engines.heard = ["Yes, put them through."]
    h, leg = make(clinic, engines, transfer_answer_s=0.5), SpeakingLeg()
    h.type("Can I speak with Ann Lee, please?")

    async def ann() -> None:
        while not h.line.rings:
            await asyncio.sleep(0.01)
        h.inputs.put_nowait(LegAnswered(leg))
        while not leg.heard:
            await asyncio.sleep(0.01)
        for _ in range(20):  # she starts speaking while the brief still plays
            h.inputs.put_nowait(LegAudio(VOICE))
        await asyncio.sleep(0.2)
        leg.playing = False
        await asyncio.sleep(0.2)
        for item in [LegAudio(VOICE)] * 10 + [LegAudio(QUIET)] * 40:  # ... and ends after it
            h.inputs.put_nowait(item)
        while not (h.line.joined or any(isinstance(e, TransferFailed) for e in h.events)):
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(ann())
    await converse(h, until=10.0)
    await watcher
    assert [e.status for e in h.events if isinstance(e, TransferFailed)] == [408] and not h.line.joined


async def test_a_dead_voice_puts_the_call_on_the_keypad_menu(clinic: BusinessProfile, engines: FakeEngines) -> None:
    h = make(clinic, engines)
    await h.run.ctx.phrases.preload(fixed_phrases(clinic))  # what the appliance synthesizes before any call
    engines.tts_error = RuntimeError("onnxruntime: bad allocation")  # then the voice dies
    h.type("Are you open this Sunday?")  # a fresh answer: it cannot be spoken

    async def receptionist_said(text: str) -> None:
        while not any(t.text.startswith(text) for t in h.turns(Speaker.RECEPTIONIST)):
            await asyncio.sleep(0.01)

    async def caller() -> None:
        await receptionist_said(KEYPAD_MENU)
        h.inputs.put_nowait(KeyPressed("1"))
        await receptionist_said("Please tell me your name")
        h.type("This is Bo, my crown is loose, call me on 555 201 7788.")
        await receptionist_said("I've taken your message.")
        h.inputs.put_nowait(KeyPressed("0"))
        while not h.line.transfers:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    driver = asyncio.ensure_future(caller())
    assert await converse(h, until=8.0) is Outcome.FALLBACK  # the call is logged as a fallback call
    await driver
    [message] = [e for e in h.events if isinstance(e, MessageTaken)]
    assert message.name == "Bo" and message.callback_number == "+15552017788"
    assert h.line.transfers == ["200"]  # key 0: the front desk, blind (a warm brief needs the voice)
    assert [e.code for e in h.events if isinstance(e, ErrorRaised)] == ["tts-failed"]


async def test_the_keypad_menu_alone_is_the_fallback_outcome(clinic: BusinessProfile, engines: FakeEngines) -> None:
    h = make(clinic, engines)
    await h.run.ctx.phrases.preload(fixed_phrases(clinic))
    engines.tts_error = RuntimeError("voice gone")
    h.type("Are you open this Sunday?")

    async def hang_up_after_menu() -> None:
        while KEYPAD_MENU not in [t.text for t in h.turns(Speaker.RECEPTIONIST)]:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(hang_up_after_menu())
    assert await converse(h, until=8.0) is Outcome.FALLBACK
    await watcher


async def test_speech_recognition_failing_puts_the_call_on_the_menu_and_a_message_is_still_taken(
        profile: BusinessProfile, engines: FakeEngines) -> None:
    h = make(profile, engines)
    await h.run.ctx.phrases.preload(fixed_phrases(profile))
    engines.stt_error = RuntimeError("whisper: out of memory")

    async def caller() -> None:
        h.say(30)  # not understood: "Sorry, I didn't catch that"
        await receptionist_said(h, DIDNT_CATCH)
        h.say(30)  # again: the keypad menu
        await receptionist_said(h, KEYPAD_MENU)
        h.inputs.put_nowait(KeyPressed("1"))
        await receptionist_said(h, "Please tell me your name")
        h.say(80)  # the message, which speech recognition cannot write down
        await receptionist_said(h, "I've taken your message.")
        h.caller_hangs_up()

    driver = asyncio.ensure_future(caller())
    assert await converse(h, until=8.0) is Outcome.FALLBACK
    await driver
    [message] = [e for e in h.events if isinstance(e, MessageTaken)]
    assert (message.callback_number, message.reason) == ("5550100", UNTRANSCRIBED)
    assert [e.code for e in h.events if isinstance(e, ErrorRaised)] == ["stt-failed"] * 3


async def test_a_reply_that_takes_too_long_puts_the_call_on_the_menu(profile: BusinessProfile,
                                                                     engines: FakeEngines) -> None:
    engines.heard, engines.llm_delay = ["We just moved here from Ohio."], 30.0  # a box too busy to answer
    h = make(profile, engines, reply_deadline_s=0.5)
    assert await speak_until_the_menu(h) is Outcome.FALLBACK
    [error] = [e for e in h.events if isinstance(e, ErrorRaised)]
    caller = h.turns(Speaker.CALLER)[0]
    menu = next(t for t in h.turns(Speaker.RECEPTIONIST) if t.text == KEYPAD_MENU)
    assert error.code == "overloaded" and menu.start - caller.end < 2.0  # the caller's last word to the menu


async def speak_until_the_menu(h: Harness) -> Outcome:
    """The caller speaks (the phrases made before any call are ready), hears the keypad menu and hangs up."""
    await h.run.ctx.phrases.preload(fixed_phrases(h.run.ctx.profile))
    h.say(30)

    async def hang_up_after_menu() -> None:
        await receptionist_said(h, KEYPAD_MENU)
        h.caller_hangs_up()

    watcher = asyncio.ensure_future(hang_up_after_menu())
    outcome = await converse(h, until=8.0)
    await watcher
    return outcome


async def receptionist_said(h: Harness, text: str) -> None:
    while not any(t.text.startswith(text) for t in h.turns(Speaker.RECEPTIONIST)):
        await asyncio.sleep(0.01)


async def test_a_line_that_stops_taking_frames_does_not_hold_the_call(profile: BusinessProfile,
                                                                      engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.type("No thanks, that is all. Bye bye.")
    outcome = await converse(h, until=5.0, play=False)  # nothing plays the frames: the goodbye never leaves
    assert h.hangups and outcome is not None
    assert profile.goodbye_text in [t.text for t in h.turns(Speaker.RECEPTIONIST)][-1]
