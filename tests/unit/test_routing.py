"""Putting callers through: by name, role or need in several phrasings, only when the person can be reached,
the front desk for 'a person' and key 0, and callers who tell of a problem."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.reception.directory import AfterHours
from appliance.reception.plan import Expect, Intent
from appliance.reception.plans import key_plan, opening_plan
from appliance.reception.policy import plan_reply
from appliance.reception.profile import BusinessProfile
from appliance.reception.routing import accepts
from appliance.reception.screening import is_blocked

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York
CLOSED = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10 PM the evening before


@pytest.mark.parametrize(("said", "member"), [
    ("Can I speak with Ann Lee, please?", "ann"),
    ("Put me through to Ann.", "ann"),
    ("Is Ms. Lee there?", "ann"),
    ("Can I talk to someone in billing?", "ann"),
    ("I'd like to speak to accounts.", "ann"),
    ("Who do I speak to about an invoice?", "ann"),
    ("I have a question about my insurance claim, who handles that?", "ann"),
    ("Put me through to the front desk.", "desk"),
    ("Can I speak to a person?", "desk"),
    ("Can I speak for real, person? Please.", "desk"),  # 'to a real person' as tiny.en heard it over the line
    ("I want a human.", "desk"),
    ("I'm calling about my bill.", "ann"),  # a need told, not asked
    ("Who looks after billing?", "ann"),
    ("Who's in charge of invoices?", "ann"),  # 'charge' here asks for a person, not a price
    ("I have a question about an invoice.", "ann"),
    ("Can I talk about my invoice?", "ann"),
])
def test_callers_are_put_through_by_name_role_or_need(clinic: BusinessProfile, said: str, member: str) -> None:
    plan = plan_reply(clinic, said, now=OPEN)
    assert plan.intent is Intent.TRANSFER, plan
    assert plan.transfer_to is not None and plan.transfer_to.id == member
    assert plan.text == f"One moment, I'll see if {plan.transfer_to.name} is available."  # warm by default


def test_someone_away_is_not_rung_and_a_message_is_offered(clinic: BusinessProfile) -> None:
    plan = plan_reply(clinic, "Is Dr. Okafor in today?", now=OPEN)  # a Wednesday: Dr. Okafor works Mondays
    assert plan.intent is Intent.UNAVAILABLE and plan.transfer_to is None
    assert plan.text.startswith("I'm sorry, Dr. Chidi Okafor isn't available right now.")
    assert plan.expect is Expect.OFFER_ANSWER


def test_after_hours_only_the_after_hours_rules_put_through(clinic: BusinessProfile) -> None:
    urgent = plan_reply(clinic, "My gum is bleeding and swollen.", now=CLOSED)
    assert urgent.intent is Intent.TRANSFER and urgent.transfer_to is not None
    assert urgent.transfer_to.id == "oncall" and urgent.text.startswith("I'm sorry to hear that.")
    assert plan_reply(clinic, "Can I speak with Ann Lee?", now=CLOSED).intent is Intent.UNAVAILABLE
    knocked = plan_reply(clinic, "My tooth got knocked out.", now=CLOSED)  # an injury told: sympathy first
    assert knocked.text.startswith("I'm sorry to hear that."), knocked


@pytest.mark.parametrize("said", [
    "My tooth has been hurting since Sunday.",
    "I had a filling last year and it feels loose.",
    "I am a bit nervous about dentists.",
])
def test_callers_who_tell_of_a_problem_get_an_acknowledgement_and_a_next_step(clinic: BusinessProfile,
                                                                              said: str) -> None:
    plan = plan_reply(clinic, said, now=OPEN)
    assert plan.intent is Intent.STATEMENT and not plan.use_llm
    assert plan.text.split(".")[0] in {"I'm sorry to hear that", "I understand"}
    assert "take a message" in plan.text and plan.expect is Expect.OFFER_ANSWER


def test_key_zero_is_the_front_desk(clinic: BusinessProfile) -> None:
    plan = key_plan(clinic, "0", OPEN)
    assert plan is not None and plan.transfer_to is not None and plan.transfer_to.id == "desk"
    assert key_plan(clinic, "5", OPEN) is None
    nobody = key_plan(clinic.model_copy(update={"front_desk": ""}), "0", OPEN)
    assert nobody is not None and nobody.intent is Intent.UNAVAILABLE


def test_without_a_team_asking_for_someone_is_asking_for_a_message(profile: BusinessProfile) -> None:
    alone = profile.model_copy(update={"team": [], "routes": [], "front_desk": ""})
    assert plan_reply(alone, "Can I speak to someone about my bill?", now=OPEN).intent is Intent.MESSAGE


def test_hours_for_a_named_day_and_durations(clinic: BusinessProfile) -> None:
    sunday = plan_reply(clinic, "Are you open this Sunday?", now=OPEN)
    assert sunday.intent is Intent.HOURS and sunday.text.startswith("No, we're closed on Sunday")
    lunch = plan_reply(clinic, "Are you open at half past twelve on Thursday?", now=OPEN)
    assert lunch.intent is Intent.HOURS and "closed" in lunch.text.lower()


def test_the_greeting_follows_the_after_hours_path(clinic: BusinessProfile) -> None:
    open_greeting = opening_plan(clinic, False, OPEN)
    assert open_greeting.intent is Intent.OPEN and open_greeting.text == clinic.greeting_text
    message = opening_plan(clinic, False, CLOSED)
    assert message.text.startswith("Thank you for calling Maple Street Dental. We're closed right now. We open "
                                   "tomorrow at 8 AM. I can take a message") and message.expect is Expect.MESSAGE
    on_call = clinic.model_copy(update={"after_hours": AfterHours(action="transfer", to="oncall")})
    transfer = opening_plan(on_call, False, CLOSED)
    assert transfer.transfer_to is not None and transfer.transfer_to.id == "oncall"
    announce = clinic.model_copy(update={"after_hours": AfterHours(action="announce", announcement="Call 911.")})
    assert opening_plan(announce, False, CLOSED).end_call


def test_blocked_callers_are_declined_or_told(clinic: BusinessProfile) -> None:
    blocked = clinic.model_copy(update={"blocked": ["+1 (555) 010-0999"]})
    assert is_blocked(blocked, "sip:15550100999@10.0.0.2", "US") and not is_blocked(blocked, "+15550100", "US")
    assert not is_blocked(blocked, "anonymous", "US")
    told = opening_plan(blocked.model_copy(update={"blocked_action": "announce"}), True, OPEN)
    assert told.end_call and told.text.startswith("I'm sorry, we can't take your call.")



def test_a_blind_transfer_says_it_puts_the_caller_through(clinic: BusinessProfile) -> None:
    team = [m.model_copy(update={"transfer": "blind"}) for m in clinic.team]
    plan = plan_reply(clinic.model_copy(update={"team": team}), "Can I speak with Ann Lee?", now=OPEN)
    assert plan.text == "One moment, I'll put you through to Ann Lee."


@pytest.mark.parametrize(("said", "verdict"), [
    ("Yes, put them through.", True), ("Yeah sure", True), ("OK", True), ("No, I'm busy.", False),
    ("Not now, take a message.", False), ("Hmm", None), ("", None),
])
def test_a_team_members_answer_to_the_brief(said: str, verdict: bool | None) -> None:
    assert accepts(said) is verdict
