"""Facts about services, phrased for speech: the most and least expensive, and how long one takes (pure).

Prices are the profile's own strings. The amount of a price is its first number ("$120", "120 USD", "95 dollars",
"$1,200.50"; "from $90" and "$90-$120" count as 90, their lowest); "free", "no charge" and "complimentary" are 0.
A price with no number ("call us", "varies") has no amount and is left out of comparisons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, NamedTuple

from appliance.reception.phrasebook import NO_INFO
from appliance.reception.wording import says, singular, words

_AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?")
_FREE = ("free", "no charge", "complimentary")
_MOST = ("most expensive", "priciest", "cost the most", "costs the most", "highest price", "most costly",
         "dearest")
_LEAST = ("least expensive", "cheapest", "cost the least", "costs the least", "lowest price", "most affordable",
          "least costly")
_DURATION = ("how long", "duration", "how many minutes", "how much time", "take long", "takes long")
_STEM = 4  # letters: the least a word form shares, and the most it adds
_GENERIC = {"a", "an", "the", "of", "and", "for", "with", "your", "service", "appointment", "session", "visit"}


Extreme = Literal["most", "least"]


class ServiceFact(NamedTuple):
    """A service as the facts need it: its name, its price as spoken, and its length in minutes if known."""

    name: str
    price: str = ""
    minutes: int | None = None


def price_amount(price: str) -> Decimal | None:
    """The amount of a spoken price (see the module's rules), or None when it has none."""
    match = _AMOUNT.search(price)
    if match:
        return Decimal(match.group().replace(",", ""))
    return Decimal(0) if says(price, _FREE) else None


def asks_price_extreme(text: str) -> Extreme | None:
    """'most' or 'least' when the caller asks which service costs the most or the least, else None."""
    if says(text, _MOST):
        return "most"
    return "least" if says(text, _LEAST) else None


def price_extreme_sentence(services: Sequence[ServiceFact], extreme: Extreme) -> str:
    """'Teeth whitening costs the most, at 250 dollars.' (ties named together); honest when no price is known."""
    priced = [(amount, s) for s in services if (amount := price_amount(s.price)) is not None]
    if not priced:
        return NO_INFO
    pick = max if extreme == "most" else min
    best = pick(amount for amount, _ in priced)
    tied = [s for amount, s in priced if amount == best]
    names = _capital(" and ".join(s.name for s in tied))
    verb = "costs" if len(tied) == 1 else "cost"
    if best == 0:
        return f"{names} {'is' if len(tied) == 1 else 'are'} free."
    return f"{names} {verb} the {extreme}, {_at_price(tied[0].price)}."


def _at_price(price: str) -> str:
    return price if words(price)[:1] in (["from"], ["starting"]) else f"at {price}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _significant(text: str) -> set[str]:
    return {singular(w) for w in words(text)} - _GENERIC


def named_services(services: Sequence[ServiceFact], text: str) -> list[ServiceFact]:
    """The services the caller's words name best: all of a service's words count most, then the share of them said.

    "cleaning" names "Teeth cleaning" (so do "clean" and "cleanings": word forms count); "teeth cleaning" prefers
    "Teeth cleaning" to "Teeth whitening"; two services that fit equally well are both returned, so the caller can
    be asked which one they mean.
    """
    said = _significant(text)
    scored: list[tuple[tuple[float, int], ServiceFact]] = []
    for service in services:
        name = _significant(service.name)
        common = {word for word in name if any(same_stem(word, other) for other in said)}
        if common:
            scored.append(((len(common) / len(name), len(common)), service))
    best = max((score for score, _ in scored), default=None)
    return [service for score, service in scored if score == best]


def same_stem(one: str, other: str) -> bool:
    """Whether two (singular) words are forms of one word: equal, or the shorter (4 letters or more) begins the
    longer, which goes on by at most 4 letters ('whiten' and 'white' for 'whitening', 'clean' for 'cleaning')."""
    short, long_ = sorted((one, other), key=len)
    return short == long_ or (len(short) >= _STEM and long_.startswith(short) and len(long_) - len(short) <= _STEM)


def asks_duration(text: str) -> bool:
    """Whether the caller asks how long something takes."""
    return says(text, _DURATION)


def duration_sentence(services: Sequence[ServiceFact], text: str) -> str:
    """'A teeth cleaning takes about 45 minutes.', or honestly 'I don't have the duration of a teeth cleaning.'"""
    named = named_services(services, text)
    if not named:
        return NO_INFO
    if len(named) > 1:
        return f"Do you mean {' or '.join(_lower(s.name) for s in named)}?"
    service = named[0]
    if service.minutes is None:
        return f"I don't have the duration of {_article(service.name)}."
    return f"{_capital(_article(service.name))} takes about {spoken_minutes(service.minutes)}."


def _lower(name: str) -> str:
    """A name inside a sentence: first letter lowered, unless it starts an acronym ('MRI scan')."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _article(name: str) -> str:
    """'a teeth cleaning', 'an X-ray' (by its first letter: 'an' before a vowel or an acronym starting like one)."""
    lowered = _lower(name)
    vowel = lowered[:1].lower() in "aeio" or (name[:2].isupper() and name[:1] in "AEFHILMNORSX")
    return f"{'an' if vowel else 'a'} {lowered}"


def spoken_minutes(minutes: int) -> str:
    """'45 minutes', 'an hour', 'an hour and a half', '2 hours', '1 hour and 15 minutes'."""
    hours, rest = divmod(minutes, 60)
    unit = "minute" if rest == 1 else "minutes"
    if hours == 0:
        return f"{rest} {unit}"
    if rest == 30:
        return "an hour and a half" if hours == 1 else f"{hours} and a half hours"
    whole = "an hour" if hours == 1 else f"{hours} hours"
    if rest == 0:
        return whole
    return f"{'1 hour' if hours == 1 else whole} and {rest} {unit}"
