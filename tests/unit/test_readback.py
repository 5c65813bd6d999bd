"""The callback number read back: confirmed, corrected, asked for again, given up on, or cut by a hang-up; and
the team member a message is for. Whole dialogues scripted with strings on the pure conversation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.call.events import MessageTaken, Outcome
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.messages import answered_name
from appliance.reception.phrasebook import (
    ANYTHING_ELSE,
    DIDNT_CATCH,
    MESSAGE_ASK,
    MESSAGE_PROMPT,
    NAME_ASK,
    NOT_CAUGHT,
    NUMBER_AGAIN,
    NUMBER_GIVEN_UP,
)
from appliance.reception.plan import Expect, Intent
from appliance.reception.profile import BusinessProfile
from appliance.reception.readback import agrees

WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10 AM in New York: open; Dr. Okafor works Mondays only
MESSAGE = "This is Ana, please call me back on five five five, oh one nine, four four seven one."
READ = "The number I have is five five five, zero one nine, four four seven one. Is that right?"


def talk(profile: BusinessProfile, caller: str = "+15550100199") -> Conversation:
    return Conversation(Rules(profile, 600.0, 10.0, clock=lambda: WEDNESDAY), caller, answered=0.0)


def leave(c: Conversation, message: str = MESSAGE) -> str:
    """Ask for a message and leave one; returns what the receptionist says next."""
    say(c, "Can you take a message?")
    assert c.plan("Can you take a message?").expect is Expect.MESSAGE
    assert say(c, message) is None  # not stored yet: its number is read back first
    return c.plan(message).text


def say(c: Conversation, text: str) -> MessageTaken | None:
    return c.heard(text, at=5.0)


def expecting(c: Conversation) -> Expect:
    """What the receptionist expects now (a call: mypy keeps no narrowing of it from an earlier assert)."""
    return c.expect


def test_the_number_is_read_back_and_confirmed(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert leave(c) == f"Thank you, Ana. {READ}" and c.expect is Expect.CALLBACK_CHECK
    message = say(c, "Yes, that's right.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550194471", True)
    assert c.plan("Yes, that's right.").text == (
        f"I've taken your message. The team will call you back. {ANYTHING_ELSE}")
    assert expecting(c) is Expect.ANYTHING and c.outcome is Outcome.MESSAGE_TAKEN
    assert c.message_left(9.0) is None  # stored once


def test_a_correction_is_read_back_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    assert say(c, "No, it's 555 019 4472.") is None
    assert c.plan("No, ...").text == ("Thank you. The number I have is five five five, zero one nine, four four "
                                      "seven two. Is that right?")
    message = say(c, "Yep.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550194472", True)


def test_no_alone_asks_for_the_number_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    assert say(c, "No.") is None
    assert c.plan("No.").text == NUMBER_AGAIN and c.expect is Expect.CALLBACK_NUMBER
    assert say(c, "It's 555-019-4472.") is None
    assert "four four seven two. Is that right?" in c.plan("It's ...").text
    message = say(c, "Correct.")
    assert message is not None and message.callback_number == "+15550194472" and message.number_confirmed


def test_two_failed_tries_keep_the_last_number_heard(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    say(c, "No, it's 555 019 4472.")
    c.plan("")
    message = say(c, "No, no, five five five zero one nine four four seven three.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550194473", False)
    assert c.plan("").text == (
        f"{NUMBER_GIVEN_UP} I've taken your message. The team will see it. {ANYTHING_ELSE}")


def test_two_failed_tries_without_a_number_keep_the_caller_id(profile: BusinessProfile) -> None:
    c = talk(profile, caller="+15550100199")
    leave(c, "This is Ana, I need to move my appointment.")  # no number: the caller ID is read back
    assert say(c, "Nope.") is None
    assert c.plan("Nope.").text == NUMBER_AGAIN
    message = say(c, "Hmm, I don't remember it.")  # no number in it: the second failed try
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550100199", False)


def test_the_caller_id_is_read_back_when_no_number_is_said(profile: BusinessProfile) -> None:
    c = talk(profile, caller="sip:+15550100199@pbx.lan")
    assert leave(c, "This is Ana, call me back.") == (
        "Thank you, Ana. The number I have is five five five, zero one zero, zero one nine nine. Is that right?")
    message = say(c, "Uh-huh.")
    assert message is not None and message.callback_number == "+15550100199" and message.number_confirmed


def test_an_unclear_answer_reads_the_number_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    assert say(c, "What are your hours?") is None
    assert c.plan("What are your hours?").text == f"{NOT_CAUGHT} {READ}"
    assert say(c, "") is None  # silence: asked again, no try spent
    assert c.plan("").text == DIDNT_CATCH and c.expect is Expect.CALLBACK_CHECK
    message = say(c, "Yes.")
    assert message is not None and message.number_confirmed


def test_hanging_up_during_the_read_back_keeps_the_message(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    say(c, "No, it's 555 019 4472.")  # the caller hangs up before hearing it read back
    message = c.message_left(at=7.0)
    assert message is not None and (message.name, message.callback_number, message.number_confirmed, message.at) == (
        "Ana", "+15550194472", False, 7.0)
    assert message.reason == MESSAGE and c.outcome is Outcome.MESSAGE_TAKEN
    assert c.message_left(at=8.0) is None


def test_a_goodbye_during_the_read_back_keeps_the_message_and_ends(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c)
    message = say(c, "That's all, bye.")
    assert message is not None and message.callback_number == "+15550194471" and not message.number_confirmed
    assert c.plan("That's all, bye.").end_call


def test_a_caller_without_a_number_is_told_the_team_will_see_it(profile: BusinessProfile) -> None:
    c = talk(profile, caller="anonymous")
    say(c, "Can you take a message?")
    c.plan("Can you take a message?")
    message = say(c, "It's Bob, about my bill.")
    assert message is not None and message.callback_number is None
    assert c.plan("").text == f"Thank you, Bob. I've taken your message. The team will see it. {ANYTHING_ELSE}"


NAMELESS = "Please call me back on five five five, oh one nine, four four seven one, about my crown."


def test_a_message_without_a_name_asks_for_it_once_the_number_is_confirmed(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert leave(c, NAMELESS) == f"Thank you. {READ}"
    assert say(c, "Yes.") is None  # not final yet: the name is asked for
    assert c.plan("Yes.").text == f"Thank you. {NAME_ASK}" and c.expect is Expect.CALLER_NAME
    message = say(c, "Tom Reed, please.")
    assert message is not None and (message.name, message.callback_number, message.number_confirmed) == (
        "Tom Reed", "+15550194471", True)
    assert c.plan("Tom Reed, please.").text == (
        f"Thank you, Tom. I've taken your message. The team will call you back. {ANYTHING_ELSE}")
    assert c.message_left(9.0) is None  # stored once


@pytest.mark.parametrize(("said", "name"), [("This is Dana Fox.", "Dana Fox"), ("Sure, it's Sam.", "Sam"),
                                            ("No, that's all.", None), ("I'd rather not say.", None)])
def test_the_answer_to_the_name_ask(profile: BusinessProfile, said: str, name: str | None) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "Yes.")
    c.plan("Yes.")
    message = say(c, said)
    assert message is not None and message.name == name and message.number_confirmed  # final either way
    c.plan(said)
    assert c.expect is Expect.ANYTHING


def test_silence_at_the_name_ask_asks_again_and_a_goodbye_keeps_the_message(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "Yes.")
    c.plan("Yes.")
    assert say(c, "") is None and c.plan("").text == DIDNT_CATCH and c.expect is Expect.CALLER_NAME
    message = say(c, "Bye.")
    assert message is not None and message.name is None and message.number_confirmed
    assert c.plan("Bye.").end_call


def test_hanging_up_at_the_name_ask_keeps_the_confirmed_message(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "Yes.")
    message = c.message_left(7.0)
    assert message is not None and (message.name, message.number_confirmed) == (None, True)


def test_a_name_with_a_goodbye_is_kept_and_pardon_asks_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "Yes.")
    c.plan("Yes.")
    assert say(c, "Pardon?") is None and c.plan("Pardon?").text == f"{NOT_CAUGHT} {NAME_ASK}"
    message = say(c, "Tom Reed, bye.")
    assert message is not None and message.name == "Tom Reed" and c.plan("Tom Reed, bye.").end_call


def test_a_fall_back_to_the_keypad_menu_at_the_name_ask_keeps_the_message(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "Yes.")
    c.plan("Yes.")
    c.fallback()  # the voice failed, or speech recognition did twice
    message = c.message_left(9.0)
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550194471", True)


def test_the_name_is_asked_after_a_number_given_up_and_with_no_number(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, NAMELESS)
    say(c, "No, it's 555 019 4472.")
    c.plan("")
    assert say(c, "No, no, five five five zero one nine four four seven three.") is None
    assert c.plan("").text == f"{NUMBER_GIVEN_UP} {NAME_ASK}"
    message = say(c, "Ana Silva.")
    assert message is not None and (message.name, message.callback_number, message.number_confirmed) == (
        "Ana Silva", "+15550194473", False)
    assert c.plan("Ana Silva.").text == (
        f"Thank you, Ana. I've taken your message. The team will see it. {ANYTHING_ELSE}")
    anonymous = talk(profile, caller="anonymous")
    say(anonymous, "Can you take a message?")
    anonymous.plan("Can you take a message?")
    assert say(anonymous, "It's about my bill.") is None and anonymous.plan("").text == f"Thank you. {NAME_ASK}"
    message = say(anonymous, "Bob Stone.")
    assert message is not None and (message.name, message.callback_number) == ("Bob Stone", None)
    assert anonymous.plan("").text == (
        f"Thank you, Bob. I've taken your message. The team will see it. {ANYTHING_ELSE}")


def test_a_message_after_someone_unavailable_is_for_them(clinic: BusinessProfile) -> None:
    c = talk(clinic)
    say(c, "Can I speak to Dr. Okafor?")
    offer = c.plan("Can I speak to Dr. Okafor?")
    assert offer.intent is Intent.UNAVAILABLE and offer.message_for is not None
    say(c, "Yes please.")
    assert c.plan("Yes please.").text == MESSAGE_ASK
    say(c, MESSAGE)
    c.plan(MESSAGE)
    message = say(c, "Yes.")
    assert message is not None and message.for_member == "okafor"


def test_a_message_after_a_failed_transfer_is_for_that_member(clinic: BusinessProfile) -> None:
    c = talk(clinic)
    say(c, "Put me through to billing.")
    member = c.plan("Put me through to billing.").transfer_to
    assert member is not None
    c.put_through(member)
    assert c.transfer_failed().expect is Expect.OFFER_ANSWER
    say(c, "Yes.")
    c.plan("Yes.")
    say(c, MESSAGE)
    message = c.message_left(9.0)
    assert message is not None and message.for_member == "ann"


def test_a_message_asked_for_later_is_for_the_team(clinic: BusinessProfile) -> None:
    c = talk(clinic)
    say(c, "Can I speak to Dr. Okafor?")
    c.plan("Can I speak to Dr. Okafor?")
    say(c, "No, that's okay.")
    c.plan("No, that's okay.")
    assert c.message_for is None
    assert leave(c).startswith("Thank you, Ana.")
    message = c.message_left(9.0)
    assert message is not None and message.for_member is None


def test_the_message_prompt_is_unchanged(profile: BusinessProfile) -> None:
    c = talk(profile)
    say(c, "Can you take a message?")
    assert c.plan("Can you take a message?").text == MESSAGE_PROMPT


@pytest.mark.parametrize(
    ("said", "agreed"),
    [
        ("Yes.", True), ("Yeah, that's right.", True), ("That's correct.", True), ("Correct", True),
        ("Uh-huh.", True), ("Mm-hmm", True), ("Yes it is, thank you.", True), ("Sure.", True),
        ("No.", False), ("Nope", False), ("That's not right.", False), ("Not quite.", False), ("Wrong.", False),
        ("No, that's wrong.", False),
        ("What?", None), ("Hmm, let me think.", None),
    ],
)
def test_yes_and_no(said: str, agreed: bool | None) -> None:
    assert agrees(said) is agreed


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("Tom Reed.", "Tom Reed"), ("Tom Reed, please.", "Tom Reed"), ("My name is Dana Fox.", "Dana Fox"),
        ("It's Dr. Smith.", "Dr. Smith"), ("Sure, it's Sam.", "Sam"), ("Anna Berg, thank you.", "Anna Berg"),
        ("No.", None), ("No thanks.", None), ("That's it.", None), ("Okay, bye.", None), ("Yes please.", None),
        ("Hello?", None), ("Pardon?", None), ("Huh?", None), ("Wait.", None), ("Fine.", None), ("Perfect.", None),
        ("Got it.", None), ("See you.", None), ("Anonymous.", None), ("555 1234", None), ("I'd rather not say.", None),
    ],
)
def test_a_name_answered_alone(said: str, name: str | None) -> None:
    assert answered_name(said) == name
