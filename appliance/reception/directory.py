"""A brand's team directory and routing rules, its closures and its after-hours path: the profile sections
that say who a caller may be put through to, and when the business is closed beyond its weekly hours.

Validated on load: every error names the key and what is expected (see `appliance.reception.profile.load_profiles`).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from appliance.reception.closures import Closure, closure
from appliance.reception.spans import Span, check_days

_ID = r"^[a-z0-9][a-z0-9_-]{0,31}$"
_TARGET = re.compile(r"^(sips?:[^\s@]+@[^\s]+|[A-Za-z0-9+*#._-]{1,64})$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_target(value: str) -> str:
    value = value.strip()
    if not _TARGET.match(value):
        raise ValueError(f"'{value}' is not a transfer target; give an extension or number (e.g. '201') or a SIP "
                         "URI (e.g. 'sip:ann@pbx.example.com')")
    return value


class TeamMember(_Strict):
    """Someone callers can be put through to."""

    id: str = Field(pattern=_ID, description="short id used by routing rules, e.g. 'ann'")
    name: str = Field(min_length=1)
    role: str = ""
    department: str = ""
    target: str = Field(min_length=1, description="extension, number or SIP URI")
    transfer: Literal["warm", "blind"] = "warm"
    aliases: list[str] = Field(default_factory=list, description="other words callers use for this person")
    hours: dict[str, list[Span]] = Field(default_factory=dict, description="when reachable; empty: business hours")

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return _check_target(value)

    @field_validator("hours", mode="before")
    @classmethod
    def _days(cls, value: object) -> object:
        return check_days(value)


class Route(_Strict):
    """A need callers have, and who handles it."""

    need: str = Field(min_length=1, description="what the caller needs, e.g. 'insurance claims'")
    words: list[str] = Field(default_factory=list, description="other ways callers say it, e.g. 'invoice'")
    to: str = Field(pattern=_ID, description="a team member's id")
    when: Literal["always", "open", "closed"] = "always"
    urgent_only: bool = False


class ClosureEntry(_Strict):
    """Days the business is shut: on = '07-04' (every year), '2026-12-24' (once), or a range 'A..B' of either
    kind ('12-24..12-26', '2026-08-01..2026-08-15'), with the reason callers hear."""

    on: str = Field(min_length=1)
    reason: str = ""

    @field_validator("on")
    @classmethod
    def _valid(cls, value: str) -> str:
        closure(value, "")  # raises ValueError with what to write
        return value

    @property
    def rule(self) -> Closure:
        """The closure as the opening-hours policy reads it."""
        return closure(self.on, self.reason)


class AfterHours(_Strict):
    """What the receptionist does when a call comes while the business is closed."""

    action: Literal["message", "transfer", "announce"] = "message"
    to: str = Field(default="", description="for 'transfer': a team member's id (e.g. the on-call person)")
    announcement: str = ""

    @model_validator(mode="after")
    def _needs_target(self) -> AfterHours:
        if self.action == "transfer" and not self.to:
            raise ValueError("action 'transfer' needs 'to', a team member's id")
        if self.action == "announce" and not self.announcement:
            raise ValueError("action 'announce' needs 'announcement', what callers hear before the call ends")
        return self


def check_directory(team: list[TeamMember], routes: list[Route], after_hours: AfterHours,
                    front_desk: str) -> None:
    """Routing rules, the after-hours target and the front desk must name team members; ids must be unique."""
    ids = [m.id for m in team]
    if dup := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"team member id(s) {dup} appear more than once; give each person their own id")
    known = set(ids)
    named = [(f"routes[{n}].to", r.to) for n, r in enumerate(routes)]
    named += [("after_hours.to", after_hours.to), ("front_desk", front_desk)]
    for key, member in named:
        if member and member not in known:
            raise ValueError(f"{key} = '{member}' is not in the team; use one of {sorted(known) or 'the team ids'}"
                             " (add the person under [[team]] first)")
