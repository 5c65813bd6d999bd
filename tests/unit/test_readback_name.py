"""The caller's name read back with the first read-back of the number, and put right: whole dialogues on the
pure conversation, and the name rules alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from appliance.call.events import MessageTaken
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.messages import corrected_name, spelled
from appliance.reception.phrasebook import ANYTHING_ELSE, NUMBER_ASK
from appliance.reception.plan import Expect
from appliance.reception.profile import BusinessProfile

WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # open
READ = "The number I have is five five five, two zero one, seven seven eight eight. Is that right?"


def talk(profile: BusinessProfile) -> Conversation:
    c = Conversation(Rules(profile, 600.0, 10.0, clock=lambda: WEDNESDAY), "+12025550123", answered=0.0)
    turn(c, "Can you take a message?")
    return c


def turn(c: Conversation, said: str) -> str:
    assert c.heard(said, at=5.0) is None
    return c.plan(said).text


def final(c: Conversation, said: str) -> MessageTaken:
    message = c.heard(said, at=6.0)
    assert message is not None
    c.plan(said)
    return message


def test_the_whole_name_is_read_back_and_put_right(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert turn(c, "This is Anna Word. Call me back at 555 201 7788.") == f"Thank you, Anna Word. {READ}"
    assert turn(c, "No, my name is Anna Berg.") == f"Sorry about that, Anna Berg. {READ}"
    assert c.expect is Expect.CALLBACK_CHECK
    message = final(c, "Yes, that's right.")
    assert (message.name, message.callback_number, message.number_confirmed) == ("Anna Berg", "+15552017788", True)


def test_a_spelled_surname_takes_the_place_of_the_misheard_one(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Anna Word. Call me back at 555 201 7788.")
    assert turn(c, "No, it's Berg. B, E, R, G.") == f"Sorry about that, Anna Berg. {READ}"
    assert final(c, "Yes.").name == "Anna Berg"


def test_a_name_and_a_number_put_right_at_once(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Anna Word. Call me back at 555 201 7788.")
    reply = turn(c, "No, my name is Anna Berg and the number is 555 201 7789.")
    assert reply == ("Thank you. The number I have is five five five, two zero one, seven seven eight nine. "
                     "Is that right?")
    message = final(c, "Yes.")
    assert (message.name, message.callback_number) == ("Anna Berg", "+15552017789")


def test_a_name_put_right_while_the_number_is_asked_for(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Anna Word. Call me back at 555 201 7788.")
    turn(c, "No.")
    assert c.expect is Expect.CALLBACK_NUMBER
    assert turn(c, "My name is Anna Berg.") == f"Sorry about that, Anna Berg. {NUMBER_ASK}"
    assert c.expect is Expect.CALLBACK_NUMBER


def test_renaming_is_bounded_and_the_message_kept(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Anna Word. Call me back at 555 201 7788.")
    turn(c, "No, my name is Anna Bird.")
    turn(c, "No, my name is Anna Burg.")
    # a third rename is not taken: the answer is read as a plain "no" to the number
    assert turn(c, "No, my name is Anna Berg.").startswith("Sorry about that. What number")
    assert turn(c, "It's 555 201 7788.").endswith(READ)
    assert final(c, "Yes.").name == "Anna Burg"


def test_the_same_name_again_is_no_correction(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Tom Reed. Call me back at 555 201 7788.")
    message = final(c, "Yes, this is Tom.")
    assert (message.name, message.number_confirmed) == ("Tom Reed", True)


def test_the_same_name_heard_again_with_a_no_is_said_again(profile: BusinessProfile) -> None:
    """A correction heard as the name it corrects: the caller hears that it is still the same, and can spell it."""
    c = talk(profile)
    turn(c, "This is Anna Word. Call me back at 555 201 7788.")
    assert turn(c, "No, my name is Anna Word.") == f"Sorry about that, Anna Word. {READ}"
    assert turn(c, "B-E-R-G.") == f"Sorry about that, Anna Berg. {READ}"
    assert final(c, "Yes.").name == "Anna Berg"


def test_final_words_thank_by_first_name(profile: BusinessProfile) -> None:
    c = talk(profile)
    turn(c, "This is Tom Reed. Call me back at 555 201 7788.")
    assert c.heard("Yes.", at=6.0) is not None
    assert c.plan("Yes.").text == f"I've taken your message. The team will call you back. {ANYTHING_ELSE}"


@pytest.mark.parametrize(("said", "word"), [
    ("B-E-R-G", "Berg"), ("It's Berg, B, E, R, G.", "Berg"), ("b e r g", "Berg"), ("L. O. P. E. Z.", "Lopez"),
    ("I'd like a cleaning.", None), ("It's a big day.", None), ("A B", None), ("I, I, I think so.", None),
    ("I, a, I mean, it's C, O, L, E.", "Cole"),
])
def test_spelled_words(said: str, word: str | None) -> None:
    assert spelled(said) == word


@pytest.mark.parametrize(("said", "old", "new"), [
    ("No, my name is Anna Berg.", "Anna Word", "Anna Berg"),
    ("It's Berg.", "Anna Word", "Anna Berg"),  # one word: the surname it is most like
    ("No, it's Ana.", "Anna Word", "Ana Word"),  # ...or the first name, when it is more like that
    ("My name is Berg.", "Annamard", "Berg"),
    ("This is Lisa Grant.", None, "Lisa Grant"),
    ("Yes, this is Tom.", "Tom Reed", "Tom Reed"),  # the same name
    ("No, it's 555 201 7789.", "Anna Word", None),
    ("Yes, it's right.", "Anna Word", None),
    ("No.", "Anna Word", None),
])
def test_corrected_name(said: str, old: str | None, new: str | None) -> None:
    assert corrected_name(said, old) == new
