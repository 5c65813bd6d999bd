"""Named days callers ask about (US holidays), each a rule from a year to its date (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

Rule = Callable[[int], date]


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1-based; -1 for the last) weekday (0 = Monday) of a month."""
    if nth < 0:
        after = date(year + month // 12, month % 12 + 1, 1)
        back = (after.weekday() - weekday - 1) % 7 + 1
        return after - timedelta(days=back)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_fix = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_fix) // 451
    month, day = divmod(h + weekday_fix - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _fixed(month: int, day: int) -> Rule:
    return lambda year: date(year, month, day)


def _nth(month: int, weekday: int, nth: int) -> Rule:
    return lambda year: nth_weekday(year, month, weekday, nth)


def _after(rule: Rule, days: int) -> Rule:
    return lambda year: rule(year) + timedelta(days=days)


_THANKSGIVING = _nth(11, 3, 4)
_NEW_YEAR = _fixed(1, 1)
_CHRISTMAS = _fixed(12, 25)
_INDEPENDENCE = _fixed(7, 4)

# Phrases as the parser sees them: lower case, apostrophes dropped, hyphens as spaces. Longer phrases that
# contain shorter ones ("christmas eve" and "christmas") are tried first by `holiday_rule`.
HOLIDAYS: dict[str, Rule] = {
    "new years eve": _fixed(12, 31),
    "new years day": _NEW_YEAR,
    "new years": _NEW_YEAR,
    "new year": _NEW_YEAR,
    "martin luther king": _nth(1, 0, 3),
    "mlk day": _nth(1, 0, 3),
    "presidents day": _nth(2, 0, 3),
    "valentines day": _fixed(2, 14),
    "good friday": _after(easter, -2),
    "easter monday": _after(easter, 1),
    "easter sunday": easter,
    "easter": easter,
    "mothers day": _nth(5, 6, 2),
    "memorial day": _nth(5, 0, -1),
    "fathers day": _nth(6, 6, 3),
    "juneteenth": _fixed(6, 19),
    "fourth of july": _INDEPENDENCE,
    "independence day": _INDEPENDENCE,
    "labor day": _nth(9, 0, 1),
    "labour day": _nth(9, 0, 1),
    "columbus day": _nth(10, 0, 2),
    "indigenous peoples day": _nth(10, 0, 2),
    "halloween": _fixed(10, 31),
    "veterans day": _fixed(11, 11),
    "thanksgiving": _THANKSGIVING,
    "black friday": _after(_THANKSGIVING, 1),
    "christmas eve": _fixed(12, 24),
    "christmas day": _CHRISTMAS,
    "christmas": _CHRISTMAS,
    "xmas": _CHRISTMAS,
}

_LONGEST_FIRST = sorted(HOLIDAYS, key=lambda phrase: -len(phrase.split()))


def holiday_rule(phrase_text: str) -> Rule | None:
    """The rule of the first holiday named in space-separated, normalised words, or None."""
    padded = f" {phrase_text} "
    for phrase in _LONGEST_FIRST:
        if f" {phrase} " in padded:
            return HOLIDAYS[phrase]
    return None


def next_holiday(rule: Rule, today: date) -> date:
    """The holiday's date this year, or next year's when this year's has passed."""
    this_year = rule(today.year)
    return this_year if this_year >= today else rule(today.year + 1)
