"""Backchannels, with plain strings and numbers: what a burst said over the receptionist means."""

import pytest

from appliance.call.backchannel import Overheard, Overlap, echoes, is_backchannel, judge, overlap_verdict


@pytest.mark.parametrize("text", ["Yeah.", "Okay.", "Mm-hmm.", "Uh-huh.", "Right.", "Sure.", "OK, OK.", "Mhm.",
                                  "Yeah, yeah, okay.", "I see.", "Got it.", "Thank you.", "", "  ", "Hmm?"])
def test_backchannels(text: str) -> None:
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["Wait.", "No.", "Stop.", "Sorry?", "Hello?", "Wait, actually I need a cleaning.",
                                  "Yeah, but how much is it?", "Okay, what about Saturday?",
                                  "yeah yeah yeah yeah yeah", "Right, the address please."])
def test_real_words(text: str) -> None:
    assert not is_backchannel(text)


def test_a_long_burst_interrupts_before_it_is_transcribed() -> None:
    assert overlap_verdict(600, None, barge_in_ms=600) is Overlap.BARGE_IN


def test_a_short_burst_waits_for_its_words() -> None:
    assert overlap_verdict(300, None, barge_in_ms=600) is Overlap.WAIT
    assert overlap_verdict(300, "Mm-hmm.", barge_in_ms=600) is Overlap.BACKCHANNEL
    assert overlap_verdict(300, "Wait!", barge_in_ms=600) is Overlap.BARGE_IN


GREETING = "Thank you for calling Maple Street Dental. How can I help you today?"


@pytest.mark.parametrize("text", ["Can I help you today?", "Maple Street.", "Calling Maple, how can I help?"])
def test_the_receptionists_own_words_heard_back_are_echo(text: str) -> None:
    assert echoes(text, GREETING)


def test_blurred_echo_is_still_echo() -> None:
    assert echoes("Or maybe record?", "This call may be recorded for quality and training purposes.")


@pytest.mark.parametrize("text", ["Where are you located?", "Hi, I need a cleaning.", "", "Yes."])
def test_the_callers_own_words_are_not_echo(text: str) -> None:
    assert not echoes(text, GREETING)


def test_a_burst_over_the_receptionist_is_judged_by_its_words() -> None:
    assert judge("Mm-hmm.", Overheard(over_reply=True)) is Overlap.BACKCHANNEL
    assert judge("Mm-hmm.", Overheard(over_reply=False)) is Overlap.BARGE_IN  # it had finished: "mm-hm" answers it
    assert judge("How can I help you?", Overheard(True, echo_of=GREETING)) is Overlap.ECHO
    assert judge("How can I help you?", Overheard(True)) is Overlap.BARGE_IN  # no echo on this line
    assert judge("Wait, where are you?", Overheard(True, echo_of=GREETING)) is Overlap.BARGE_IN
