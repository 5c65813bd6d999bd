"""When a caller asks about: a day, a clock time, or right now, read from their words (pure).

Rules a reader should know:
- A weekday name means its next occurrence, today included ("Sunday", "this Sunday"); "next Monday" is the first
  Monday after today, never today. A plural or "every" ("on Saturdays") means every such day.
- "weekend" and "weekday(s)" mean every such day; the representative date is the first such day on or after today.
- Dates are US month/day: "12/24" is December 24 (a first number above 12 is not a month, so it is ignored). A date
  or holiday without a year is its next occurrence, today included.
- A clock time with no AM/PM and no "morning"/"afternoon"/"evening" is read as the likelier business hour:
  7 to 11 are AM, 12 is noon, 1 to 6 are PM. Times of 0 or 13 to 23 are 24-hour times.
- "midnight" (and "12 am") is the end of the named day, 23:59, since "open at midnight on Friday" means Friday night.
- A bare number counts as a time only after a cue ("at 8", "around 8", "by 8") or with AM/PM, "o'clock", minutes
  ("8:30", "eight thirty") or a part of the day ("8 in the evening"); so "July 4" or "2 kids" are not times.
- A time or part of the day without a day means today; "right now", "currently" and the like mean `Now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from appliance.reception.holidays import holiday_rule, next_holiday
from appliance.reception.spans import DAYS

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)

_TOKEN = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}[:.]\d{2}(?!\d)|\d+|[a-z]+")
_DIGITAL = re.compile(r"\d{1,2}[:.]\d{2}")
_MERIDIEM = re.compile(r"\b([ap])\.\s?m\b\.?")


def _numbered(names: str, first: int) -> dict[str, int]:
    return {name: number for number, name in enumerate(names.split(), first)}


_UNITS = _numbered("one two three four five six seven eight nine", 1)
_TEENS = _numbered("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen", 10)
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_HOUR_WORDS = {**_UNITS, "ten": 10, "eleven": 11, "twelve": 12}
_ORDINALS = _numbered("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
                      "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth", 1)
_ORDINALS["thirtieth"] = 30
_SUFFIXES = ("st", "nd", "rd", "th")
_OFFSETS = {"half": 30, "quarter": 15, "five": 5, "ten": 10, "twenty": 20}
_PAST, _TO = ("past", "after"), ("to", "till", "til", "of")
_CUES = ("at", "around", "about", "by", "until", "till", "til", "before", "after", "from")


class DayPart(StrEnum):
    """A part of the day a caller names instead of a clock time."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


_PART_WORDS = {"morning": DayPart.MORNING, "mornings": DayPart.MORNING, "afternoon": DayPart.AFTERNOON,
               "afternoons": DayPart.AFTERNOON, "evening": DayPart.EVENING, "evenings": DayPart.EVENING,
               "tonight": DayPart.EVENING, "tonite": DayPart.EVENING, "night": DayPart.EVENING,
               "nights": DayPart.EVENING}


@dataclass(frozen=True)
class Moment:
    """A day the caller asks about, with a clock time or a part of the day if they named one.

    `every` holds weekday numbers (0 = Monday) when they mean every such day ("on Saturdays", "weekdays"); `day` is
    then a representative date. `dated` is true when they named a date or holiday, so it is spoken as a date.
    """

    day: date
    at: time | None = None
    part: DayPart | None = None
    every: tuple[int, ...] = ()
    dated: bool = False


@dataclass(frozen=True)
class Now:
    """The caller asks about this very moment ("right now")."""

    at: datetime


def tokens(text: str) -> list[str]:
    """Lower-case tokens of speech-to-text output: words, numbers, '8:30', '12/24'; apostrophes dropped."""
    text = text.lower().replace("’", "").replace("'", "")
    return _TOKEN.findall(_MERIDIEM.sub(r"\1m", text))


def when_asked(text: str, now: datetime) -> Moment | Now | None:
    """When the caller asks about, seen from `now` (aware, in the business's zone); None if no day or time is named."""
    said = tokens(text)
    day = _day(said, now.date())
    part = _part(said)
    clock = _clock(said, part)
    if day is None and clock is None and part is None:
        return Now(now) if _means_now(said) else None
    return replace(day or Moment(now.date()), at=clock, part=None if clock else part)


def _has(said: list[str], phrase: str) -> bool:
    return f" {phrase} " in f" {' '.join(said)} "


def _at(said: list[str], index: int) -> str:
    return said[index] if 0 <= index < len(said) else ""


def _means_now(said: list[str]) -> bool:
    return bool({"now", "currently", "presently"} & set(said)) or any(
        _has(said, phrase) for phrase in ("at the moment", "this minute", "still open"))


