"""The semantic end of turn: the judgement of the first pause's words, the detector's hooks, and Listening ending
a finished-sounding turn early, giving an unfinished one longer, and never hurrying a caller who dictates."""

import asyncio

import numpy as np
import pytest

from appliance.call.endofturn import Finished, judge
from appliance.call.listening import Listening, TurnEnd
from appliance.call.turns import TurnConfig, TurnDetector, TurnSignal
from appliance.reception.plan import DICTATION, Expect


@pytest.mark.parametrize("text", [
    "What are your opening hours?", "Is Doctor Okafor in today?", "Yes.", "No", "Thanks.", "Could you put me through?",
    "Hello?", "Yes, it is.", "No, thank you.", "Who can I speak to?",
    "is their parking.", "Do you accept insurance.",  # questions by their word order, the "?" left out
])
def test_finished_words(text: str) -> None:
    assert judge(text) is Finished.YES


@pytest.mark.parametrize("text", [
    "My number is five five five", "Call me back at 555 201", "I'm calling about", "Hi,", "Good morning,",
    "This is Tom Reed.", "My name is Anna Berg.", "It's Dana.", "I wanted to ask about the...", "Hello.",
    "I need to speak with the", "I'd like to, um,", "Can you put me through to -",
])
def test_unfinished_words(text: str) -> None:
    assert judge(text) is Finished.NO


@pytest.mark.parametrize("text", ["", "Mm-hmm.", "Uh-huh.", "Okay so", "Good", "Tooth ache",
                                  "I have a question about my bill.", "I'd like to book a cleaning.",
                                  "It's Sam Cole, about my bill.", "Can you.", "Can you hear me, I",
                                  "What I wanted to ask is", "How much is a cleaning, and", "Do you have.",
                                  "Can you tell me.", "Is it possible.", "How do I put this.", "Do you know."])
def test_words_that_say_nothing_sure(text: str) -> None:
    assert judge(text) in (Finished.UNSURE, Finished.NO)
    assert judge(text) is not Finished.YES


SPEECH, QUIET = -20.0, -80.0


def test_the_detector_ends_a_turn_on_request_and_holds_a_longer_window() -> None:
    detector = TurnDetector(TurnConfig(silence_window_ms=500, early_pause_ms=200))
    for level in [SPEECH] * 20 + [QUIET] * 5:
        detector.push(level)
    assert detector.silence_ms == 100
    assert detector.end_now() is TurnSignal.TURN_ENDED
    assert detector.end_now() is TurnSignal.NONE  # no turn to end
    for level in [SPEECH] * 20:
        detector.push(level)
    detector.hold(1000)
    signals = [detector.push(QUIET) for _ in range(49)]
    assert TurnSignal.TURN_ENDED not in signals
    assert detector.push(QUIET) is TurnSignal.TURN_ENDED
    for level in [SPEECH] * 20 + [QUIET] * 24:  # the next turn has the plain window again
        assert detector.push(level) is not TurnSignal.TURN_ENDED
    assert detector.push(QUIET) is TurnSignal.TURN_ENDED


def _frame(level: float) -> bytes:
    amplitude = 32767 * 10 ** (level / 20)
    return (np.sin(np.arange(320) / 3) * amplitude).astype("<i2").tobytes()


async def _listen(words: str, quiet_frames: int, patient: bool = False) -> tuple[int | None, TurnEnd | None]:
    """Speak 0.6 s, then stay quiet; return at which quiet frame (20 ms each) the turn ended, and the end."""

    async def transcribe(_pcm: np.ndarray) -> str:
        return words

    ears = Listening(TurnConfig(), transcribe, patient=lambda: patient)
    now = 0.0
    for _ in range(30):
        ears.frame(_frame(SPEECH), now)
        now += 0.02
    for index in range(1, quiet_frames + 1):
        heard = ears.frame(_frame(QUIET), now)
        await asyncio.sleep(0)  # the speculative transcription runs
        await asyncio.sleep(0)
        now += 0.02
        if isinstance(heard, TurnEnd):
            return index, heard
    return None, None


async def test_a_finished_question_is_answered_after_the_shorter_silence() -> None:
    ended, end = await _listen("What are your opening hours?", 30)
    assert ended == 15  # 300 ms
    assert end is not None and end.speculative is not None and end.speculative.result().endswith("?")


async def test_unfinished_words_wait_the_longer_window() -> None:
    assert (await _listen("My number is five five five", 60))[0] == 32  # 650 ms, counted in whole frames


async def test_unsure_words_keep_the_plain_window() -> None:
    assert (await _listen("Toothache", 30))[0] == 25  # 500 ms


async def test_a_caller_who_dictates_is_not_hurried() -> None:
    assert (await _listen("This is Anna Berg, call me back please.", 30, patient=True))[0] == 25



def test_a_caller_saying_their_name_dictates_too() -> None:
    """After "May I have your name?" no turn ends early ("Tom. ... Reed."), as for a message or a number."""
    assert Expect.CALLER_NAME in DICTATION and Expect.ANYTHING not in DICTATION
