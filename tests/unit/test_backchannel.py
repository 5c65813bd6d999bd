"""Backchannels, with plain strings and numbers: what a burst said over the receptionist means."""

import pytest

from appliance.call.backchannel import Overlap, is_backchannel, overlap_verdict


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
