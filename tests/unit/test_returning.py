"""Returning callers greeted by name (pure wording, the greeting plan, the run's lookup port) and knowledge gaps
(what counts as one, what the run emits)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from appliance.call.events import KnowledgeGap, Speaker
from appliance.call.returning import KnownName
from appliance.call.run import CallRun
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.gaps import NUMBER_MASK, knowledge_gap, masked, question_key
from appliance.reception.plan import Intent, ReplyPlan
from appliance.reception.plans import opening_plan
from appliance.reception.profile import BusinessProfile
from appliance.reception.returning import spoken_name, welcome_back
from tests.unit.test_callrun import OPEN_HOURS, FakeEngines, Harness, converse, make

CLOSED = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)  # a Sunday
WELCOMED = "Thank you for calling Maple Street Dental. Welcome back, Ana. How can I help you today?"


@pytest.fixture
def engines() -> FakeEngines:
    return FakeEngines(None, None, None)  # type: ignore[arg-type]


@pytest.fixture
def returning(profile: BusinessProfile) -> BusinessProfile:
    return profile.model_copy(update={"greet_returning_callers": True})


@pytest.mark.parametrize(("stored", "said"), [
    ("Ana Lopez", "Ana"), ("ana", "ana"), ("  Ana  ", "Ana"), ("Dr. Sam Rivera", "Dr. Rivera"),
    ("dr rivera", "dr. rivera"), ("Dr.", None), ("", None), (None, None), ("123 !!", None), ("A" * 41, None),
    ("O'Brien,", "O'Brien"),
])
def test_the_spoken_name_is_a_first_name_or_a_title_and_last_name(stored: str | None, said: str | None) -> None:
    assert spoken_name(stored) == said


def test_welcome_back_goes_before_the_greetings_last_sentence() -> None:
    assert welcome_back("Thank you for calling Maple Street Dental. How can I help you today?", "Ana Lopez") == WELCOMED
    one = "Maple Street Dental, how can I help?"
    assert welcome_back(one, "Ana") == f"Welcome back, Ana. {one}"
    assert welcome_back("Hello. How can I help?", None) == "Hello. How can I help?"


def test_the_open_greeting_welcomes_a_returning_caller_only_when_the_brand_wants_it(
        profile: BusinessProfile, returning: BusinessProfile) -> None:
    assert opening_plan(returning, False, OPEN_HOURS, "Ana Lopez").text == WELCOMED
    assert opening_plan(returning, False, OPEN_HOURS, None).text == profile.greeting_text
    assert opening_plan(profile, False, OPEN_HOURS, "Ana Lopez").text == profile.greeting_text  # switch off
    assert "Ana" not in opening_plan(returning, False, CLOSED, "Ana Lopez").text  # after hours: the closed path
    blocked = returning.model_copy(update={"blocked_action": "announce"})
    assert "Ana" not in opening_plan(blocked, True, OPEN_HOURS, "Ana Lopez").text


def test_the_conversation_passes_the_name_to_the_greeting(returning: BusinessProfile) -> None:
    talk = Conversation(Rules(returning, 300, 10, clock=lambda: OPEN_HOURS), "+15550199887", 0.0)
    assert talk.greeting(name="Ana Lopez").text == WELCOMED


@pytest.mark.parametrize(("question", "key"), [
    ("Can I bring my dog?", "can i bring my dog"),
    ("can I bring my DOG", "can i bring my dog"),
    ("  Can   I bring my dog?!  ", "can i bring my dog"),
    ("What's your Wi-Fi password?", "whats your wi fi password"),
    ("Is 555-123-4567 your fax?", "is number your fax"),
])
def test_questions_are_the_same_by_their_words(question: str, key: str) -> None:
    assert question_key(question) == key


def test_a_gap_is_a_question_answered_with_no_information() -> None:
    unknown = ReplyPlan(Intent.UNKNOWN, text="I'm sorry, I don't have that information.")
    assert knowledge_gap(unknown, "Do you do implants?", "maple", 5.0) == KnowledgeGap("Do you do implants?", "maple",
                                                                                       5.0)
    assert knowledge_gap(ReplyPlan(Intent.HOURS), "When are you open?", "maple", 5.0) is None
    assert knowledge_gap(unknown, " ... ", "maple", 5.0) is None
    assert masked("Can you fax +1 (555) 123-4567 today?") == f"Can you fax {NUMBER_MASK} today?"
    assert masked("Is it open on the 12th?") == "Is it open on the 12th?"


def _with_lookup(h: Harness, known_name: KnownName) -> Harness:
    h.run = CallRun(h.run.ctx, h.run.started, h.line, h.events.append, known_name)
    return h


async def _greeting(h: Harness) -> str:
    h.caller_hangs_up()
    await converse(h, play=False)
    return h.turns(Speaker.RECEPTIONIST)[0].text


async def test_a_returning_caller_is_greeted_by_name(returning: BusinessProfile, engines: FakeEngines) -> None:
    asked: list[str] = []
    h = _with_lookup(make(returning, engines), lambda number: asked.append(number) or "Ana Lopez")
    assert await _greeting(h) == WELCOMED
    assert asked == ["5550100"]


async def test_a_slow_or_failing_lookup_gets_the_plain_greeting_in_time(
        returning: BusinessProfile, engines: FakeEngines, caplog: pytest.LogCaptureFixture) -> None:
    def slow(number: str) -> str:
        time.sleep(0.5)
        return "Ana Lopez"

    def broken(number: str) -> str:
        raise RuntimeError("Ana Lopez")

    assert await _greeting(_with_lookup(make(returning, engines), slow)) == returning.greeting_text  # not waited for
    with caplog.at_level("INFO"):
        assert await _greeting(_with_lookup(make(returning, engines), broken)) == returning.greeting_text
    assert "RuntimeError" in caplog.text and "Ana" not in caplog.text


async def test_no_lookup_when_the_brand_does_not_greet_by_name(profile: BusinessProfile,
                                                               engines: FakeEngines) -> None:
    asked: list[str] = []
    h = _with_lookup(make(profile, engines), lambda number: asked.append(number) or "Ana Lopez")
    assert await _greeting(h) == profile.greeting_text
    assert asked == []


async def test_an_unanswerable_question_is_a_knowledge_gap(profile: BusinessProfile, engines: FakeEngines) -> None:
    h = make(profile, engines)
    h.type("Can I bring my dog?")
    h.type("When are you open?")
    h.caller_hangs_up()
    await converse(h)
    assert [e for e in h.events if isinstance(e, KnowledgeGap)] == [KnowledgeGap("Can I bring my dog?", profile.id,
                                                                                  pytest.approx(time.time(), abs=5))]
