"""Weekly opening spans as profiles write them ("08:00-12:00"), validated and parsed."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import AfterValidator

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _check_span(value: str) -> str:
    match = _SPAN.match(value.strip())
    if not match or not _valid_span(*(int(g) for g in match.groups())):
        raise ValueError(f"'{value}' is not an opening span; write it like '09:00-17:00'")
    return value.strip()


def _valid_span(h1: int, m1: int, h2: int, m2: int) -> bool:
    return h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2)


Span = Annotated[str, AfterValidator(_check_span)]


def check_days(value: object) -> object:
    """A week's spans must be keyed by weekday names."""
    unknown = sorted(set(value) - set(DAYS)) if isinstance(value, dict) else []
    if unknown:
        raise ValueError(f"unknown day(s) {unknown}; use {', '.join(DAYS)}")
    return value


def parse_span(span: str) -> tuple[time, time]:
    """A validated span as (start, end); '24:00' ends at the last second of the day."""
    match = _SPAN.match(span)
    assert match is not None  # validated on load
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end
