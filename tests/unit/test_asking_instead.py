"""A caller asked for a message who asks something instead is answered; a message asked for one team member is
stored for them; a question about being closed gets its yes and no the right way round."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.reception.conversation import Conversation, Rules
from appliance.reception.plan import Expect, Intent
from appliance.reception.policy import plan_reply, takes_message
from appliance.reception.profile import BusinessProfile

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York
CLOSED = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # Wednesday, 8 PM in New York


def talk(profile: BusinessProfile, when: datetime) -> Conversation:
    c = Conversation(Rules(profile, 600.0, 10.0, clock=lambda: when), "+12025550123", answered=0.0)
    c.greeting(when)
    return c


def expecting(c: Conversation) -> Expect:
    """What the receptionist expects now (a call: mypy keeps no narrowing of it from an earlier assert)."""
    return c.expect


def turn(c: Conversation, said: str) -> str:
    assert c.heard(said, at=1.0) is None
    return c.plan(said).text


@pytest.mark.parametrize(("said", "taken"), [
    ("Are you open Saturday?", False),
    ("Can I speak to Ann Lee?", False),
    ("Where are you located?", False),
    ("This is Tom Reed, call me back on 202 555 0147.", True),
    ("Could you ask the dentist to call me on 202 555 0147?", True),  # a question that is a message
    ("Can someone call me back tomorrow?", True),
    ("My tooth hurts, can you help?", True),  # a problem told, in a question's form
    ("I need to move my appointment.", True),
])
def test_words_after_a_message_is_asked_for(said: str, taken: bool) -> None:
    assert takes_message(Expect.MESSAGE, said) is taken


def test_a_question_after_hours_is_answered_and_a_message_still_taken(profile: BusinessProfile) -> None:
    c = talk(profile, CLOSED)
    assert c.expect is Expect.MESSAGE  # the after-hours greeting asked for a message
    assert turn(c, "Are you open Saturday?").startswith("Yes, we're open on Saturday from 9 AM to 1 PM.")
    assert expecting(c) is Expect.ANYTHING
    assert turn(c, "Can I speak to Ann Lee?").startswith("I'm sorry, Ann Lee isn't available right now.")
    assert turn(c, "Yes, please.") == "Please tell me your name, your phone number, and what it's about."
    assert turn(c, "This is Tom Reed, call me back on 202 555 0147.").startswith("Thank you, Tom Reed. The number")
    message = c.heard("Yes.", at=2.0)
    assert message is not None and (message.name, message.for_member) == ("Tom Reed", "ann")


@pytest.mark.parametrize("said", ["Please take a message for Ann Lee.", "Can Ann call me back?",
                                  "Could the billing person call me back?"])
def test_a_message_for_a_team_member_is_stored_for_them(profile: BusinessProfile, said: str) -> None:
    c = talk(profile, OPEN)
    assert turn(c, said) == ("I can take a message for Ann Lee. Please tell me your name, your phone number, "
                             "and what it's about.")
    turn(c, "This is Tom Reed, my number is 202 555 0147, it's about my last invoice.")
    message = c.heard("Yes, that's right.", at=2.0)
    assert message is not None and (message.name, message.for_member) == ("Tom Reed", "ann")


def test_a_message_for_the_team_is_for_nobody_in_particular(profile: BusinessProfile) -> None:
    plan = plan_reply(profile, "Can someone call me back?", now=OPEN)
    assert plan.intent is Intent.MESSAGE and plan.message_for is None


@pytest.mark.parametrize(("said", "answer"), [
    ("Are you closed on Sunday?", "Yes, we're closed on Sunday."),
    ("Are you closed Monday?", "No, we're open on Monday from 8 AM to 5 PM."),
    ("Are you closed on Christmas Day?", "Yes, we're closed on December 25 for the holidays."),
    ("Are you open on Sunday?", "No, we're closed on Sunday."),
    ("When are you closed on Monday?", "We're open on Monday from 8 AM to 5 PM."),
])
def test_a_question_about_being_closed_is_answered_the_right_way_round(profile: BusinessProfile, said: str,
                                                                       answer: str) -> None:
    assert plan_reply(profile, said, now=OPEN).text.startswith(answer)
