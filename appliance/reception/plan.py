"""A reply plan: what the caller asked for, what to say, and what happens next (the end, a transfer, what the
receptionist expects to hear)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.reception.directory import TeamMember


class Intent(StrEnum):
    """What the caller asked for."""

    GOODBYE = "goodbye"
    HOURS = "hours"
    ADDRESS = "address"
    PRICE = "price"
    SERVICES = "services"
    FAQ = "faq"
    ACKNOWLEDGE = "acknowledge"
    MESSAGE = "take-message"
    MESSAGE_TAKEN = "message-taken"
    READ_BACK = "read-back"
    OPEN = "open-conversation"
    TRANSFER = "transfer"
    AFTER_HOURS = "after-hours"
    FALLBACK = "fallback"
    UNAVAILABLE = "unavailable"
    STATEMENT = "statement"
    DURATION = "duration"
    UNKNOWN = "no-information"
    EMPTY = "empty"


class Expect(StrEnum):
    """What the receptionist's last words asked the caller for."""

    ANYTHING = "anything"
    OFFER_ANSWER = "offer-answer"  # "Would you like to leave a message for the team?"
    MESSAGE = "message"  # "Please tell me your name, your phone number, and what it's about."
    CALLBACK_CHECK = "callback-check"  # "The number I have is five five five, ... Is that right?"
    CALLBACK_NUMBER = "callback-number"  # "What number should the team call you back on?"
    CALLER_NAME = "caller-name"  # "May I have your name, please?" (a message taken without it)


# The caller is dictating: their pauses are between parts, not at the end ("Tom ... Reed", "555 ... 0147").
DICTATION = frozenset((Expect.MESSAGE, Expect.CALLBACK_NUMBER, Expect.CALLER_NAME))


@dataclass(frozen=True)
class ReplyPlan:
    """How to answer one caller turn: fixed text, or the LLM; whether the call ends after it; what it asks for."""

    intent: Intent
    text: str = ""
    use_llm: bool = False
    end_call: bool = False
    expect: Expect = Expect.ANYTHING
    transfer_to: TeamMember | None = None  # after speaking, put the caller through to this team member
    message_for: TeamMember | None = None  # a message offered now is for this team member (not reached)
