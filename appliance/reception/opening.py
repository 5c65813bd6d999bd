"""Opening hours as policy: open at a moment, a day's hours or closure, the next opening, and spoken answers (pure).

Times are wall-clock times in the business's zone, so a DST change moves nothing: 9 AM is 9 AM on both sides.
A span ending at 00:00 (or 23:59:59, as the profile writes "24:00") ends at midnight; a span starting at 00:00
right after one ending at midnight continues it, so it is not a new opening.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from appliance.reception.closures import Closure
from appliance.reception.facts import spoken_time
from appliance.reception.phrasebook import NO_INFO
from appliance.reception.spans import DAYS
from appliance.reception.when import MONTHS, WEEKDAYS, WEEKEND, DayPart, Moment, Now, when_asked
from appliance.reception.wording import says, words

if TYPE_CHECKING:
    from appliance.reception.profile import BusinessProfile

Span = tuple[time, time]
SEARCH_DAYS = 370  # a year and a bit: every yearly closure has been passed once
_DAY_END = 24 * 3600
_NEXT = ("open next", "next open", "next opening", "open again", "reopen", "when do you open", "when will you open",
         "what time do you open", "when are you open next")
_WH = ("when", "what", "which", "how")
_PART_WINDOWS = {DayPart.MORNING: (5 * 3600, 12 * 3600), DayPart.AFTERNOON: (12 * 3600, 17 * 3600),
                 DayPart.EVENING: (17 * 3600, _DAY_END)}


@dataclass(frozen=True)
class OpeningHours:
    """A business's weekly spans (day name → (start, end) wall times), its closures and its time zone."""

    week: Mapping[str, Sequence[Span]]
    zone: tzinfo
    closures: tuple[Closure, ...] = ()


def from_profile(profile: BusinessProfile, closures: Iterable[Closure] | None = None) -> OpeningHours:
    """The opening hours of a business profile, with its closures (or the ones given)."""
    shut = tuple(closures) if closures is not None else tuple(c.rule for c in profile.closures)
    return OpeningHours({day: profile.spans(day) for day in DAYS}, ZoneInfo(profile.timezone), shut)


def _seconds(moment: time, *, end: bool = False) -> int:
    if end and (moment == time(0) or moment >= time(23, 59, 59)):
        return _DAY_END
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def weekly_spans(hours: OpeningHours, weekday: int) -> list[Span]:
    """The regular spans of a weekday (0 = Monday), in order, closures aside."""
    return sorted(hours.week.get(DAYS[weekday], ()))


def closure_on(hours: OpeningHours, day: date) -> Closure | None:
    """The closure that shuts the business on that date, if any."""
    return next((c for c in hours.closures if c.covers(day)), None)


def day_hours(hours: OpeningHours, day: date) -> list[Span] | Closure:
    """The spans of that date, or the closure that shuts it (an empty list: closed that weekday)."""
    return closure_on(hours, day) or weekly_spans(hours, day.weekday())


def _open_span(spans: Sequence[Span], moment: time) -> Span | None:
    now = _seconds(moment)
    return next((s for s in spans if _seconds(s[0]) <= now < _seconds(s[1], end=True)), None)


