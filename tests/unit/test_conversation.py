"""The conversation state as a pure object: a whole dialogue scripted with strings and clock values."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.call.events import Outcome
from appliance.reception.conversation import HANG_UP_GRACE_S, Conversation, Rules
from appliance.reception.phrasebook import KEYPAD_MENU, MESSAGE_ASK, MESSAGE_PROMPT, STILL_THERE
from appliance.reception.plan import Intent, ReplyPlan
from appliance.reception.profile import BusinessProfile

OPEN_NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York


def talk(profile: BusinessProfile, **rules: float) -> Conversation:
    return Conversation(Rules(profile, rules.get("max_call_s", 600.0), rules.get("no_input_timeout_s", 10.0),
                              clock=lambda: OPEN_NOW), "+15550100", answered=100.0)


def test_a_scripted_dialogue_takes_a_message_and_says_goodbye(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert c.greeting().text == profile.greeting_text
    assert c.heard("What are your opening hours?", at=1.0) is None
    assert "Monday to Friday" in c.plan("What are your opening hours?").text
    assert c.outcome is Outcome.ANSWERED
    c.heard("I'd like to book an appointment.", at=2.0)
    assert c.plan("I'd like to book an appointment.").text == MESSAGE_PROMPT
    assert c.heard("This is Ana, call me back on 555 123 4567, it's urgent.", at=3.0) is None
    assert c.plan("This is Ana, ...").text.startswith("Thank you, Ana. The number I have is five five five, one two")
    message = c.heard("Yes, that's right.", at=3.5)
    assert message is not None and (message.name, message.callback_number, message.urgency) == (
        "Ana", "+15551234567", "urgent")
    assert c.plan("Yes, that's right.").text.startswith("I've taken your message. I've marked it as urgent.")
    c.heard("No, thanks.", at=4.0)
    goodbye = c.plan("No, thanks.")
    assert goodbye.end_call and c.outcome is Outcome.MESSAGE_TAKEN


def test_silence_prompts_once_then_ends(profile: BusinessProfile) -> None:
    c = talk(profile, no_input_timeout_s=5.0)
    assert c.tick(104.0, busy=False) is None
    prompt = c.tick(106.0, busy=False)
    assert isinstance(prompt, ReplyPlan) and prompt.text == STILL_THERE
    assert c.tick(110.0, busy=False) is None  # the prompt restarted the clock
    goodbye = c.tick(112.0, busy=False)
    assert isinstance(goodbye, ReplyPlan) and goodbye.intent is Intent.GOODBYE and goodbye.end_call
    assert c.tick(130.0, busy=False) is None  # saying goodbye: nothing more from the clock
    c.hung_up(131.0)
    assert c.tick(131.0 + HANG_UP_GRACE_S + 0.1, busy=False) == "receptionist hung up"
    assert c.outcome is Outcome.ABANDONED


def test_the_clocks_wait_while_someone_speaks(profile: BusinessProfile) -> None:
    c = talk(profile, no_input_timeout_s=5.0, max_call_s=10.0)
    assert c.tick(200.0, busy=True) is None
    limit = c.tick(200.0, busy=False)
    assert isinstance(limit, ReplyPlan) and "time limit" in limit.text and limit.end_call


def test_a_failure_is_the_outcome(profile: BusinessProfile) -> None:
    c = talk(profile)
    c.heard("Hello?", at=1.0)
    c.failed()
    assert c.outcome is Outcome.FAILED


def test_a_box_that_cannot_hear_offers_the_keypad_menu_with_the_greeting(profile: BusinessProfile) -> None:
    c = talk(profile)
    plan = c.unheard_greeting(c.greeting(datetime(2026, 11, 23, 15, 0, tzinfo=UTC)))  # a Monday, open
    assert plan.text == f"{profile.greeting_text} {KEYPAD_MENU}" and plan.intent is Intent.FALLBACK
    assert c.degraded and c.outcome is Outcome.FALLBACK
    pressed = c.pressed("1")
    assert pressed is not None and pressed.text == MESSAGE_ASK
    goodbye = ReplyPlan(Intent.GOODBYE, text="We are closed today. Goodbye.", end_call=True)
    assert talk(profile).unheard_greeting(goodbye) is goodbye  # a greeting that ends the call needs no menu


def test_a_box_that_cannot_hear_does_not_ask_to_be_told_a_message_after_hours(profile: BusinessProfile) -> None:
    c = talk(profile)
    closed = c.greeting(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))  # a Sunday: closed, a message is asked for
    assert closed.text.endswith(MESSAGE_PROMPT)
    plan = c.unheard_greeting(closed)
    assert plan.text.startswith("Thank you for calling Maple Street Dental. We're closed right now. We open")
    assert plan.text.endswith(f"AM. {KEYPAD_MENU}") and MESSAGE_PROMPT not in plan.text
    pressed = c.pressed("1")
    assert pressed is not None and pressed.text == MESSAGE_ASK  # key 1 still takes the message
