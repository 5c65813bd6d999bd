"""Returning callers greeted by name: which part of a stored name is said, and where in the greeting. Pure.

The name comes from the call store (`CallStore.known_name`: the name the team corrected, else the name the caller
gave in their newest message; never a SIP display name). Only the first name is said, or a title and the last
name ("Dr. Rivera"), so the greeting reveals as little as it can to whoever holds the phone.
"""

from __future__ import annotations

from appliance.call.sentences import split_sentences
from appliance.reception.phrasebook import WELCOME_BACK

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof"})
MAX_NAME_CHARS = 40  # a longer "name" is not one a receptionist would read out


def spoken_name(name: str | None) -> str | None:
    """How the receptionist addresses a caller with this stored name: the first name, a title with the last
    name, or None (no name, or nothing in it that reads as one)."""
    parts = [part.strip(".,;:!?\"()") for part in (name or "").split()]
    parts = [part for part in parts if any(c.isalpha() for c in part)]
    if parts and parts[0].lower() in _TITLES:  # "Dr. Rivera"; a title alone is no name
        parts = [f"{parts[0]}. {parts[-1]}"] if len(parts) > 1 else []
    said = parts[0] if parts else ""
    return said if 0 < len(said) <= MAX_NAME_CHARS else None


def welcome_back(greeting: str, name: str | None) -> str:
    """The greeting with "Welcome back, NAME." before its last sentence (usually the question that invites the
    caller to speak), or the greeting as it is when there is no name to say."""
    said = spoken_name(name)
    if said is None:
        return greeting
    *before, last = split_sentences(greeting) or [""]
    return " ".join(part for part in (*before, WELCOME_BACK.format(name=said), last) if part)
