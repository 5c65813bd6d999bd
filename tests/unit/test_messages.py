"""Taking a message: the caller's name, callback number and urgency read from their own words."""

from __future__ import annotations

import pytest

from appliance.reception.messages import CallerMessage, confirmation, read_message, wants_message


@pytest.mark.parametrize(
    ("said", "wants"),
    [
        ("I'd like to book an appointment for next week.", True),
        ("Can you take a message for Dr. Patel?", True),
        ("Please have someone call me back.", True),
        ("I need to reschedule.", True),
        ("What are your opening hours?", False),
        ("I have a toothache.", False),
    ],
)
def test_wants_message(said: str, wants: bool) -> None:
    assert wants_message(said) is wants


def test_a_full_message() -> None:
    message = read_message("Hi, my name is Ana Lopez, my number is 555-123-4567. My crown fell out, it's urgent.",
                           "5550100")
    assert message == CallerMessage("Ana Lopez", "+15551234567", message.reason, True, number_heard=True)
    assert message.reason.startswith("Hi, my name is Ana Lopez")
    event = message.event(1700000000.0)
    assert (event.name, event.callback_number, event.urgency, event.at) == ("Ana Lopez", "+15551234567", "urgent",
                                                                            1700000000.0)


@pytest.mark.parametrize(
    ("said", "caller", "name", "number"),
    [
        ("This is John, please call me back about my bill.", "+1 555 010 0199", "John", "+15550100199"),
        ("This is John, call me back.", "sip:+15550100199@pbx.lan;user=phone", "John", "+15550100199"),
        ("I'm calling about my bill, call me on +44 20 7946 0958.", "5550100", None, "+442079460958"),
        ("it's about my appointment on the 12th", "anonymous", None, None),  # no name, no number to call
        ("I'm Bob and my room is 12", "5550100", "Bob", "5550100"),  # 12 is too short to be a phone number
        ("I'm Bob, call 0044 20 7946 0958", "", "Bob", "+442079460958"),
        ("This is Dana Socks, F-O-X, call me at 202 555 0147.", "", "Dana Fox", "+12025550147"),  # spelled
        ("Call me at 202 555 0147, it's C, O, L, E.", "", "Cole", "+12025550147"),
    ],
)
def test_names_and_numbers(said: str, caller: str, name: str | None, number: str | None) -> None:
    message = read_message(said, caller)
    assert (message.name, message.callback_number, message.urgent) == (name, number, False)


def test_confirmation() -> None:
    assert confirmation(CallerMessage("Ana Lopez", "555", "x", True, number_confirmed=True)) == (
        "Thank you, Ana. I've taken your message. I've marked it as urgent. The team will call you back.")
    assert confirmation(CallerMessage(None, None, "x", False)) == (
        "Thank you. I've taken your message. The team will see it.")
    assert confirmation(CallerMessage("Ana", "555", "x", False), thanked=True) == (
        "I've taken your message. The team will see it.")  # a number the caller did not confirm


def test_numbers_said_as_words_and_the_member_it_is_for() -> None:
    said = "It's Ana, call me on five five five, oh one nine, double four seven one."
    message = read_message(said, "5550100", for_member="okafor")
    assert (message.callback_number, message.for_member) == ("+15550194471", "okafor")
    event = message.event(1.0)
    assert (event.for_member, event.number_confirmed) == ("okafor", False)


def test_a_national_number_is_read_in_the_default_region() -> None:
    said = "This is Ana, call me back on 020 7946 0958."
    assert read_message(said, "anonymous", "GB").callback_number == "+442079460958"
    assert read_message(said, "anonymous").callback_number == "02079460958"  # not a full US number: digits kept
