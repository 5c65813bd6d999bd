"""When a model fails mid-call or the box is overloaded: the call goes on with phrases synthesized before the
first call and a keypad menu (1: leave a message, 0: the front desk), so there is never silence and never a
dropped call. Pure.

What puts a call on the menu: the voice or the LLM failing (or the LLM stuck on an earlier reply), speech
recognition failing again and again (`hearing_lost`), or a reply owed for longer than the run's deadline, whatever
stage holds it up (`appliance.call.run`).
"""

from __future__ import annotations

import dataclasses

from appliance.reception.messages import CallerMessage
from appliance.reception.phrasebook import CALL_BACK, KEYPAD_MENU, MESSAGE_ASK, ONE_MOMENT, TAKEN, UNTRANSCRIBED
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.profile import BusinessProfile
from appliance.reception.routing import front_desk


def keypad_menu() -> ReplyPlan:
    """What the caller hears when a model fails, and again whenever they speak."""
    return ReplyPlan(Intent.FALLBACK, text=KEYPAD_MENU)


def keypad_plan(profile: BusinessProfile, digit: str) -> ReplyPlan:
    """1: take a message (in the caller's words); 0: a blind transfer to the front desk (a warm one needs the
    voice for the brief); any other key: the menu again."""
    if digit == "1":
        return ReplyPlan(Intent.MESSAGE, text=MESSAGE_ASK, expect=Expect.MESSAGE)
    desk = front_desk(profile)
    if digit == "0" and desk is not None:
        return ReplyPlan(Intent.TRANSFER, text=ONE_MOMENT, transfer_to=desk.model_copy(update={"transfer": "blind"}))
    return keypad_menu()


def message_taken() -> ReplyPlan:
    """The message is stored; said without a number read back (that needs the voice)."""
    return ReplyPlan(Intent.MESSAGE_TAKEN, text=f"{TAKEN} {CALL_BACK}")


STT_FAILURES_LIMIT = 2  # speech recognition raised on this many caller turns in a row
UNHEARD_LIMIT = 3  # this many caller turns in a row gave no words at all


def hearing_lost(unheard: int, stt_failures: int) -> bool:
    """Whether speech recognition is of no more use to this call: it failed on STT_FAILURES_LIMIT turns in a row,
    or heard no words in UNHEARD_LIMIT turns in a row (counts of consecutive caller turns)."""
    return stt_failures >= STT_FAILURES_LIMIT or unheard >= UNHEARD_LIMIT


def untranscribed(message: CallerMessage) -> CallerMessage:
    """A message said on the keypad menu that speech recognition could not write down: the caller ID is its
    callback number and its reason says so (the call's recording, when on, has the words)."""
    return dataclasses.replace(message, reason=UNTRANSCRIBED)
