"""Opening hours as policy: split shifts, closures, the next opening, DST, midnight, and the spoken answers."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from appliance.reception.closures import Closure, closure
from appliance.reception.opening import (
    OpeningHours,
    answer_when,
    day_hours,
    from_profile,
    hours_answer,
    is_open_at,
    next_opening,
    next_opening_sentence,
    open_until,
)
from appliance.reception.phrasebook import NO_INFO
from appliance.reception.profile import BusinessProfile
from appliance.reception.when import Moment, Now

NEW_YORK = ZoneInfo("America/New_York")
LUNCH_BREAK = [(time(8), time(12)), (time(13), time(17))]
WEEK = {day: LUNCH_BREAK for day in ("monday", "tuesday", "wednesday", "thursday", "friday")} | {
    "sunday": [(time(10), time(14))]}
CLOSURES = (closure("07-04", "Independence Day"), closure("2026-11-27", "staff training"),
            closure("2026-12-24..2026-12-26", "Christmas"))
CLINIC = OpeningHours(WEEK, NEW_YORK, CLOSURES)
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=NEW_YORK)  # a Wednesday morning


def at(text: str) -> datetime:
    """A wall-clock moment in New York, 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


@pytest.mark.parametrize(("text", "first", "last", "yearly"), [
    ("07-04", date(2000, 7, 4), date(2000, 7, 4), True),
    ("2026-11-27", date(2026, 11, 27), date(2026, 11, 27), False),
    ("2026-12-24..2026-12-26", date(2026, 12, 24), date(2026, 12, 26), False),
    ("12-31..01-01", date(2000, 12, 31), date(2000, 1, 1), True),
    (" 02-29 ", date(2000, 2, 29), date(2000, 2, 29), True),
])
def test_closures_read_from_profile_text(text: str, first: date, last: date, yearly: bool) -> None:
    assert closure(text, "why") == Closure("why", first, last, yearly)


@pytest.mark.parametrize("text", ["13-01", "2026-12-26..2026-12-24", "07-04..2026-07-05", "soon", "", "2026-02-30"])
def test_a_closure_that_cannot_be_read_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="closure"):
        closure(text, "why")


@pytest.mark.parametrize(("text", "day", "covered"), [
    ("07-04", date(2031, 7, 4), True),
    ("07-04", date(2031, 7, 5), False),
    ("2026-11-27", date(2027, 11, 27), False),
    ("2026-12-24..2026-12-26", date(2026, 12, 25), True),
    ("2026-12-24..2026-12-26", date(2026, 12, 27), False),
    ("12-31..01-01", date(2027, 1, 1), True),
    ("12-31..01-01", date(2027, 1, 2), False),
    ("02-29", date(2028, 2, 29), True),
])
def test_closures_cover_their_days(text: str, day: date, covered: bool) -> None:
    assert closure(text, "why").covers(day) is covered


@pytest.mark.parametrize(("moment", "expected"), [
    (at("2026-06-10 08:00"), True),
    (at("2026-06-10 11:59"), True),
    (at("2026-06-10 12:00"), False),  # lunch: a span's end is not inside it
    (at("2026-06-10 12:30"), False),
    (at("2026-06-10 13:00"), True),
    (at("2026-06-10 17:00"), False),
    (at("2026-06-13 10:00"), False),  # Saturday: no spans
    (at("2026-06-14 10:00"), True),  # Sunday
    (at("2026-07-03 10:00"), True),  # Friday before the holiday
    (at("2026-12-25 10:00"), False),  # Christmas closure
    (datetime(2026, 6, 10, 16, 30, tzinfo=UTC), False),  # 12:30 EDT: lunch
    (datetime(2026, 6, 10, 17, 30, tzinfo=UTC), True),  # 13:30 EDT
])
def test_open_at_a_moment_with_split_shifts_and_closures(moment: datetime, expected: bool) -> None:
    assert is_open_at(CLINIC, moment) is expected


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open_at(CLINIC, datetime(2026, 6, 10, 9, 0))


def test_a_days_hours_or_its_closure_with_the_reason() -> None:
    assert day_hours(CLINIC, date(2026, 6, 10)) == LUNCH_BREAK
    assert day_hours(CLINIC, date(2026, 6, 13)) == []
    found = day_hours(CLINIC, date(2027, 7, 4))
    assert isinstance(found, Closure)
    assert found.reason == "Independence Day"


