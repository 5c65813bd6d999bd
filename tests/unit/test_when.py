"""Reading when a caller asks about, from their words: days, clock times, holidays, dates, right now."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from appliance.reception.when import WEEKDAYS, WEEKEND, DayPart, Moment, Now, tokens, when_asked

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=NEW_YORK)  # a Wednesday
TODAY, TOMORROW = date(2026, 6, 10), date(2026, 6, 11)


def day(text: str) -> date:
    return date.fromisoformat(text)


PHRASINGS: list[tuple[str, Moment | Now | None]] = [
    # The issue's own questions.
    ("Are you open this Sunday?", Moment(day("2026-06-14"))),
    ("at half past twelve on a weekday with a lunch break?", Moment(TODAY, time(12, 30), every=WEEKDAYS)),
    ("tomorrow at 8?", Moment(TOMORROW, time(8))),
    ("on the Fourth of July?", Moment(day("2026-07-04"), dated=True)),
    ("right now?", Now(NOW)),
    ("When do you open next?", None),
    ("Which of your services costs the most?", None),
    ("How long does a cleaning take?", None),
    # Relative days and parts of the day.
    ("Are you open today?", Moment(TODAY)),
    ("are you open tonight", Moment(TODAY, part=DayPart.EVENING)),
    ("Are you open tomorrow", Moment(TOMORROW)),
    ("what about the day after tomorrow", Moment(day("2026-06-12"))),
    ("open tomorrow morning?", Moment(TOMORROW, part=DayPart.MORNING)),
    ("Are you open this afternoon?", Moment(TODAY, part=DayPart.AFTERNOON)),
    ("Are you open in the evening?", Moment(TODAY, part=DayPart.EVENING)),
    # Weekdays and groups of days.
    ("Sunday", Moment(day("2026-06-14"))),
    ("ARE YOU OPEN THIS SUNDAY", Moment(day("2026-06-14"))),
    ("are you open on wednesday", Moment(TODAY)),
    ("Are you open next Wednesday?", Moment(day("2026-06-17"))),
    ("Are you open next Monday?", Moment(day("2026-06-15"))),
    ("Are you open on Saturdays?", Moment(day("2026-06-13"), every=(5,))),
    ("do you work every friday", Moment(day("2026-06-12"), every=(4,))),
    ("Are you open on the weekend?", Moment(day("2026-06-13"), every=WEEKEND)),
    ("are you open weekdays", Moment(TODAY, every=WEEKDAYS)),
    ("Good morning, are you open Sunday?", Moment(day("2026-06-14"))),  # a greeting, not a part of the day
    # Clock times in digits.
    ("Can I come at 8", Moment(TODAY, time(8))),
    ("can I come at 8am?", Moment(TODAY, time(8))),
    ("how about 8:30", Moment(TODAY, time(8, 30))),
    ("Are you open at 12.30 pm on Friday?", Moment(day("2026-06-12"), time(12, 30))),
    ("open at 20:00?", Moment(TODAY, time(20))),
    ("are you open at 5 P.M.", Moment(TODAY, time(17))),
    ("Friday 2 pm", Moment(day("2026-06-12"), time(14))),
    ("at 3 tomorrow", Moment(TOMORROW, time(15))),
    ("at 6 in the morning", Moment(TODAY, time(6))),
    ("at 8 in the evening", Moment(TODAY, time(20))),
    ("tonight at 9", Moment(TODAY, time(21))),
    ("at 0:30", Moment(TODAY, time(0, 30))),
    # Clock times in words.
    ("Are you open at eight?", Moment(TODAY, time(8))),
    ("twelve thirty", Moment(TODAY, time(12, 30))),
    ("quarter to nine on Monday", Moment(day("2026-06-15"), time(8, 45))),
    ("quarter past 8", Moment(TODAY, time(8, 15))),
    ("ten after five", Moment(TODAY, time(17, 10))),
    ("twenty five past seven in the evening", Moment(TODAY, time(19, 25))),
    ("eight o'clock", Moment(TODAY, time(8))),
    ("at nine oh five", Moment(TODAY, time(9, 5))),
    ("at four forty five", Moment(TODAY, time(16, 45))),
    ("noon", Moment(TODAY, time(12))),
    ("around midday tomorrow", Moment(TOMORROW, time(12))),
    ("Are you open at midnight on Friday?", Moment(day("2026-06-12"), time(23, 59))),
    ("at 12 am", Moment(TODAY, time(23, 59))),
    # Holidays (the next one, today included; passed this year means next year).
    ("Independence Day", Moment(day("2026-07-04"), dated=True)),
    ("on christmas", Moment(day("2026-12-25"), dated=True)),
    ("Christmas Eve?", Moment(day("2026-12-24"), dated=True)),
    ("New Year's Day", Moment(day("2027-01-01"), dated=True)),
    ("new years eve", Moment(day("2026-12-31"), dated=True)),
    ("Thanksgiving", Moment(day("2026-11-26"), dated=True)),
    ("black friday", Moment(day("2026-11-27"), dated=True)),
    ("Labor Day", Moment(day("2026-09-07"), dated=True)),
    ("Memorial Day", Moment(day("2027-05-31"), dated=True)),
    ("Easter Sunday", Moment(day("2027-03-28"), dated=True)),
    # Month-day dates, US order.
    ("July 4th", Moment(day("2026-07-04"), dated=True)),
    ("the 24th of December", Moment(day("2026-12-24"), dated=True)),
    ("December twenty-fourth", Moment(day("2026-12-24"), dated=True)),
    ("12/24", Moment(day("2026-12-24"), dated=True)),
    ("12/24/27", Moment(day("2027-12-24"), dated=True)),
    ("on may 1st at 10", Moment(day("2027-05-01"), time(10), dated=True)),
    ("june 10", Moment(TODAY, dated=True)),
    ("February 29th", Moment(day("2028-02-29"), dated=True)),
    ("are you open on the 24th", Moment(day("2026-06-24"), dated=True)),
    ("July 4 2027", Moment(day("2027-07-04"), dated=True)),
    # Now.
    ("Are you open right now?", Now(NOW)),
    ("are you currently open", Now(NOW)),
    ("are you still open", Now(NOW)),
    # No day or time in these words.
    ("Are you open?", None),
    ("I have 2 kids and a question", None),
    ("does a cleaning cost $95.50", None),
    ("are you open 24/7", None),
    ("May I ask something?", None),
    ("I know what I need", None),
    ("at one of your offices", None),
    ("13/45", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS, ids=[text or "empty" for text, _ in PHRASINGS])
def test_phrasings(text: str, expected: Moment | Now | None) -> None:
    assert when_asked(text, NOW) == expected


def test_there_are_many_phrasings() -> None:
    assert len(PHRASINGS) >= 40


def test_tokens_keep_clock_times_and_dates_whole() -> None:
    assert tokens("At 12.30 P.M. on 12/24, it's 8am!") == ["at", "12.30", "pm", "on", "12/24", "its", "8", "am"]


@pytest.mark.parametrize(("now", "text", "expected"), [
    # The evening before spring forward (2026-03-08, 2 AM → 3 AM) and before fall back (2026-11-01).
    (datetime(2026, 3, 7, 20, 0, tzinfo=NEW_YORK), "tomorrow at 8", Moment(date(2026, 3, 8), time(8))),
    (datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK), "the day after tomorrow", Moment(date(2026, 3, 9))),
    (datetime(2026, 10, 31, 23, 0, tzinfo=NEW_YORK), "Sunday at 1:30 am", Moment(date(2026, 11, 1), time(1, 30))),
    (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK), "tomorrow", Moment(date(2026, 11, 2))),
])
def test_days_are_calendar_days_across_daylight_saving_changes(now: datetime, text: str, expected: Moment) -> None:
    assert when_asked(text, now) == expected


def test_a_holiday_is_today_on_the_day_itself() -> None:
    fourth = datetime(2026, 7, 4, 10, 0, tzinfo=NEW_YORK)
    assert when_asked("are you open on the fourth of july", fourth) == Moment(date(2026, 7, 4), dated=True)
