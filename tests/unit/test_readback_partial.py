"""A callback number the caller said that cannot be dialled (digits missing, an area code that cannot exist) is
asked for again with the digits heard, never read back as if it were right; the caller ID never is."""

from __future__ import annotations

import pytest

from appliance.phone import is_full_number
from appliance.reception.phrasebook import ANYTHING_ELSE, NOT_CAUGHT, NUMBER_ASK, NUMBER_GIVEN_UP
from appliance.reception.plan import Expect
from appliance.reception.profile import BusinessProfile
from tests.unit.test_readback import leave, say, talk

EIGHT = "This is Ana, call me back on five five two, zero one seven, seven eight."
PART = "I heard five five two, zero one seven, seven eight, which isn't a full phone number."


@pytest.mark.parametrize(("canonical", "full"), [
    ("+12025550123", True), ("+15550194471", True), ("+442079460958", True),
    ("+10255501411", False), ("+11255501411", False), ("55201778", False), ("1001", False), ("", False),
])
def test_a_full_number_is_e164_with_an_area_code_that_can_exist(canonical: str, full: bool) -> None:
    assert is_full_number(canonical) is full


def test_a_number_with_digits_missing_is_asked_for_again(profile: BusinessProfile) -> None:
    c = talk(profile)
    assert leave(c, EIGHT) == f"Thank you, Ana. {PART} {NUMBER_ASK}"
    assert c.expect is Expect.CALLBACK_NUMBER
    assert say(c, "Sorry, it's 555 019 4471.") is None
    assert c.plan("").text == "Thank you. The number I have is five five five, zero one nine, four four seven one. " \
                              "Is that right?"
    message = say(c, "Yes.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+15550194471", True)


def test_yes_to_a_number_that_is_not_full_confirms_nothing(profile: BusinessProfile) -> None:
    c = talk(profile)
    leave(c, EIGHT)
    assert say(c, "Yes.") is None
    assert c.plan("Yes.").text == f"{NOT_CAUGHT} {PART} {NUMBER_ASK}" and c.expect is Expect.CALLBACK_NUMBER
    message = say(c, "Yes, yes.")  # the second failed try: kept as heard, unconfirmed; nothing is lost
    assert message is not None and (message.callback_number, message.number_confirmed) == ("55201778", False)
    assert c.plan("").text == f"{NUMBER_GIVEN_UP} I've taken your message. The team will see it. {ANYTHING_ELSE}"


def test_an_area_code_that_cannot_exist_is_a_number_heard_wrong(profile: BusinessProfile) -> None:
    c = talk(profile)
    heard = "This is Dana, call me at 02555, 01411."
    assert leave(c, heard) == ("Thank you, Dana. I heard zero two five, five five zero, one four one one, which "
                               f"isn't a full phone number. {NUMBER_ASK}")
    assert say(c, "It's 0 2 5 5 5 0 1 4 1 1.") is None  # the same again: still no number to read back
    assert NUMBER_ASK in c.plan("").text
    assert say(c, "202 555 0147.") is None  # a full number at last: read back
    assert "two zero two, five five five, zero one four seven. Is that right?" in c.plan("").text
    message = say(c, "Yes.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("+12025550147", True)


def test_a_caller_id_that_is_an_extension_is_read_back(profile: BusinessProfile) -> None:
    c = talk(profile, caller="sip:1001@pbx.lan")
    assert leave(c, "This is Ana, call me back.") == (
        "Thank you, Ana. The number I have is one zero zero one. Is that right?")
    message = say(c, "Yes.")
    assert message is not None and (message.callback_number, message.number_confirmed) == ("1001", True)
