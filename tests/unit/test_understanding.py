"""Understanding callers whose words come through speech recognition: plural and singular roles and needs, a name
misheard after a title, part of a service's name, and an on-call need said where a message was asked for; and
the guards that keep a near match from putting through a caller who asked for something else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.reception.conversation import Conversation, Rules
from appliance.reception.plan import Expect, Intent
from appliance.reception.plans import on_call_need
from appliance.reception.policy import plan_reply
from appliance.reception.profile import BusinessProfile
from appliance.reception.routing import find_member, sounds_like
from appliance.reception.wording import joined_pairs, singular, singular_words, sound_key

OPEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10 AM in New York
CLOSED = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 10 PM the evening before


@pytest.fixture
def practice(clinic: BusinessProfile) -> BusinessProfile:
    """The clinic with services, a mechanic-like plural role and a second doctor."""
    data = clinic.model_dump()
    data["team"] += [{"id": "hyg", "name": "Dr. Mia Hart", "role": "hygienist", "target": "203"}]
    data["services"] = [{"name": "Teeth cleaning", "price": "95 dollars"},
                        {"name": "Teeth whitening", "price": "250 dollars"}, {"name": "Checkup", "price": "60 dollars"}]
    return BusinessProfile.model_validate(data)


@pytest.mark.parametrize(("word", "one"), [("accounts", "account"), ("mechanics", "mechanic"), ("doctor's", "doctor"),
                                           ("class", "class"), ("bus", "bus"), ("teeth", "teeth")])
def test_singular(word: str, one: str) -> None:
    assert singular(word) == one


def test_neighbouring_words_joined() -> None:
    assert joined_pairs("a mountain in voice") == " mountainin invoice "  # one-letter words stay apart
    assert joined_pairs("a bill") == "  "  # too short to be one word misheard as two
    assert joined_pairs("") == "  "


def test_singular_words_make_plural_and_singular_alike() -> None:
    assert singular_words("The accounts department") == singular_words("the account department") == \
        " the account department "


@pytest.mark.parametrize(("said", "member"), [
    ("I need to speak with the account department.", "ann"),  # Whisper drops the plural 's'
    ("Can I talk to one of your dentists?", "okafor"),
    ("Can I talk to one of your hygienists?", "hyg"),
    ("I have a question about my bills.", "ann"),
    ("Is Dr. Rocka for in today?", "okafor"),  # 'Dr. Okafor' as tiny.en hears it over a phone line
    ("Is doctor Okafore there?", "okafor"),
    ("Is Dr. Chahfer in today?", "okafor"),  # over G.722: the consonants of Okafor
    ("Can I speak to Doctor Hart?", "hyg"),
    ("Who do I talk to a mountain in voice?", "ann"),  # 'about an invoice': a word split in two, joined again
])
def test_heard_words_find_the_member(practice: BusinessProfile, said: str, member: str) -> None:
    match = find_member(practice, said)
    assert match is not None and match.member.id == member


@pytest.mark.parametrize("said", [
    "Is Dr. Smith in today?",  # a doctor who is not on the team
    "Can I speak to the doctor?",  # a title with no name: no near match (the role words decide)
    "Is Dr. Rock after interlude?",  # too far from Okafor to risk it
    "I'd like to book a cleaning.",
    "My daughter has an appointment on Friday.",
    "I can sell you a bike in voice mail.",  # joined pairs: 'invoicemail', 'cansell' name nobody
])
def test_near_misses_do_not_put_through(practice: BusinessProfile, said: str) -> None:
    match = find_member(practice, said)
    assert match is None or match.by != "name", match


def test_a_near_name_must_sound_clearly_like_one_member(practice: BusinessProfile) -> None:
    data = practice.model_dump()
    data["team"] += [{"id": "okafo", "name": "Dr. Ada Okafo", "target": "204"}]
    twins = BusinessProfile.model_validate(data)
    assert find_member(twins, "Is Dr. Rocka for in?") is None  # Okafor or Okafo: nobody rather than a guess
    assert sounds_like("rockafor", "okafor") > 0.8 > sounds_like("rockafter", "okafor")


def test_a_sound_key_keeps_the_consonants_spelled_one_way() -> None:
    assert sound_key("Chahfer") == sound_key("Okafor") == sound_key("kieffer") == "kfr"
    assert sound_key("Phillips") == "flps" and sound_key("Rivera") == "rvr" and sound_key("Lee") == "l"
    assert sounds_like("lo", "lee") < 0.5  # keys under 3 consonants ("l" and "l"): the spelling alone


def test_part_of_a_service_name_gets_its_price(practice: BusinessProfile) -> None:
    plan = plan_reply(practice, "How much does the whitening cost?", now=OPEN)
    assert plan.intent is Intent.PRICE and plan.text.startswith("Teeth whitening is 250 dollars.")
    assert "95" not in plan.text


def test_a_service_name_part_shared_by_two_is_asked_about(practice: BusinessProfile) -> None:
    plan = plan_reply(practice, "How much is it for teeth?", now=OPEN)
    assert plan.text.startswith("Do you mean Teeth cleaning or Teeth whitening?")


def test_an_on_call_need_after_hours_is_put_through_not_taken_as_a_message(practice: BusinessProfile) -> None:
    talk = Conversation(Rules(practice, 600, 30, clock=lambda: CLOSED), "+12025550123", 0.0)
    assert talk.greeting().expect is Expect.MESSAGE  # the after-hours path asks for a message
    said = "My tooth got knocked out and it's bleeding."
    assert talk.heard(said, 1.0) is None and talk.outcome.value != "message-taken"
    plan = talk.plan(said)
    assert plan.intent is Intent.TRANSFER and plan.transfer_to is not None and plan.transfer_to.id == "oncall"
    assert plan.text.startswith("I'm sorry to hear that.")


def test_other_words_after_hours_are_the_message(practice: BusinessProfile) -> None:
    assert not on_call_need(practice, "It's Sam Cole, about my bill.", CLOSED)
    assert not on_call_need(practice, "My gum is bleeding.", OPEN)  # the on-call rule is for closed hours
    # a callback asked for is a message, even when a word of the rule is in it (misheard: 'cleaning')
    assert not on_call_need(practice, "It's Maria Lopez, please call me back about a bleeding.", CLOSED)
    talk = Conversation(Rules(practice, 600, 30, clock=lambda: CLOSED), "+12025550123", 0.0)
    talk.greeting()
    talk.heard("This is Sam Cole, call me back about my bill.", 1.0)
    assert talk.outcome.value == "message-taken"
