"""Backchannels: the short "yeah", "okay", "mm-hm" a caller says while the receptionist speaks. They neither stop
it nor get a reply of their own. Pure: a speech burst's voiced length and its transcript in, a verdict out. And
the receptionist's own words heard back (`echoes`): on a line with echo, no turn at all.

A burst over the receptionist's speech is judged in two steps. Long enough (the turn detector's `barge_in_ms`)
it interrupts at once: no backchannel lasts that long. Shorter, it interrupts only once its transcript shows
real words; a transcript of backchannel words only (or of no words: a cough, a breath) lets the reply go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.reception.wording import words

# Whisper writes "Mm-hmm." as "mm hmm", "Uh-huh." as "uh huh"; each unit is one or two words.
_UNITS = frozenset({
    "yeah", "yes", "yep", "yup", "ya", "ok", "okay", "k", "right", "sure", "alright", "all right", "uh huh",
    "mm", "mmm", "mhm", "mm hmm", "mm hm", "hmm", "hm", "uh", "um", "ah", "aha", "oh", "oh okay",
    "i see", "got it", "cool", "great", "good", "fine", "perfect", "thanks", "thank you", "exactly", "true",
})
MAX_WORDS = 4  # "yeah, yeah, okay, sure" is still one; a longer burst has something to say
ECHO_SHARE = 0.6  # this share of a burst's words are the receptionist's own: it is their echo


class Overlap(StrEnum):
    """What a burst of caller speech over the receptionist means."""

    WAIT = "wait"  # too short to tell, and no transcript yet
    BACKCHANNEL = "backchannel"  # let the receptionist go on; no reply
    BARGE_IN = "barge-in"  # stop speaking and answer it
    ECHO = "echo"  # the receptionist's own words heard back: no turn at all


@dataclass(frozen=True)
class Overheard:
    """A short burst of caller speech heard while the receptionist spoke: whether it was still speaking when the
    burst ended, and its recent words when the line echoes ("" otherwise)."""

    over_reply: bool
    echo_of: str = ""


def is_backchannel(text: str) -> bool:
    """Whether a transcript holds only backchannel words (no words at all counts: nothing to answer)."""
    said = words(text)
    if len(said) > MAX_WORDS:
        return False
    i = 0
    while i < len(said):
        if " ".join(said[i:i + 2]) in _UNITS and i + 1 < len(said):
            i += 2
        elif said[i] in _UNITS:
            i += 1
        else:
            return False
    return True


def overlap_verdict(voiced_ms: float, text: str | None, barge_in_ms: float) -> Overlap:
    """Judge a burst of caller speech heard while the receptionist speaks: its voiced length so far and, once
    known, its transcript (None: not transcribed yet)."""
    if voiced_ms >= barge_in_ms:
        return Overlap.BARGE_IN
    if text is None:
        return Overlap.WAIT
    return Overlap.BACKCHANNEL if is_backchannel(text) else Overlap.BARGE_IN


def judge(text: str, overheard: Overheard) -> Overlap:
    """What a short burst said over the receptionist turned out to be, once transcribed."""
    if overheard.echo_of and echoes(text, overheard.echo_of):
        return Overlap.ECHO
    if overheard.over_reply and is_backchannel(text):
        return Overlap.BACKCHANNEL
    return Overlap.BARGE_IN


def echoes(text: str, said: str) -> bool:
    """Whether a transcript is mostly the receptionist's own recent words (`said`): its voice heard back through
    the caller's phone, which the echo guard let through (a jitter buffer that jumped)."""
    heard, ours = words(text), words(said)
    if not heard or not ours:
        return False
    alike = sum(1 for word in heard if any(_alike(word, own) for own in ours))
    return alike / len(heard) >= ECHO_SHARE


def _alike(a: str, b: str) -> bool:
    """Same word, or one begins the other ("record", "recorded"): Whisper hears echoes blurred."""
    return a == b or (min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)))
