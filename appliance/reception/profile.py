"""The business profile: who the receptionist speaks for, and the facts it may state."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from appliance.errors import ConfigError
from appliance.phone import DEFAULT_REGION, PhoneNumber
from appliance.reception.closures import Closure
from appliance.reception.directory import AfterHours, ClosureEntry, Route, TeamMember, check_directory
from appliance.reception.phrasebook import CONSENT, GOODBYE, GREETING
from appliance.reception.spans import DAYS, Span, check_days, parse_span
from appliance.settings_errors import describe_validation_error

_LOGGER = logging.getLogger(__name__)


class Service(BaseModel):
    """A service the business offers, with its price as it should be spoken."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    price: str = ""
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
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
    """One brand: everything the receptionist may say for it, its team and how it routes callers."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(default="main", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1)
    default: bool = False
    numbers: list[str] = Field(default_factory=list, description="called numbers or SIP user parts it answers")
    greeting: str = ""
    persona: str = "a friendly, concise receptionist"
    voice: Path | None = None
    voice_config: Path | None = None
    goodbye: str = ""
    greet_returning_callers: bool = False
    timezone: str = "UTC"
    address: str = ""
    directions: str = ""
    phone: str = ""
    hours: dict[str, list[Span]] = Field(default_factory=dict)
    closures: list[ClosureEntry] = Field(default_factory=list)
    after_hours: AfterHours = Field(default_factory=AfterHours)
    services: list[Service] = Field(default_factory=list)
    faqs: list[Faq] = Field(default_factory=list)
    team: list[TeamMember] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    front_desk: str = Field(default="", description="team member id for DTMF 0 and 'a person, please'")
    blocked: list[str] = Field(default_factory=list, description="caller numbers that are not answered")
    blocked_action: Literal["decline", "announce"] = "decline"
    recording: RecordingPolicy = Field(default_factory=RecordingPolicy)

    @field_validator("hours", mode="before")
    @classmethod
    def _known_days(cls, value: object) -> object:
        return check_days(value)

    @model_validator(mode="after")
    def _directory(self) -> BusinessProfile:
        check_directory(self.team, self.routes, self.after_hours, self.front_desk)
        return self

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
        return [parse_span(s) for s in self.hours.get(day, [])]

    def closure_on(self, day: date) -> Closure | None:
        """The closure that shuts the business on this date, if any."""
        return next((c.rule for c in self.closures if c.rule.covers(day)), None)

    @property
    def hours_given(self) -> bool:
        """Whether the profile gives any weekly opening hours (without them, the receptionist cannot know when the
        business is open, so it never says it is closed but on a closure day)."""
        return any(self.hours.get(day) for day in DAYS)

    def answers(self, called: str, region: str = DEFAULT_REGION) -> bool:
        """Whether this brand claims calls to this number or SIP user part (see `Profile.brand_for`)."""
        wanted = _dialled(called, region)
        return any(wanted == _dialled(number, region) for number in self.numbers)

    def is_open(self, moment: datetime) -> bool:
        """Whether the business is open at a timezone-aware moment (always, but on closures, when no hours are
        given: a brand whose hours are not set is not announced closed)."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        if self.closure_on(local.date()) is not None:
            return False
        if not self.hours_given:
            return True
        now = local.time()
        return any(start <= now < end for start, end in self.spans(DAYS[local.weekday()]))


class Profile(BaseModel):
    """A profile file: one or more brands, one of them the default (the first, unless one says default)."""

    model_config = ConfigDict(extra="forbid")
    brands: list[BusinessProfile] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_default(self) -> Profile:
        ids = [b.id for b in self.brands]
        if dup := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"brand id(s) {dup} appear more than once; give each [[brands]] its own id")
        if sum(b.default for b in self.brands) > 1:
            raise ValueError("more than one brand says default = true; mark only one")
        numbers = [_dialled(n, DEFAULT_REGION) for b in self.brands for n in b.numbers]
        if dup := sorted({n for n in numbers if numbers.count(n) > 1}):
            raise ValueError(f"number(s) {dup} are claimed by several brands; each called number picks one brand")
        return self

    @property
    def default(self) -> BusinessProfile:
        """The brand that answers calls no brand claims."""
        return next((b for b in self.brands if b.default), self.brands[0])

    def brand_for(self, called: str | Sequence[str], region: str = DEFAULT_REGION) -> BusinessProfile:
        """The brand answering a call to this number or SIP user part (the default when none claims it); numbers
        are compared in their canonical form in `region` (a trunk's '12125550100' is '+1 212 555 0100'). A call
        may name itself several ways, in order of preference (its request URI's user part, then its To
        header's): the first that a brand claims picks it."""
        for one in (called,) if isinstance(called, str) else called:
            if brand := next((b for b in self.brands if b.answers(one, region)), None):
                return brand
        return self.default


def _dialled(number: str, region: str) -> str:
    """A called number or user part as compared: case, spaces, dashes and a 'sip:' prefix do not matter, and a
    full phone number is its E.164 form ('2125550100', '12125550100' and '+1 (212) 555-0100' are one)."""
    user = number.strip().lower().removeprefix("sip:").removeprefix("tel:").split("@")[0]
    user = "".join(c for c in user if c not in " -().")
    if user.removeprefix("+").isdigit() and (parsed := PhoneNumber.parse(user, region)) is not None and parsed.e164:
        return parsed.canonical
    return user


def load_profiles(path: Path) -> Profile:
    """Read a profile file: `[[brands]]` (profile v2), or one business at the top level (read as one brand,
    noted in the log). Errors name the file, the key and what is expected."""
    return parse_profile(read_profile_text(path), path, path.parent)


def parse_profile(text: str, origin: Path | str, base: Path) -> Profile:
    """Validate a profile's TOML text (from a file, the store or the panel; `origin` names it in errors and the
    log); voice files named relative to `base` are found there. Errors name the key and what is expected."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"cannot read business profile {origin}: {exc}") from exc
    within: tuple[str | int, ...] = ()
    if "brands" not in data:
        _LOGGER.info("%s describes one business at the top level: read as one brand (see README: Brands to "
                     "add more)", origin)
        data, within = {"brands": [data]}, ("brands", 0)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(origin, exc, within)) from exc
    return _anchor_voices(profile, base)


def load_profile(path: Path) -> BusinessProfile:
    """The default brand of a profile file."""
    return load_profiles(path).default


def read_profile_text(path: Path) -> str:
    """A profile file's text; ConfigError saying what to do if it is missing or unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"business profile {path} not found; run 'receptionist init' or point "
            "[business] profile at your profile file"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read business profile {path}: {exc}") from exc


def _anchor_voices(profile: Profile, base: Path) -> Profile:
    """Voice files named relative to the profile file are found next to it."""
    brands = [b.model_copy(update={k: base / v for k in ("voice", "voice_config")
                                   if (v := getattr(b, k)) is not None and not v.is_absolute()})
              for b in profile.brands]
    return profile.model_copy(update={"brands": brands})
