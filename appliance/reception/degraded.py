"""When the voice (or another model) fails mid-call: the call goes on with phrases synthesized before the
first call and a keypad menu (1: leave a message, 0: the front desk), so there is never silence and never a
dropped call. Pure."""

from __future__ import annotations

from appliance.reception.phrasebook import CALL_BACK, KEYPAD_MENU, MESSAGE_ASK, ONE_MOMENT, TAKEN
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.profile import BusinessProfile
from appliance.reception.routing import front_desk


def keypad_menu() -> ReplyPlan:
    """What the caller hears when the voice fails, and again whenever they speak."""
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
