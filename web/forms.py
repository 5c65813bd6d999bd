"""What the panel accepts: the call log's filter and the bodies of its API changes, with their limits (a form
field too long or of the wrong kind is a 422 that names it, before anything is stored)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from appliance.call.events import Outcome
from appliance.records import CallQuery

OUTCOMES = [*(outcome.value for outcome in Outcome), "in-progress", "interrupted"]
OutcomeName = Literal["answered", "transferred", "message-taken", "after-hours", "abandoned", "blocked", "fallback",
                      "failed", "in-progress", "interrupted"]
View = Literal["new", "assigned", "done"]
NOTE_MAX = 2000
USER_ID_MAX = 2**63 - 1  # SQLite's largest integer: a larger user id names nobody (and cannot be looked up)
NAME_MAX = 200


class CallFilter(BaseModel):
    """The call log's search and filters (dates are the box's local days, `until` included)."""

    model_config = ConfigDict(extra="forbid")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=25, ge=1, le=200)
    number: str = Field(default="", max_length=64, description="the caller's number, in any form")
    name: str = Field(default="", max_length=NAME_MAX, description="part of the caller's name")
    since: dt.date | None = None
    until: dt.date | None = None
    brand: str = Field(default="", max_length=32, pattern=r"^[a-z0-9_-]*$")
    outcome: OutcomeName | Literal[""] = ""
    min_duration_s: float | None = Field(default=None, ge=0, le=86_400)
    max_duration_s: float | None = Field(default=None, ge=0, le=86_400)

    @field_validator("since", "until", "min_duration_s", "max_duration_s", mode="before")
    @classmethod
    def _blank_is_no_filter(cls, value: object) -> object:
        """A browser sends the search form's empty fields as empty strings: no filter, not a bad date."""
        return None if value == "" else value

    def query(self) -> CallQuery:
        """The store's query for this filter."""
        return CallQuery(page=self.page, per_page=self.per_page, number=self.number or None, name=self.name or None,
                         since=_day_start(self.since), until=_day_start(self.until, next_day=True),
                         brand=self.brand or None, outcome=self.outcome or None,
                         min_duration_s=self.min_duration_s, max_duration_s=self.max_duration_s)


def _day_start(day: dt.date | None, *, next_day: bool = False) -> float | None:
    if day is None:
        return None
    day = day + dt.timedelta(days=1) if next_day else day
    return time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1))


class Assignment(BaseModel):
    """Who works a message: a panel user's id, or null for nobody."""

    model_config = ConfigDict(extra="forbid")
    user_id: int | None = Field(default=None, ge=1, le=USER_ID_MAX)


class Note(BaseModel):
    """A team note on a message."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=NOTE_MAX)


class Done(BaseModel):
    """Whether a message is dealt with (false opens it again)."""

    model_config = ConfigDict(extra="forbid")
    done: bool = True


class Correction(BaseModel):
    """A caller's corrected name and/or notes (null leaves one as it is)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=NAME_MAX)
    notes: str | None = Field(default=None, max_length=NOTE_MAX)


class Confirmation(BaseModel):
    """The signed-in user's password, asked again before an erasure."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1024)
