"""Phone numbers in a caller's words (digits, words, and the ways Whisper writes them) and read back in groups."""

from __future__ import annotations

import pytest

from appliance.phone import digit_groups
from appliance.reception.messages import spoken_number
from appliance.reception.numbers import say_digits, spoken_numbers


@pytest.mark.parametrize(
    ("said", "numbers"),
    [
        ("five five five zero one nine four four seven one", ["5550194471"]),
        ("five five five, oh one nine, four four seven one", ["5550194471"]),
        ("Five five five oh one nine double four seven one.", ["5550194471"]),
        ("triple five, zero one nine, four four seven one", ["5550194471"]),
        ("five five five, zero one nine, double-four seven one", ["5550194471"]),
        ("555-019-4471", ["5550194471"]),
        ("(555) 019-4471", ["5550194471"]),
        ("555.019.4471", ["5550194471"]),
        ("5550194471", ["5550194471"]),
        ("555 0194471", ["5550194471"]),
        ("5 5 5 0 1 9 4 4 7 1", ["5550194471"]),
        ("5, 5, 5, 0, 1, 9, 4, 4, 7, 1.", ["5550194471"]),
        ("Five, five, five. Zero, one, nine. Four, four, seven, one.", ["5550194471"]),
        ("five-five-five, zero-one-nine, forty-four seventy-one", ["5550194471"]),
        ("555 oh one nine 44 seven one", ["5550194471"]),  # digits and words mixed
        ("555 uh 019 um 4471", ["5550194471"]),  # hesitations inside a number
        ("My name is Anna. Please call me back at 5 5 5, 2 0 1, 7 7 8 8.", ["5552017788"]),
        ("Oh, it's 555 019 4471", ["5550194471"]),  # an "oh" that is not a zero
        ("oh two oh seven nine four six oh nine five eight", ["02079460958"]),
        ("+1 (555) 019-4471", ["+15550194471"]),
        ("plus four four twenty, seven nine four six, oh nine five eight", ["+442079460958"]),
        ("eight hundred five five five one two one two", ["8005551212"]),
        ("five hundred and fifty five, 019, 4471", ["5550194471"]),
        ("five five five two thousand", ["5552000"]),
        ("No, it's 555 019 4472.", ["5550194472"]),
        ("I'm in room 12, call me on 555.019.4471", ["12", "5550194471"]),
        ("See you on the 12th at 3 pm.", ["3"]),  # "12th" is a date, not digits
        ("I have a question about my bill.", []),
    ],
)
def test_numbers_in_a_callers_words(said: str, numbers: list[str]) -> None:
    assert spoken_numbers(said) == numbers


@pytest.mark.parametrize(
    ("number", "region", "groups"),
    [
        ("+15550194471", "US", ["555", "019", "4471"]),  # the default region's country code is not read
        ("+15550194471", "GB", ["+1", "555", "019", "4471"]),
        ("+442079460958", "GB", ["020", "7946", "0958"]),
        ("+442079460958", "US", ["+44", "20", "7946", "0958"]),
        ("5550123", "US", ["555", "0123"]),  # a caller ID that is not a full number: digits in sensible groups
        ("1001", "US", ["1001"]),
        ("12345678", "US", ["123", "456", "78"]),
        ("123456789012", "US", ["123", "456", "789", "012"]),
    ],
)
def test_digit_groups(number: str, region: str, groups: list[str]) -> None:
    assert digit_groups(number, region) == groups


def test_a_number_is_read_back_digit_by_digit_in_groups() -> None:
    assert say_digits("+15550194471", "US") == "five five five, zero one nine, four four seven one"
    assert say_digits("+442079460958", "US") == "plus four four, two zero, seven nine four six, zero nine five eight"


@pytest.mark.parametrize(("said", "numbers"), [
    ("Call to 0-2-5-5-5-0147.", ["2025550147"]),  # "two" heard as "to"
    ("No, it's time, time, time, 2.0.1, 7.7.8.9.", ["5552017789"]),  # "five" heard as "time"
    ("fine fine fine, oh one nine, for four seven one", ["5550194471"]),
    ("I want to talk to someone for a minute", []),  # no digit near: plain words
    ("call me at 555 0199 to confirm", ["55501992"]),  # "to" after a run goes on it; the caller of
])                                                     # spoken_number keeps the plain reading when that is full
def test_words_that_sound_like_digits_are_read_when_asked(said: str, numbers: list[str]) -> None:
    assert spoken_numbers(said, sound_alike=True) == numbers


@pytest.mark.parametrize(("said", "number"), [
    ("This is Paul Green. Call me back at to 0-2-5-5-5. 0-1-4-7.", "+12025550147"),
    ("No, it's time, time, time, 2.0.1, 7.7.8.9.", "+15552017789"),
    ("call me back at 202 555 0147 to confirm", "+12025550147"),  # the plain reading is full: kept
    ("call me back at 555 0199 for the results", "5550199"),  # neither is full: the plain one
    ("I want to talk to someone", None),
])
def test_sound_alikes_count_only_when_they_make_a_full_number(said: str, number: str | None) -> None:
    assert spoken_number(said, "US") == number