@pytest.mark.parametrize(("after", "expected"), [
    (at("2026-06-10 07:00"), at("2026-06-10 08:00")),
    (at("2026-06-10 08:00"), at("2026-06-10 13:00")),  # strictly after
    (at("2026-06-10 12:15"), at("2026-06-10 13:00")),
    (at("2026-06-12 18:00"), at("2026-06-14 10:00")),  # Friday evening → Sunday
    (at("2026-07-03 18:00"), at("2026-07-05 10:00")),  # Saturday July 4 is closed anyway
    (at("2026-11-26 18:00"), at("2026-11-29 10:00")),  # one-off closure on Friday the 27th
    (at("2026-12-23 18:00"), at("2026-12-27 10:00")),  # the Christmas range
])
def test_next_opening_skips_closures(after: datetime, expected: datetime) -> None:
    assert next_opening(CLINIC, after) == expected


def test_no_opening_within_the_search_is_none_and_said_honestly() -> None:
    shut = OpeningHours(WEEK, NEW_YORK, (closure("2026-01-01..2027-12-31", "renovation"),))
    assert next_opening(shut, NOW) is None
    assert next_opening_sentence(shut, NOW) == NO_INFO
    assert next_opening(OpeningHours({}, NEW_YORK), NOW) is None


# Daylight saving time in New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
NIGHT_SHIFT = OpeningHours({"sunday": [(time(1), time(4))], "monday": [(time(8), time(17))]}, NEW_YORK)


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 3, 8, 5, 59, tzinfo=UTC), False),  # 00:59 EST
    (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), True),  # 01:30 EST
    (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), True),  # 03:30 EDT, right after the gap
    (datetime(2026, 3, 8, 8, 0, tzinfo=UTC), False),  # 04:00 EDT
    (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), True),  # 01:30 EDT, the first of two
    (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), True),  # 01:30 EST, the second
    (datetime(2026, 11, 1, 9, 0, tzinfo=UTC), False),  # 04:00 EST
])
def test_open_at_moments_near_daylight_saving_changes(utc: datetime, expected: bool) -> None:
    assert is_open_at(NIGHT_SHIFT, utc) is expected


@pytest.mark.parametrize(("after", "expected_utc"), [
    (at("2026-03-07 20:00"), datetime(2026, 3, 8, 6, 0, tzinfo=UTC)),  # Sunday 1 AM EST
    (at("2026-03-08 02:00"), datetime(2026, 3, 9, 12, 0, tzinfo=UTC)),  # Monday 8 AM EDT
    (at("2026-10-31 20:00"), datetime(2026, 11, 1, 5, 0, tzinfo=UTC)),  # Sunday 1 AM EDT
    (datetime(2026, 11, 1, 6, 0, tzinfo=UTC), datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),  # Monday 8 AM EST
])
def test_next_opening_is_a_real_instant_across_daylight_saving(after: datetime, expected_utc: datetime) -> None:
    found = next_opening(NIGHT_SHIFT, after)
    assert found is not None
    assert found.astimezone(UTC) == expected_utc  # an ambiguous wall time never equals another zone's instant


def test_an_opening_inside_the_spring_gap_is_just_after_it() -> None:
    gap = OpeningHours({"sunday": [(time(2, 30), time(5))]}, NEW_YORK)
    assert next_opening(gap, at("2026-03-07 12:00")) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


# A bar open past midnight: Friday 18:00-24:00, Saturday 00:00-02:00 and 18:00-24:00 (as the profile reads "24:00").
BAR = OpeningHours({"friday": [(time(18), time(23, 59, 59))],
                    "saturday": [(time(0), time(2)), (time(18), time(0))]}, NEW_YORK)


def test_a_span_ending_at_midnight_carries_on_into_the_next_day() -> None:
    assert is_open_at(BAR, datetime(2026, 6, 12, 23, 59, 59, 500000, tzinfo=NEW_YORK))
    assert is_open_at(BAR, at("2026-06-13 00:30"))
    assert not is_open_at(BAR, at("2026-06-13 02:00"))
    assert is_open_at(BAR, at("2026-06-13 23:30"))
    assert open_until(BAR, at("2026-06-12 23:00")) == at("2026-06-13 02:00")
    assert open_until(BAR, at("2026-06-13 23:00")) == at("2026-06-14 00:00")
    assert open_until(BAR, at("2026-06-13 03:00")) is None


def test_the_carried_on_span_is_not_a_new_opening() -> None:
    assert next_opening(BAR, at("2026-06-12 23:00")) == at("2026-06-13 18:00")
    assert hours_answer(BAR, "Are you open right now?", at("2026-06-12 23:00")) == "Yes, we're open now until 2 AM."
    assert hours_answer(BAR, "Are you open at midnight on Saturday?", at("2026-06-12 10:00")) == (
        "Yes, at midnight tomorrow we're open, until midnight.")


