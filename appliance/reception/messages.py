"""Taking a message: when a caller wants one, and what their message says (name, callback number, urgency).

Pure functions of the caller's words, so the tiny default LLM is never trusted with a caller's number. The
message keeps the caller's own words as its reason; the team reads them in the call log or an export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.call.events import MessageTaken
from appliance.phone import DEFAULT_REGION, PhoneNumber
from appliance.reception.phrasebook import CALL_BACK, NO_NUMBER, TAKEN, THANKS, THANKS_NAMED, URGENT
from appliance.reception.wording import says

_WANTS = ("message", "call me back", "call back", "callback", "call me", "an appointment", "book", "booking",
          "schedule", "reschedule", "cancel", "speak to", "talk to", "speak with", "talk with", "someone call")
URGENT_CUES = ("urgent", "urgently", "emergency", "asap", "as soon as possible", "right away", "severe", "bleeding",
           "swollen", "swelling", "unbearable", "immediately")
_NAME = re.compile(r"\b(?:my name is|name's|this is|i am|i'm|it's)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)",
                   re.IGNORECASE)
_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_MIN_DIGITS = 7


@dataclass(frozen=True)
class CallerMessage:
    """What a caller left for the team."""

    name: str | None
    callback_number: str | None
    reason: str
    urgent: bool

    def event(self, at: float) -> MessageTaken:
        """The call event that stores this message."""
        return MessageTaken(self.name, self.callback_number, self.reason, "urgent" if self.urgent else "normal", at)


def wants_message(said: str) -> bool:
    """Whether the caller asks for something only the team can do (a message, a call back, an appointment)."""
    return says(said, _WANTS)


def read_message(said: str, caller_number: str, region: str = DEFAULT_REGION) -> CallerMessage:
    """The message in a caller's words; without a spoken number, the caller ID is the callback number.

    Either is normalized (`appliance.phone`): E.164 when it is a full number in `region`, else its digits.
    """
    name = _name(said)
    spoken = [m.group(0) for m in _NUMBER.finditer(said) if _digits(m.group(0)) >= _MIN_DIGITS]
    number = PhoneNumber.parse(spoken[0] if spoken else caller_number, region)
    return CallerMessage(name, None if number is None else number.canonical, said.strip(), says(said, URGENT_CUES))


def confirmation(message: CallerMessage) -> str:
    """What the receptionist says once the message is taken."""
    thanks = THANKS_NAMED.format(name=message.name.split()[0]) if message.name else THANKS
    urgent = URGENT if message.urgent else ""
    return " ".join(filter(None, (thanks, TAKEN, urgent, CALL_BACK if message.callback_number else NO_NUMBER)))


def _name(said: str) -> str | None:
    match = _NAME.search(said)
    if match is None:
        return None
    words = [w for w in match.group(1).split() if w[0].isupper()]  # "I'm calling" is not a name
    return " ".join(words) or None


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)
