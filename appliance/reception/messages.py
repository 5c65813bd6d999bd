"""Taking a message: when a caller wants one, and what their message says (name, callback number, urgency).

Pure functions of the caller's words, so the tiny default LLM is never trusted with a caller's number: numbers
said as digits or words are read by `appliance.reception.numbers`, and the callback number is then read back
(`appliance.reception.readback`). The message keeps the caller's own words as its reason; the team reads them
in the call log or an export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from appliance.call.events import MessageTaken
from appliance.phone import DEFAULT_REGION, PhoneNumber
from appliance.reception.numbers import digit_count, spoken_numbers
from appliance.reception.phrasebook import CALL_BACK, NO_NUMBER, TAKEN, THANKS, THANKS_NAMED, URGENT
from appliance.reception.wording import says

_WANTS = ("message", "call me back", "call back", "callback", "call me", "an appointment", "book", "booking",
          "schedule", "reschedule", "cancel", "speak to", "talk to", "speak with", "talk with", "someone call",
          "get back to me", "give me a call", "give me a ring")
_LEAVES = ("message", "call me back", "call back", "callback", "call me", "get back to me", "let them know", "tell her",
           "tell him", "tell them", "pass on", "book", "booking", "schedule", "reschedule", "cancel", "appointment")
URGENT_CUES = ("urgent", "urgently", "emergency", "asap", "as soon as possible", "right away", "severe", "bleeding",
           "swollen", "swelling", "unbearable", "immediately")
_NAME = re.compile(r"\b(?:my name is|name's|this is|i am|i'm|it's)\s+((?:(?:dr|mr|mrs|ms|mx)\.?\s+)?[A-Z][\w'-]+"
                   r"(?:\s+[A-Z][\w'-]+)?)", re.IGNORECASE)
_COURTESY = frozenset(("please", "thanks", "thank", "you", "sure", "yes", "yeah", "oh", "um", "uh", "well", "it",
                       "is", "its", "it's", "that's", "hi", "hello", "okay", "ok", "sorry", "bye", "goodbye"))
# Words that are never a name answered alone: refusals, questions, asks to repeat, acknowledgements.
_NOT_NAMES = frozenset(("no", "nope", "nah", "nothing", "never", "mind", "all", "that", "what",
                        "why", "how", "who", "i", "i'm", "we", "my", "me", "not", "can", "could", "would", "pardon",
                        "huh", "excuse", "again", "wait", "hold", "on", "fine", "great", "perfect", "cheers",
                        "alright", "right", "got", "see", "good", "anonymous", "hang", "one", "moment", "sec"))
ASKS_AGAIN = ("pardon", "what", "sorry", "hello", "huh", "excuse me", "come again", "say that again")
# Three letters or more, one by one ("B-E-R-G", "B, E, R, G"): a name spelled out.
_SPELLED = re.compile(r"(?<![\w'’])[A-Za-z](?:[\s.,-]+[A-Za-z]\b){2,}")  # not the s of "it's"
_NAME_WORDS = 3  # a name given alone: at most this many words
MIN_DIGITS = 7  # fewer is a room, a date or an amount, not a number to call back


@dataclass(frozen=True)
class CallerMessage:
    """What a caller left for the team."""

    name: str | None
    callback_number: str | None
    reason: str
    urgent: bool
    for_member: str | None = None  # the id of the team member it is for (one who could not be reached)
    number_confirmed: bool = False  # the caller said the number read back to them is right
    number_heard: bool = False  # the callback number is one the caller said (not the caller ID)

    def event(self, at: float) -> MessageTaken:
        """The call event that stores this message."""
        return MessageTaken(self.name, self.callback_number, self.reason, "urgent" if self.urgent else "normal", at,
                            self.for_member, self.number_confirmed)


def wants_message(said: str) -> bool:
    """Whether the caller asks for something only the team can do (a message, a call back, an appointment)."""
    return says(said, _WANTS)


def has_message_parts(said: str, region: str = DEFAULT_REGION) -> bool:
    """Whether words hold something of a message: a call back or a message asked for, a name, a number."""
    return says(said, _LEAVES) or _name(said) is not None or spoken_number(said, region) is not None


def read_message(said: str, caller_number: str, region: str = DEFAULT_REGION, *,
                 for_member: str | None = None) -> CallerMessage:
    """The message in a caller's words; without a spoken number, the caller ID is the callback number.

    Either is normalized (`appliance.phone`): E.164 when it is a full number in `region`, else its digits.
    """
    number = spoken_number(said, region)
    heard = number is not None
    if number is None and (caller := PhoneNumber.parse(caller_number, region)) is not None:
        number = caller.canonical
    name = corrected_name(said, _name(said)) if spelled(said) else _name(said)  # "This is Dana Fox, F-O-X"
    return CallerMessage(name, number, said.strip(), says(said, URGENT_CUES), for_member, number_heard=heard)


def spoken_number(said: str, region: str = DEFAULT_REGION) -> str | None:
    """The canonical form of the first phone number in a caller's words (digits or words), or None. When that is
    no full number of the region, words that sound like digits are read as digits ("to" two, "fine" five), and
    that reading is kept if it makes a full number ("call me at to 0 2, 5 5 5, 0 1 4 7")."""
    plain = _first_number(said, region, sound_alike=False)
    if plain is not None and plain.e164:
        return plain.canonical
    heard = _first_number(said, region, sound_alike=True)
    if heard is not None and heard.e164:
        return heard.canonical
    return None if plain is None else plain.canonical


def _first_number(said: str, region: str, *, sound_alike: bool) -> PhoneNumber | None:
    numbers = [n for n in spoken_numbers(said, sound_alike=sound_alike) if digit_count(n) >= MIN_DIGITS]
    return PhoneNumber.parse(numbers[0], region) if numbers else None


def thanks(message: CallerMessage, *, full: bool = False) -> str:
    """Thanks, by the caller's first name when they gave it (`full`: by the whole name, as heard, so that the
    caller can put it right before the message is final)."""
    if not message.name:
        return THANKS
    return THANKS_NAMED.format(name=message.name if full else message.name.split()[0])


def confirmation(message: CallerMessage, *, thanked: bool = False) -> str:
    """What the receptionist says once the message is taken: the team calls back on a number the caller
    confirmed, and otherwise will see the message (`thanked`: the caller was thanked already)."""
    urgent = URGENT if message.urgent else ""
    back = CALL_BACK if message.number_confirmed else NO_NUMBER
    return " ".join(filter(None, ("" if thanked else thanks(message), TAKEN, urgent, back)))


def answered_name(said: str) -> str | None:
    """The name in an answer to "May I have your name?": 'This is Tom Reed', or the name alone ('Tom Reed,
    please.'): one to three words, each capitalized as speech recognition writes names. None otherwise
    ('No, that's all.')."""
    if (name := _name(said)) is not None:
        return name
    kept = [word for word in re.findall(r"[\w'-]+", said) if word.lower() not in _COURTESY]
    if 1 <= len(kept) <= _NAME_WORDS and all(word[0].isupper() and word.lower() not in _NOT_NAMES for word in kept):
        return " ".join(kept)
    return None


def spelled(said: str) -> str | None:
    """A word spelled letter by letter ('B-E-R-G', 'B, E, R, G.', 'b e r g'), capitalized; None without one."""
    for match in _SPELLED.finditer(said):
        letters = "".join(re.findall(r"[A-Za-z]", match.group(0))).lower()
        if not set(letters) <= {"a", "i"}:  # "I, I, I think..." is a stammer, not a spelling
            return letters.capitalize()
    return None


def corrected_name(said: str, old: str | None) -> str | None:
    """The caller's name as put right in an answer to the read-back ('No, my name is Anna Berg', 'It's Berg,
    B-E-R-G'): a name of two words or more is the whole name; one word takes the place of the word of the old
    name it is most like (the last one when none is). None when no name was given."""
    given = spelled(said) or _name(said)
    if given is None:
        return None
    parts, kept = given.split(), (old or "").split()
    if len(parts) == 1 and len(kept) > 1:
        alike = [SequenceMatcher(None, word.lower(), given.lower()).ratio() for word in kept]
        best = max(range(len(kept)), key=lambda i: (alike[i], i))
        given = " ".join(given if i == best else word for i, word in enumerate(kept))
    return given


def _name(said: str) -> str | None:
    match = _NAME.search(said)
    if match is None:
        return None
    words = [w for w in match.group(1).split() if w[0].isupper()]  # "I'm calling" is not a name
    return " ".join(words) or None
