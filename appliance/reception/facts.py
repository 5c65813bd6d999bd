"""Facts about the business, computed from the profile and phrased for speech (never invented by the LLM)."""

from __future__ import annotations

from datetime import time

from appliance.reception.profile import BusinessProfile
from appliance.reception.spans import DAYS


def spoken_time(moment: time) -> str:
    """'9 AM', '12:30 PM', 'midnight' — how a receptionist says a clock time."""
    if moment >= time(23, 59):
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    if moment.minute:
        return f"{hour}:{moment.minute:02d} {suffix}"
    return f"{hour} {suffix}"


def _day_phrase(spans: list[tuple[time, time]]) -> str:
    return " and ".join(f"{spoken_time(a)} to {spoken_time(b)}" for a, b in spans)


def _group_days(profile: BusinessProfile) -> list[tuple[list[str], str]]:
    """Consecutive weekdays with the same hours, in order."""
    groups: list[tuple[list[str], str]] = []
    for day in DAYS:
        phrase = _day_phrase(profile.spans(day))
        if groups and groups[-1][1] == phrase:
            groups[-1][0].append(day)
        else:
            groups.append(([day], phrase))
    return groups


def _days_name(days: list[str]) -> str:
    names = [d.capitalize() for d in days]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return f"{names[0]} to {names[-1]}"


def hours_sentence(profile: BusinessProfile) -> str:
    """All opening hours in one or two spoken sentences."""
    groups = _group_days(profile)
    open_parts = [f"{_days_name(days)} from {phrase}" for days, phrase in groups if phrase]
    closed = [day for days, phrase in groups if not phrase for day in days]
    if not open_parts:
        return f"{profile.name} has no regular opening hours set."
    text = f"We're open {_join(open_parts)}."
    if closed:
        text += f" We're closed on {_join([d.capitalize() for d in closed])}."
    return text


def address_sentence(profile: BusinessProfile) -> str:
    """Where the business is, and how to get there when the profile says (`directions`)."""
    if not profile.address:
        return ""
    directions = profile.directions.strip()
    if directions and directions[-1] not in ".!?":
        directions += "."
    return f"We're located at {profile.address}. {directions}".strip()


def services_sentence(profile: BusinessProfile) -> str:
    """The services with their prices."""
    parts = [f"{s.name} for {s.price}" if s.price else s.name for s in profile.services]
    if not parts:
        return ""
    return f"We offer {_join(parts)}."


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def profile_brief(profile: BusinessProfile) -> str:
    """A compact fact sheet for the LLM's system prompt."""
    lines = [f"Business: {profile.name}.", f"Hours: {hours_sentence(profile)}"]
    if profile.address:
        lines.append(f"Address: {profile.address}.")
    if profile.directions:
        lines.append(f"Directions: {profile.directions}")
    if profile.phone:
        lines.append(f"Phone: {profile.phone}.")
    lines.extend(f"Service: {s.name}, {s.price or 'price on request'}." for s in profile.services)
    lines.extend(f"Q: {f.question} A: {f.answer}" for f in profile.faqs)
    return "\n".join(lines)
