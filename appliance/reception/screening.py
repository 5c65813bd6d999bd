"""Callers a brand does not answer: its blocked numbers, compared in canonical form (any way of writing a
number matches)."""

from __future__ import annotations

from appliance.phone import PhoneNumber
from appliance.reception.profile import BusinessProfile

DECLINE = 603  # SIP 603 Decline: the caller's phone shows the call as refused


def is_blocked(profile: BusinessProfile, caller: str, region: str) -> bool:
    """Whether the caller ID is one of the brand's blocked numbers (a withheld number never is)."""
    number = PhoneNumber.parse(caller, region)
    if number is None or not profile.blocked:
        return False
    blocked = {n.canonical for raw in profile.blocked if (n := PhoneNumber.parse(raw, region)) is not None}
    return number.canonical in blocked
