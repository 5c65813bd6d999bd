"""Facts about services: prices compared, services named loosely, and how long one takes."""

from decimal import Decimal

import pytest

from appliance.reception.phrasebook import NO_INFO
from appliance.reception.service_facts import (
    ServiceFact,
    asks_duration,
    asks_price_extreme,
    duration_sentence,
    named_services,
    price_amount,
    price_extreme_sentence,
    spoken_minutes,
)
from appliance.reception.wording import singular

DENTIST = [
    ServiceFact("Teeth cleaning", "$120", 45),
    ServiceFact("Checkup", "from $90", 30),
    ServiceFact("Teeth whitening", "250 USD", None),
    ServiceFact("X-ray", "free", 10),
    ServiceFact("Consultation", "call us", 90),
]


@pytest.mark.parametrize(("price", "amount"), [
    ("$120", Decimal(120)),
    ("120 USD", Decimal(120)),
    ("from $90", Decimal(90)),
    ("95 dollars", Decimal(95)),
    ("$1,200.50", Decimal("1200.50")),
    ("$90-$120", Decimal(90)),
    ("free", Decimal(0)),
    ("No charge", Decimal(0)),
    ("call us", None),
    ("", None),
])
def test_the_amount_of_a_spoken_price(price: str, amount: Decimal | None) -> None:
    assert price_amount(price) == amount


@pytest.mark.parametrize(("text", "extreme"), [
    ("Which of your services costs the most?", "most"),
    ("what's your most expensive treatment", "most"),
    ("What is the cheapest thing you do?", "least"),
    ("which one is least expensive", "least"),
    ("How much is a cleaning?", None),
])
def test_asking_for_the_most_or_least_expensive(text: str, extreme: str | None) -> None:
    assert asks_price_extreme(text) == extreme


def test_most_and_least_expensive_leave_unpriced_services_out() -> None:
    assert price_extreme_sentence(DENTIST, "most") == "Teeth whitening costs the most, at 250 USD."
    assert price_extreme_sentence(DENTIST, "least") == "X-ray is free."
    paid = [s for s in DENTIST if s.price != "free"]
    assert price_extreme_sentence(paid, "least") == "Checkup costs the least, from $90."


def test_ties_are_named_together_and_no_prices_is_said_honestly() -> None:
    tied = [ServiceFact("Filling", "$80"), ServiceFact("sealant", "80 dollars"), ServiceFact("Crown", "$900")]
    assert price_extreme_sentence(tied, "least") == "Filling and sealant cost the least, at $80."
    assert price_extreme_sentence([ServiceFact("Crown", "varies")], "most") == NO_INFO
    assert price_extreme_sentence([], "least") == NO_INFO


@pytest.mark.parametrize(("word", "one"), [
    ("cleanings", "cleaning"), ("rays", "ray"), ("teeth", "teeth"), ("braces", "brace"), ("batteries", "battery"),
    ("glasses", "glass"), ("brushes", "brush"), ("class", "class"), ("bus", "bus"), ("this", "this"),
])
def test_singular(word: str, one: str) -> None:
    assert singular(word) == one


@pytest.mark.parametrize(("text", "names"), [
    ("How long does a cleaning take?", ["Teeth cleaning"]),
    ("how long do cleanings take", ["Teeth cleaning"]),
    ("How long does teeth whitening take?", ["Teeth whitening"]),
    ("how long are x-rays", ["X-ray"]),
    ("how long is something with teeth", ["Teeth cleaning", "Teeth whitening"]),
    ("how long is a root canal", []),
    ("How much to whiten my teeth?", ["Teeth whitening"]),
    ("How much does the white and incock?", ["Teeth whitening"]),  # 'teeth whitening' as tiny.en heard it
    ("how long does it take to clean", ["Teeth cleaning"]),
    ("how much is a check", ["Checkup"]),
])
def test_services_are_named_loosely(text: str, names: list[str]) -> None:
    assert [s.name for s in named_services(DENTIST, text)] == names


@pytest.mark.parametrize(("text", "answer"), [
    ("How long does a cleaning take?", "A teeth cleaning takes about 45 minutes."),
    ("How long does a checkup take?", "A checkup takes about 30 minutes."),
    ("how long does the x-ray take", "An X-ray takes about 10 minutes."),
    ("What's the duration of a consultation?", "A consultation takes about an hour and a half."),
    ("How long does whitening take?", "I don't have the duration of a teeth whitening."),
    ("How long does something for my teeth take?", "Do you mean teeth cleaning or teeth whitening?"),
    ("How long is a root canal?", NO_INFO),
])
def test_how_long_a_service_takes(text: str, answer: str) -> None:
    assert duration_sentence(DENTIST, text) == answer


@pytest.mark.parametrize(("text", "asked"), [
    ("How long does a cleaning take?", True),
    ("how much time do I need for a checkup", True),
    ("How much is a cleaning?", False),
])
def test_asking_how_long(text: str, asked: bool) -> None:
    assert asks_duration(text) is asked


@pytest.mark.parametrize(("minutes", "spoken"), [
    (1, "1 minute"), (45, "45 minutes"), (60, "an hour"), (75, "1 hour and 15 minutes"), (90, "an hour and a half"),
    (120, "2 hours"), (150, "2 and a half hours"), (135, "2 hours and 15 minutes"),
])
def test_spoken_minutes(minutes: int, spoken: str) -> None:
    assert spoken_minutes(minutes) == spoken