def _part(said: list[str]) -> DayPart | None:
    for index, word in enumerate(said):
        if word in _PART_WORDS and _at(said, index - 1) != "good":  # "good morning" is a greeting
            return _PART_WORDS[word]
    return None


# Days


def _day(said: list[str], today: date) -> Moment | None:
    for finder in (_relative_day, _holiday, _calendar_date, _weekday, _week_part):
        if (found := finder(said, today)) is not None:
            return found
    return None


def _relative_day(said: list[str], today: date) -> Moment | None:
    if _has(said, "day after tomorrow"):
        return Moment(today + timedelta(days=2))
    if "tomorrow" in said or "tomorrows" in said:
        return Moment(today + timedelta(days=1))
    if {"today", "todays", "tonight", "tonite"} & set(said) or any(
            _has(said, f"this {part}") for part in DayPart):
        return Moment(today)
    return None


def _holiday(said: list[str], today: date) -> Moment | None:
    rule = holiday_rule(" ".join(said))
    return None if rule is None else Moment(next_holiday(rule, today), dated=True)


def _calendar_date(said: list[str], today: date) -> Moment | None:
    for index in range(len(said)):
        found = _slashed(said[index], today) or _month_first(said, index, today) or _day_first(said, index, today)
        if found is not None:
            return Moment(found, dated=True)
    return None


def _slashed(word: str, today: date) -> date | None:
    if "/" not in word:
        return None
    month, day, *year = (int(n) for n in word.split("/"))
    if year:
        return _valid_date(year[0] + 2000 if year[0] < 100 else year[0], month, day)
    return _next_date(today, month, day)


def _month_first(said: list[str], index: int, today: date) -> date | None:
    if said[index] not in MONTHS:
        return None
    start = index + 2 if _at(said, index + 1) == "the" else index + 1
    found = _day_number(said, start)
    if found is None:
        return None
    month, (day, used) = MONTHS.index(said[index]) + 1, found
    year = _at(said, start + used)
    if year.isdigit() and len(year) == 4:
        return _valid_date(int(year), month, day)
    return _next_date(today, month, day)


def _day_first(said: list[str], index: int, today: date) -> date | None:
    found = _day_number(said, index)
    if found is None or _at(said, index - 1) in MONTHS:
        return None
    day, used = found
    if _at(said, index + used) == "of" and _at(said, index + used + 1) in MONTHS:
        return _next_date(today, MONTHS.index(_at(said, index + used + 1)) + 1, day)
    if _at(said, index - 1) == "the" and said[index].isdigit() and used == 2:  # "the 24th": this month or next
        this_month = _valid_date(today.year, today.month, day)
        if this_month is not None and this_month >= today:
            return this_month
        following = today.replace(day=1) + timedelta(days=32)
        return _valid_date(following.year, following.month, day)
    return None


def _day_number(said: list[str], index: int) -> tuple[int, int] | None:
    """A day of the month at `index`: '24', '24th', 'fourth', 'twenty fourth'; with how many tokens it took."""
    word = _at(said, index)
    if word.isdigit() and 1 <= int(word) <= 31:
        return int(word), 2 if _at(said, index + 1) in _SUFFIXES else 1
    if word in _ORDINALS:
        return _ORDINALS[word], 1
    following = _at(said, index + 1)
    if word in ("twenty", "thirty") and following in _ORDINALS and _ORDINALS[following] < 10:
        return _TENS[word] + _ORDINALS[following], 2
    return None


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_date(today: date, month: int, day: int) -> date | None:
    """The next month-day on or after today (February 29 waits for a leap year); None if there is no such day."""
    for year in range(today.year, today.year + 9):
        found = _valid_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


def _weekday(said: list[str], today: date) -> Moment | None:
    for index, word in enumerate(said):
        name = word[:-1] if word.endswith("s") and word[:-1] in DAYS else word
        if name not in DAYS:
            continue
        weekday = DAYS.index(name)
        skip = 1 if _at(said, index - 1) == "next" else 0
        day = today + timedelta(days=(weekday - today.weekday() - skip) % 7 + skip)
        every = name != word or _at(said, index - 1) == "every"
        return Moment(day, every=(weekday,) if every else ())
    return None


def _week_part(said: list[str], today: date) -> Moment | None:
    days: tuple[int, ...]
    if {"weekend", "weekends"} & set(said):
        days = WEEKEND
    elif {"weekday", "weekdays", "workday", "workdays"} & set(said) or _has(said, "during the week") or _has(
            said, "business days"):
        days = WEEKDAYS
    else:
        return None
    ahead = min((weekday - today.weekday()) % 7 for weekday in days)
    return Moment(today + timedelta(days=ahead), every=days)


