"""The business profile: who the receptionist speaks for, and the facts it may state."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from appliance.errors import ConfigError
from appliance.phrasebook import CONSENT, GOODBYE, GREETING
from appliance.settings_errors import describe_validation_error

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


class Service(BaseModel):
    """A service the business offers, with its price as it should be spoken."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    price: str = ""
    description: str = ""


class Faq(BaseModel):
    """A question callers often ask, and the business's own answer."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)


class RecordingPolicy(BaseModel):
    """Whether calls are recorded, and what callers are told first."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    consent: str = CONSENT


class BusinessProfile(BaseModel):
    """Everything the receptionist may say about the business."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    greeting: str = ""
    persona: str = "a friendly, concise receptionist"
    timezone: str = "UTC"
    address: str = ""
    phone: str = ""
    hours: dict[str, list[Span]] = Field(default_factory=dict)
    services: list[Service] = Field(default_factory=list)
    faqs: list[Faq] = Field(default_factory=list)
    goodbye: str = ""
    recording: RecordingPolicy = Field(default_factory=RecordingPolicy)

    @field_validator("hours", mode="before")
    @classmethod
    def _known_days(cls, value: object) -> object:
        unknown = sorted(set(value) - set(DAYS)) if isinstance(value, dict) else []
        if unknown:
            raise ValueError(f"unknown day(s) {unknown}; use {', '.join(DAYS)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{value}'; use a name like 'America/New_York'") from exc
        return value

    @property
    def greeting_text(self) -> str:
        """The greeting, or a sensible one made from the business name."""
        greeting = self.greeting or GREETING.format(name=self.name)
        # The consent announcement comes first, before anything is said that could be recorded unannounced.
        return f"{self.recording.consent} {greeting}" if self.recording.enabled else greeting

    @property
    def goodbye_text(self) -> str:
        """The closing phrase before hanging up."""
        return self.goodbye or GOODBYE.format(name=self.name)

    def spans(self, day: str) -> list[tuple[time, time]]:
        """Opening spans of one weekday as times."""
        return [_parse_span(s) for s in self.hours.get(day, [])]

    def is_open(self, moment: datetime) -> bool:
        """Whether the business is open at a timezone-aware moment."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        now = local.time()
        return any(start <= now < end for start, end in self.spans(DAYS[local.weekday()]))


def _parse_span(span: str) -> tuple[time, time]:
    match = _SPAN.match(span)
    assert match is not None  # validated on load
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end


def load_profile(path: Path) -> BusinessProfile:
    """Read a business profile TOML file, with errors that name the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"business profile {path} not found; run 'receptionist init' or point "
            "[business] profile at your profile file"
        ) from exc
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read business profile {path}: {exc}") from exc
    try:
        return BusinessProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from exc