def _local(hours: OpeningHours, moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("opening hours need a timezone-aware moment")
    return moment.astimezone(hours.zone)


def _instant(hours: OpeningHours, day: date, moment: time) -> datetime:
    """That wall time on that day as a real instant (a time skipped by DST lands just after the gap)."""
    wall = datetime.combine(day, moment, tzinfo=hours.zone)
    return datetime.fromtimestamp(wall.timestamp(), hours.zone)


def is_open_at(hours: OpeningHours, moment: datetime) -> bool:
    """Whether the business is open at a timezone-aware moment (closures count)."""
    local = _local(hours, moment)
    spans = day_hours(hours, local.date())
    return not isinstance(spans, Closure) and _open_span(spans, local.time()) is not None


def _continues(hours: OpeningHours, day: date) -> Span | None:
    """The span of `day` starting at 00:00 that carries on the previous day's span to midnight, if any."""
    before, spans = day_hours(hours, day - timedelta(days=1)), day_hours(hours, day)
    if isinstance(before, Closure) or isinstance(spans, Closure) or not before or not spans:
        return None
    ends_at_midnight = _seconds(before[-1][1], end=True) == _DAY_END
    return spans[0] if ends_at_midnight and spans[0][0] == time(0) else None


def next_opening(hours: OpeningHours, after: datetime) -> datetime | None:
    """The first opening strictly after `after`, closures skipped; None if none within SEARCH_DAYS."""
    start = _local(hours, after).date()
    for offset in range(SEARCH_DAYS):
        day = start + timedelta(days=offset)
        spans = day_hours(hours, day)
        if isinstance(spans, Closure):
            continue
        carried = _continues(hours, day)
        for span in spans:
            opening = _instant(hours, day, span[0])
            if span is not carried and opening.timestamp() > after.timestamp():
                return opening
    return None


def open_until(hours: OpeningHours, moment: datetime) -> datetime | None:
    """When the span open at `moment` closes, across midnight; None if closed then, or open all week ahead."""
    local = _local(hours, moment)
    spans, day = day_hours(hours, local.date()), local.date()
    span = None if isinstance(spans, Closure) else _open_span(spans, local.time())
    for _ in range(8):
        if span is None:
            return None
        if _seconds(span[1], end=True) < _DAY_END:
            return _instant(hours, day, span[1])
        day += timedelta(days=1)
        span = _continues(hours, day)
        if span is None:
            return _instant(hours, day, time(0))
    return None


# Spoken answers


def _say(moment: time) -> str:
    return "midnight" if moment == time(0) else spoken_time(moment)


def _spans_text(spans: Sequence[Span]) -> str:
    return " and ".join(f"{_say(a)} to {_say(b)}" for a, b in spans)


def _date_text(day: date) -> str:
    return f"{MONTHS[day.month - 1].capitalize()} {day.day}"


def _day_label(day: date, today: date, *, dated: bool = False) -> str:
    """'today', 'tomorrow', 'on Sunday' (within the week, as the caller named a day) or 'on July 4'."""
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    if not dated and 0 < (day - today).days < 7:
        return f"on {DAYS[day.weekday()].capitalize()}"
    return f"on {_date_text(day)}"


def _with_part(label: str, part: DayPart | None) -> str:
    if part is None:
        return label
    return "tonight" if (label, part) == ("today", DayPart.EVENING) else f"{label} in the {part}"


def _days_text(weekdays: Sequence[int]) -> str:
    if tuple(weekdays) == WEEKDAYS:
        return "weekdays"
    if tuple(weekdays) == WEEKEND:
        return "weekends"
    names = [DAYS[d].capitalize() for d in weekdays]
    if len(names) == 1:
        return f"{names[0]}s"
    return " and ".join(names) if len(names) == 2 else f"{names[0]} to {names[-1]}"


def _instant_text(moment: datetime, day: date) -> str:
    """A closing instant as said on `day`: '5 PM', 'midnight', '2 AM' (the small hours after), '8 AM on Sunday'."""
    ahead = (moment.date() - day).days
    if ahead == 0 or (ahead == 1 and moment.time() < time(6)):
        return _say(moment.time())
    return f"{_say(moment.time())} {'the next day' if ahead == 1 else 'on ' + DAYS[moment.weekday()].capitalize()}"


def _gap_reason(spans: Sequence[Span], moment: time) -> str:
    """' for lunch' between spans around midday, ' for a break' between others, '' before or after hours."""
    now = _seconds(moment)
    for (_, end), (start, _) in pairwise(spans):
        if _seconds(end, end=True) <= now < _seconds(start):
            return " for lunch" if time(11) <= end < time(15) else " for a break"
    return ""


def _answer_at(spans: Sequence[Span], moment: time, label: str, until: str | None) -> str:
    span = _open_span(spans, moment)
    if span is not None:
        return f"Yes, at {_say(moment)} {label} we're open, until {until or _say(span[1])}."
    return f"No, at {_say(moment)} {label} we're closed{_gap_reason(spans, moment)}; we're open {_spans_text(spans)}."


def _answer_part(spans: Sequence[Span], part: DayPart, label: str) -> str:
    low, high = _PART_WINDOWS[part]
    during = [s for s in spans if _seconds(s[0]) < high and _seconds(s[1], end=True) > low]
    if during:
        return f"Yes, we're open {label}, from {_spans_text(during)}."
    return f"No, we're closed {label}; we're open {_spans_text(spans)}."


def _answer_spans(spans: Sequence[Span], when: Moment, label: str, until: str | None = None) -> str:
    if not spans:
        return f"No, we're closed {label}."
    if when.at is not None:
        return _answer_at(spans, when.at, label, until)
    if when.part is not None:
        return _answer_part(spans, when.part, _with_part(label, when.part))
    return f"Yes, we're open {label} from {_spans_text(spans)}."


def _answer_day(hours: OpeningHours, when: Moment, today: date) -> str:
    found = day_hours(hours, when.day)
    label = _day_label(when.day, today, dated=when.dated)
    if isinstance(found, Closure):
        return f"No, we're closed {label} for {found.reason}."
    until = None
    if when.at is not None and (closes := open_until(hours, _instant(hours, when.day, when.at))):
        until = _instant_text(closes, when.day)
    return _answer_spans(found, when, label, until)


def _answer_every(hours: OpeningHours, when: Moment) -> str:
    """The weekly schedule of every such day (closures are for dates, not for 'on Saturdays')."""
    groups: list[tuple[list[int], list[Span]]] = []
    for weekday in when.every:
        spans = weekly_spans(hours, weekday)
        if groups and groups[-1][1] == spans:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], spans))
    if len(groups) == 1:
        return _answer_spans(groups[0][1], when, f"on {_days_text(when.every)}")
    return " ".join(_answer_spans(spans, when, f"on {_days_text(days)}") for days, spans in groups)


