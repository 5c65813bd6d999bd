"""Closures: days a business is shut beyond its weekly hours, with the reason callers hear (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Closure:
    """Days the business is shut, with the reason callers hear: one date, a range, or the same dates every year.

    A yearly closure keeps its month-days in `first` and `last` (year 2000, a leap year, so 02-29 fits); a yearly
    range may wrap the new year ("12-31..01-01").
    """

    reason: str
    first: date
    last: date
    yearly: bool = False

    def covers(self, day: date) -> bool:
        """Whether this closure shuts the business on that day."""
        if not self.yearly:
            return self.first <= day <= self.last
        start, end = (self.first.month, self.first.day), (self.last.month, self.last.day)
        key = (day.month, day.day)
        return start <= key <= end if start <= end else key >= start or key <= end


def closure(when: str, reason: str) -> Closure:
    """A closure from profile text: '07-04' (every year), '2026-11-27' (once), or a range 'A..B' of either kind."""
    first_text, _, last_text = when.partition("..")
    try:
        (first, yearly), (last, last_yearly) = _closure_day(first_text), _closure_day(last_text or first_text)
    except ValueError as exc:
        raise ValueError(f"'{when}' is not a closure; write '07-04', '2026-11-27' or '2026-12-24..2026-12-26'") from exc
    if yearly != last_yearly or (not yearly and last < first):
        raise ValueError(f"'{when}' is not a closure: both ends must be alike, the first one first")
    return Closure(reason, first, last, yearly)


def _closure_day(text: str) -> tuple[date, bool]:
    parts = text.strip().split("-")
    if len(parts) == 2:
        return date(2000, int(parts[0]), int(parts[1])), True
    return date.fromisoformat(text.strip()), False
