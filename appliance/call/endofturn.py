"""A semantic end of turn: whether the words heard at the caller's first pause sound finished.

The silence window alone makes every reply wait the same 500 ms. The words already transcribed at the first
pause tell more: a question ("What are your opening hours?") or a bare "Yes." is over; "My number is five five
five" and "I'm calling about" are not. A finished turn is answered after a shorter silence, an unfinished one
waits longer than usual, and anything else, statements included (often a preamble: "I have a question about my
bill." ...), keeps the plain window. Pure: text in, verdict out.
"""

from __future__ import annotations

from enum import StrEnum

from appliance.reception.phrasebook import DIGIT_NAMES
from appliance.reception.wording import ASKING, words


class Finished(StrEnum):
    """How the words heard so far end."""

    YES = "finished"
    NO = "unfinished"
    UNSURE = "unsure"


# Words a finished sentence rarely ends on: the caller is mid-thought. Few and sure: a misheard last word
# ("you can be" for "you to me") must not make a finished turn wait. (Not fillers: "Mm-hmm." is a whole
# backchannel, and a filler mid-sentence comes with a comma.)
_TRAILING = frozenset((
    "a", "an", "the", "and", "or", "but", "so", "because", "if", "to", "at", "about", "for", "with", "of", "in",
    "on", "from", "by", "my", "your", "our", "their", "is", "are", "number", "like", "that",
))
_DIGIT_WORDS = frozenset((*DIGIT_NAMES, "oh", "double", "triple", "hundred", "thousand"))
_OPEN_ENDS = ("...", "…", ",", "-", "–", "—", ":", ";")
_SHORT_ANSWERS = frozenset((
    "yes", "yeah", "yep", "no", "nope", "sure", "okay", "ok", "correct", "right", "thanks", "bye", "goodbye",
))
_GREETINGS = frozenset(("hi", "hello", "hey", "morning", "afternoon", "evening"))
_INTRODUCTIONS = (("this", "is"), ("my", "name", "is"), ("it's",), ("it", "is"), ("i'm",), ("i", "am"))
# A question by its word order ("is their parking.": Whisper often leaves out the question mark), unless it
# stops where an object or a clause must follow ("Do you have.", "Is it possible.", "How do I put
# this."): Whisper writes a full stop at a pause too.
_GOES_ON = frozenset((
    "have", "get", "know", "tell", "me", "be", "do", "check", "possible", "way", "start", "this", "ask", "see",
    "find", "help", "make", "need", "want", "put", "give", "say", "wondering", "it", "there", "you", "i",
))
_QUESTION_WORDS = 3  # at least this long: "Can you" alone is a caller about to go on
_SHORT_ANSWER_WORDS = 3
_NAME_WORDS = 2  # "This is Tom Reed." is a caller about to say why they call


def judge(text: str) -> Finished:
    """Whether a transcript of the caller's turn so far sounds finished."""
    said = [w for w in words(text) if w not in _GREETINGS]
    raw = text.strip()
    if not raw:
        return Finished.UNSURE
    if raw.endswith(_OPEN_ENDS) or not said:
        # a trailing comma or dash, or a bare "Hi," or "Good morning" (but "Hello?" asks who is there)
        return Finished.YES if raw.endswith("?") and not said else Finished.NO
    last = said[-1]
    if last.isdigit() or last in _DIGIT_WORDS:
        return Finished.NO  # numbers come in groups, with pauses between them
    if raw.endswith("?"):
        return Finished.YES
    if said[0] in _SHORT_ANSWERS and len(said) <= _SHORT_ANSWER_WORDS and (len(said) == 1 or raw.endswith(".")):
        return Finished.YES  # "Yes.", "No", "Yes, it is."
    if last in _TRAILING or _is_introduction(said):
        return Finished.NO
    if said[0] in ASKING and len(said) >= _QUESTION_WORDS and raw.endswith(".") and last not in _GOES_ON:
        return Finished.YES
    return Finished.UNSURE  # a statement is often a preamble: "I have a question about my bill." ...


def _is_introduction(said: list[str]) -> bool:
    """Only a name so far: "This is Tom Reed", "My name is Anna Berg", "It's Dana"."""
    for opening in _INTRODUCTIONS:
        size = len(opening)
        if tuple(said[:size]) == opening and 0 < len(said) - size <= _NAME_WORDS:
            return True
    return False