def answer_when(hours: OpeningHours, when: Moment | Now, now: datetime) -> str:
    """A spoken yes/no answer about being open then: 'Yes, we're open on Sunday from 10 AM to 2 PM.'"""
    if isinstance(when, Now):
        return answer_now(hours, when.at)
    if when.every:
        return _answer_every(hours, when)
    return _answer_day(hours, when, _local(hours, now).date())


def answer_now(hours: OpeningHours, now: datetime) -> str:
    """'Yes, we're open now until 5 PM.', or 'No, we're closed now.' and when the business opens next."""
    today = _local(hours, now).date()
    if is_open_at(hours, now):
        closes = open_until(hours, now)
        return f"Yes, we're open now until {_instant_text(closes, today)}." if closes else "Yes, we're open now."
    closed = closure_on(hours, today)
    reason = f" for {closed.reason}" if closed else ""
    following = _next_opening_text(hours, now)
    return f"No, we're closed now{reason}." + (f" {following}" if following else "")


def _next_opening_text(hours: OpeningHours, now: datetime) -> str | None:
    opening = next_opening(hours, now)
    if opening is None:
        return None
    label = _day_label(opening.date(), _local(hours, now).date())
    verb = "We open" if label in ("today", "tomorrow") else "We open next"
    return f"{verb} {label} at {_say(opening.time())}."


def next_opening_sentence(hours: OpeningHours, now: datetime) -> str:
    """'We open next on Monday at 8 AM.'; 'We're open now until 5 PM.' when open; honest when nothing is found."""
    if is_open_at(hours, now):
        return plain(answer_now(hours, now))
    return _next_opening_text(hours, now) or NO_INFO


def plain(answer: str) -> str:
    """An answer without its leading 'Yes, ' or 'No, ', for questions that were not yes/no questions."""
    for lead in ("Yes, ", "No, "):
        if answer.startswith(lead):
            rest = answer[len(lead):]
            return rest[:1].upper() + rest[1:]
    return answer


def hours_answer(hours: OpeningHours, text: str, now: datetime) -> str | None:
    """The spoken answer to a question about being open on the day or time the caller names, or about the next
    opening; None when their words name neither (the weekly hours are the answer then)."""
    asked = when_asked(text, _local(hours, now))
    if asked is None:
        return next_opening_sentence(hours, now) if says(text, _NEXT) else None
    answer = answer_when(hours, asked, now)
    if words(text)[:1] and words(text)[0] in _WH:
        return plain(answer)
    return _flipped(answer) if says(text, ("closed",)) and not says(text, ("open",)) else answer


def _flipped(answer: str) -> str:
    """The yes and no of an answer about being open, turned for a question about being closed: 'Are you closed
    on Sunday?' 'Yes, we're closed on Sunday.'"""
    return re.sub(r"(^|\. )(Yes|No), ", lambda m: f"{m[1]}{'No' if m[2] == 'Yes' else 'Yes'}, ", answer)
