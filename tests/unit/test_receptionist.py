"""The receptionist's policy: facts from the profile, intents from the caller's words."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.errors import ConfigError
from appliance.reception import facts
from appliance.reception.phrasebook import ANYTHING_ELSE, GO_AHEAD, MESSAGE_ASK, MESSAGE_PROMPT, NO_INFO, OFFER, WELCOME
from appliance.reception.plan import Expect, Intent
from appliance.reception.policy import asks, is_grounded, is_question, plan_reply, system_prompt, takes_message
from appliance.reception.profile import BusinessProfile, load_profile


def test_hours_are_grouped_and_spoken(profile: BusinessProfile) -> None:
    assert facts.hours_sentence(profile) == (
        "We're open Monday to Friday from 8 AM to 5 PM, and Saturday from 9 AM to 1 PM. "
        "We're closed on Sunday."
    )


def test_split_shifts_and_minutes() -> None:
    shop = BusinessProfile(name="Shop", hours={"monday": ["09:30-12:00", "13:00-24:00"]})
    assert facts.hours_sentence(shop).startswith("We're open Monday from 9:30 AM to 12 PM and 1 PM to midnight.")


def test_open_now_uses_the_business_time_zone(profile: BusinessProfile) -> None:
    # Monday 2026-11-23 14:00 UTC is 09:00 in New York: open; 23:00 UTC is 18:00: closed.
    assert profile.is_open(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    assert not profile.is_open(datetime(2026, 11, 23, 23, 0, tzinfo=UTC))
    assert not profile.is_open(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))  # Sunday


def test_a_business_whose_hours_are_not_given_is_never_said_to_be_closed() -> None:
    """No weekly hours in the profile: the receptionist cannot know when it is open, so it greets as open (no
    after-hours path) and answers every hours question honestly, "I don't have that information" with the message
    offer (a knowledge gap, which tells the owner the hours are missing); a closure still closes it."""
    shop = BusinessProfile(name="Shop", closures=[{"on": "12-25", "reason": "Christmas Day"}])
    sunday_night = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    assert not shop.hours_given and shop.is_open(sunday_night)
    assert not shop.is_open(datetime(2026, 12, 25, 17, 0, tzinfo=UTC))
    for asked in ("Are you open now?", "Are you open on Sunday?", "When do you open next?", "What are your hours?"):
        plan = plan_reply(shop, asked, now=sunday_night)
        assert (plan.intent, plan.text) == (Intent.UNKNOWN, f"{NO_INFO} {OFFER}"), asked


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        ("What are your opening hours?", Intent.HOURS),
        ("when do you close on saturday", Intent.HOURS),
        ("Where are you located?", Intent.ADDRESS),
        ("Wear with your office?", Intent.ADDRESS),  # "where" as speech recognition may write it
        ("What should I wear?", Intent.UNKNOWN),
        ("Where's your shop?", Intent.ADDRESS),
        ("Tell me where you are.", Intent.ADDRESS),  # asked indirectly
        ("My gums bleed where I brush.", Intent.STATEMENT),  # a "where" that asks nothing
        ("How much is a cleaning?", Intent.PRICE),
        ("What services do you offer?", Intent.SERVICES),
        ("Do you accept insurance?", Intent.FAQ),
        ("Are you talking new patience?", Intent.FAQ),
        ("Do you accept pets?", Intent.UNKNOWN),  # one word of two is no answer
        ("OK thanks, bye!", Intent.GOODBYE),
        ("No.", Intent.GOODBYE),
        ("Nope, I think that's everything.", Intent.GOODBYE),
        ("No, Saturday.", Intent.OPEN),
        ("Thank you so much!", Intent.ACKNOWLEDGE),
        ("Okay.", Intent.ACKNOWLEDGE),
        ("Yes, I have one more question.", Intent.ACKNOWLEDGE),
        ("Yes, my tooth still hurts.", Intent.STATEMENT),
        ("Can I speak to someone about my bill from last year?", Intent.TRANSFER),
        ("Can I bring my dog?", Intent.UNKNOWN),
        ("I was wondering if you take walk-ins.", Intent.UNKNOWN),  # asked, not told: honest, and a gap
        ("My tooth has been hurting since Sunday.", Intent.STATEMENT),
        ("", Intent.EMPTY),
    ],
)
def test_intents(profile: BusinessProfile, said: str, intent: Intent) -> None:
    open_now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York: Ann Lee is in
    assert plan_reply(profile, said, now=open_now).intent is intent


def test_short_replies_to_anything_else(profile: BusinessProfile) -> None:
    assert plan_reply(profile, "Thanks!").text == f"{WELCOME} {ANYTHING_ELSE}"
    assert plan_reply(profile, "ok").text == ANYTHING_ELSE
    assert plan_reply(profile, "Yeah.").text == GO_AHEAD
    assert plan_reply(profile, "No, thank you.").end_call
    assert plan_reply(profile, "Thank you, have a nice day.").end_call


def test_thanks_told_get_a_welcome_not_the_llm(profile: BusinessProfile) -> None:
    for said in ("I wanted to say thank you for last week.", "I really appreciate how you fitted me in."):
        assert plan_reply(profile, said).text == f"{WELCOME} {ANYTHING_ELSE}"
    assert plan_reply(profile, "Thank you, I'd like to book an appointment.").intent is Intent.MESSAGE
    for said in ("I don't appreciate being put on hold.", "Thanks, I have a question about my bill.",
                 "Thank you. My name is Tom Reed and I'm calling about my son.", "Thanks for nothing.",
                 "I'd appreciate some help with my insurance claim.", "Thanks. Do you take walk-ins."):
        assert plan_reply(profile, said).text != f"{WELCOME} {ANYTHING_ELSE}", said


@pytest.mark.parametrize(("said", "asked"), [
    ("I was wondering if you take walk-ins.", True), ("Tell me about whitening.", True),
    ("Do you take walk-ins?", True), ("It's my first time calling.", False), ("I will bring my dog.", False),
])
def test_asking_without_a_question_form(said: str, asked: bool) -> None:
    assert asks(said) is asked


def test_a_message_offer_and_its_answers(profile: BusinessProfile) -> None:
    yes = plan_reply(profile, "Yes, please.", expect=Expect.OFFER_ANSWER)
    assert (yes.intent, yes.text, yes.expect) == (Intent.MESSAGE, MESSAGE_ASK, Expect.MESSAGE)
    no = plan_reply(profile, "No.", expect=Expect.OFFER_ANSWER)
    assert no.intent is Intent.ACKNOWLEDGE and not no.end_call and no.expect is Expect.ANYTHING
    asked = plan_reply(profile, "I'd like to book a checkup.")
    assert (asked.text, asked.expect) == (MESSAGE_PROMPT, Expect.MESSAGE)
    assert plan_reply(profile, "", expect=Expect.MESSAGE).expect is Expect.MESSAGE  # still waiting for it


def test_what_counts_as_the_message(profile: BusinessProfile) -> None:
    assert takes_message(Expect.MESSAGE, "This is Ana, please call me back.")
    assert not takes_message(Expect.MESSAGE, "Actually never mind, bye.")
    assert not takes_message(Expect.MESSAGE, "")
    assert not takes_message(Expect.ANYTHING, "This is Ana, please call me back.")


def test_fact_answers_come_from_the_profile(profile: BusinessProfile) -> None:
    assert plan_reply(profile, "how much does a cleaning cost").text == f"Cleaning is 95 dollars. {ANYTHING_ELSE}"
    assert "Maple Street" in plan_reply(profile, "what's your address").text
    assert plan_reply(profile, "is there parking").text.startswith("Yes, there is free parking")
    goodbye = plan_reply(profile, "that's all, goodbye")
    assert goodbye.end_call and goodbye.text == profile.goodbye_text


def test_questions_without_a_profile_fact_get_an_honest_answer(profile: BusinessProfile) -> None:
    plan = plan_reply(profile, "Can I bring my dog to the appointment?")
    assert plan.intent is Intent.UNKNOWN and not plan.use_llm
    assert plan.text == f"{NO_INFO} {OFFER}" and plan.expect is Expect.OFFER_ANSWER
    assert plan_reply(profile, "Can I bring my dog to the appointment?", llm_answers_questions=True).use_llm


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("Can I bring my dog?", True),
        ("what's the earliest slot", True),
        ("so you validate tickets?", True),
        ("I'd like to book a cleaning.", False),
        ("My name is Ana.", False),
        ("", False),
    ],
)
def test_is_question(said: str, asked: bool) -> None:
    assert is_question(said) is asked


def test_statements_go_to_the_llm_with_the_profile_as_grounding(profile: BusinessProfile) -> None:
    plan = plan_reply(profile, "I just moved to Springfield last month.")
    assert plan.use_llm and not plan.text
    assert plan_reply(profile, "I have a terrible toothache.").text.startswith("I'm sorry to hear that.")
    prompt = system_prompt(profile)
    assert "Maple Street Dental" in prompt and "Cleaning, 95 dollars" in prompt and "8 AM to 5 PM" in prompt


@pytest.mark.parametrize(
    ("sentence", "grounded"),
    [
        ("I'm sorry to hear about your toothache.", True),  # echoes the caller
        ("A cleaning is 95 dollars at Maple Street Dental.", True),
        ("Hello John Smith, welcome to Maple Street Dental!", True),  # both names were said before
        ("Hello John Smith, welcome to Springfield Dental!", False),  # an invented business name
        ("Dr Jones will call you back.", False),  # an invented person
        ("No, pets are forbidden by the landlord's insurance policy.", False),
    ],
)
def test_llm_sentences_must_be_grounded(profile: BusinessProfile, sentence: str, grounded: bool) -> None:
    caller = "My name is John Smith and I have a toothache."
    assert is_grounded(sentence, profile, caller) is grounded


def test_bad_profile_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "business.toml"
    path.write_text('name = "X"\ntimezone = "Mars/Base"\n[hours]\nmonday = ["17:00-09:00"]\n')
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    message = str(err.value)
    assert "timezone" in message and "Mars/Base" in message
    assert "hours.monday.0" in message and "09:00-17:00" in message
    path.write_text('name = "X"\n[hours]\nfunday = ["09:00-17:00"]\n')
    with pytest.raises(ConfigError, match="funday"):
        load_profile(path)


def test_missing_profile_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="receptionist init"):
        load_profile(tmp_path / "nope.toml")


def test_directions_follow_the_address(profile: BusinessProfile) -> None:
    guided = profile.model_copy(update={"directions": "Across from the library, on the corner of Oak Avenue"})
    assert plan_reply(guided, "How do I find you?").text.startswith(
        "We're located at 123 Maple Street, Springfield. Across from the library, on the corner of Oak Avenue.")
    assert "Directions: Across from the library" in system_prompt(guided)
    plain = plan_reply(profile, "How do I find you?").text
    assert plain.startswith("We're located at 123 Maple Street, Springfield. Is")