# Clock times: (hour as said, minute, "am" | "pm" | None), resolved to a time once the part of the day is known.

_Clock = tuple[int, int, str | None]


def _clock(said: list[str], part: DayPart | None) -> time | None:
    for index in range(len(said)):
        found = _fixed_clock(said[index]) or _relative_clock(said, index) or _plain_clock(said, index)
        if found is not None:
            return _resolve(*found, part)
    return None


def _fixed_clock(word: str) -> _Clock | None:
    if word in ("noon", "midday"):
        return 12, 0, "pm"
    return (12, 0, "am") if word == "midnight" else None


def _relative_clock(said: list[str], index: int) -> _Clock | None:
    """'half past twelve', 'quarter to nine', 'ten after five' (not after 'from'/'between': 'from ten to five')."""
    first, second = said[index], _at(said, index + 1)
    minutes, used = (25, 2) if (first, second) == ("twenty", "five") else (_OFFSETS.get(first, 0), 1)
    link = _at(said, index + used)
    if not minutes or _at(said, index - 1) in ("from", "between") or link not in _PAST + _TO:
        return None
    hour = _hour(_at(said, index + used + 1))
    if hour is None or (minutes == 30 and link in _TO):
        return None
    meridiem, _ = _meridiem(said, index + used + 2)
    if link in _PAST:
        return hour, minutes, meridiem
    return (hour - 2) % 12 + 1, 60 - minutes, meridiem


def _plain_clock(said: list[str], index: int) -> _Clock | None:
    """'8', '8am', '8:30', '20:00', '12.30 pm', 'eight', 'twelve thirty', 'eight o'clock' — with a cue when bare."""
    word = said[index]
    if _DIGITAL.fullmatch(word):
        hour, minute, used = int(word[:-3]), int(word[-2:]), 1
    elif (hour_or_none := _hour(word, digits_up_to=23)) is not None:
        hour, (minute, used) = hour_or_none, _minutes(said, index + 1) or (-1, 0)
        used += 1
    else:
        return None
    after = _at(said, index + used)
    if hour > 23 or minute > 59 or after in _SUFFIXES or after == "of":  # "the 24th", "one of"
        return None
    meridiem, _ = _meridiem(said, index + used)
    stated = minute >= 0 or meridiem is not None or _part_follows(said, index + used)
    if not stated and _at(said, index - 1) not in _CUES:
        return None
    return hour, max(minute, 0), meridiem if hour <= 12 else None


def _hour(word: str, digits_up_to: int = 12) -> int | None:
    if word.isdigit() and len(word) <= 2 and int(word) <= digits_up_to:
        return int(word)
    return _HOUR_WORDS.get(word)


def _minutes(said: list[str], index: int) -> tuple[int, int] | None:
    """Minutes said after an hour: "o'clock", 'oh five', 'fifteen', 'forty five', '30'; with tokens taken."""
    word, following = _at(said, index), _at(said, index + 1)
    if word == "oclock" or (word, following) == ("o", "clock"):
        return 0, 1 if word == "oclock" else 2
    if word in ("oh", "o") and following in _UNITS:
        return _UNITS[following], 2
    if word in _TEENS:
        return _TEENS[word], 1
    if word in _TENS:
        return (_TENS[word] + _UNITS[following], 2) if following in _UNITS else (_TENS[word], 1)
    if word.isdigit() and len(word) == 2 and int(word) < 60:
        return int(word), 1
    return None


def _meridiem(said: list[str], index: int) -> tuple[str | None, int]:
    word = _at(said, index)
    if word in ("am", "pm"):
        return word, 1
    if word in ("a", "p") and _at(said, index + 1) == "m":
        return f"{word}m", 2
    return None, 0


def _part_follows(said: list[str], index: int) -> bool:
    """'8 in the evening', '8 tonight', '8 at night', '8 this morning', '8 tomorrow morning'."""
    ahead = [*said[index:index + 3], "", "", ""]
    in_the = ahead[:2] == ["in", "the"] and ahead[2] in _PART_WORDS
    return ahead[0] in _PART_WORDS or ahead[1] in _PART_WORDS or in_the


def _resolve(hour: int, minute: int, meridiem: str | None, part: DayPart | None) -> time:
    """The clock time meant (see the module's rules for AM and PM)."""
    if hour == 0 or hour > 12:
        return time(hour, minute)
    if meridiem == "am" or (meridiem is None and part is DayPart.MORNING):
        return time(23, 59) if (hour, minute) == (12, 0) and meridiem else time(hour % 12, minute)
    if meridiem == "pm" or part is not None:
        return time(hour % 12 + 12, minute)
    return time(hour + 12 if hour <= 6 else hour, minute)