def test_profile_hours_with_24_00_and_closures() -> None:
    shop = BusinessProfile(name="Shop", timezone="America/New_York", hours={"monday": ["09:30-12:00", "13:00-24:00"]})
    hours = from_profile(shop, [closure("12-25", "Christmas")])
    assert is_open_at(hours, at("2026-06-15 23:59"))
    assert hours_answer(hours, "Are you open on Monday?", NOW) == (
        "Yes, we're open on Monday from 9:30 AM to 12 PM and 1 PM to midnight.")
    assert hours_answer(hours, "Are you open on Christmas?", NOW) == "No, we're closed on December 25 for Christmas."


ANSWERS = [
    # The questions, as a Wednesday 9 AM caller asks them.
    ("Are you open this Sunday?", NOW, "Yes, we're open on Sunday from 10 AM to 2 PM."),
    ("Are you open on Saturday?", NOW, "No, we're closed on Saturday."),
    ("Are you open on the Fourth of July?", NOW, "No, we're closed on July 4 for Independence Day."),
    ("When are you open at half past twelve on weekdays?", NOW,
     "At 12:30 PM on weekdays we're closed for lunch; we're open 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open at half past twelve on a weekday?", NOW,
     "No, at 12:30 PM on weekdays we're closed for lunch; we're open 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open tomorrow at 8?", NOW, "Yes, at 8 AM tomorrow we're open, until 12 PM."),
    ("Are you open right now?", NOW, "Yes, we're open now until 12 PM."),
    ("When do you open next?", at("2026-06-12 18:00"), "We open next on Sunday at 10 AM."),
    ("When do you open next?", at("2026-06-10 12:15"), "We open today at 1 PM."),
    ("What time do you open?", at("2026-06-14 20:00"), "We open tomorrow at 8 AM."),
    ("When do you open next?", NOW, "We're open now until 12 PM."),
    # More of the same family.
    ("Are you open right now?", at("2026-06-12 18:00"), "No, we're closed now. We open next on Sunday at 10 AM."),
    ("are you open now", at("2026-12-24 10:00"),
     "No, we're closed now for Christmas. We open next on Sunday at 10 AM."),
    ("When are you open tomorrow?", NOW, "We're open tomorrow from 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open at 7 tomorrow?", NOW,
     "No, at 7 AM tomorrow we're closed; we're open 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open tonight?", NOW, "No, we're closed tonight; we're open 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open Sunday morning?", NOW, "Yes, we're open on Sunday in the morning, from 10 AM to 2 PM."),
    ("Are you open on Christmas Eve?", NOW, "No, we're closed on December 24 for Christmas."),
    ("Are you open on Thanksgiving?", NOW, "Yes, we're open on November 26 from 8 AM to 12 PM and 1 PM to 5 PM."),
    ("Are you open on Sundays?", NOW, "Yes, we're open on Sundays from 10 AM to 2 PM."),
    ("Are you open on weekends?", NOW, "No, we're closed on Saturdays. Yes, we're open on Sundays from 10 AM to 2 PM."),
    ("Are you open on weekdays?", NOW, "Yes, we're open on weekdays from 8 AM to 12 PM and 1 PM to 5 PM."),
    ("are you open on saturdays in the morning", NOW, "No, we're closed on Saturdays."),
    ("Are you open?", NOW, None),  # no day named: the weekly hours answer it
    ("Do you take insurance?", NOW, None),
]


@pytest.mark.parametrize(("text", "now", "expected"), ANSWERS)
def test_spoken_answers(text: str, now: datetime, expected: str | None) -> None:
    assert hours_answer(CLINIC, text, now) == expected


def test_a_closure_counts_for_a_date_but_not_for_every_such_weekday() -> None:
    christmas_friday = Moment(date(2026, 12, 25))
    assert answer_when(CLINIC, christmas_friday, NOW) == "No, we're closed on December 25 for Christmas."
    every_friday = Moment(date(2026, 12, 25), every=(4,))
    assert answer_when(CLINIC, every_friday, NOW) == "Yes, we're open on Fridays from 8 AM to 12 PM and 1 PM to 5 PM."


def test_now_answers_from_its_own_moment() -> None:
    assert answer_when(CLINIC, Now(at("2026-06-10 16:00")), NOW) == "Yes, we're open now until 5 PM."
