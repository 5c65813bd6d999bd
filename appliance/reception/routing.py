"""Putting a caller through: who they ask for (a name, a role, a need from the routing rules), whether that
person can be reached now, and what to say. Pure: the caller's words, the brand's profile and a moment in.

Only configured team members are ever transfer targets; a caller's words never name a destination directly.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from appliance.reception.directory import Route, TeamMember
from appliance.reception.profile import BusinessProfile
from appliance.reception.spans import DAYS, parse_span
from appliance.reception.wording import joined_pairs, says, singular, singular_words, sound_key, stems, words

_ASKS = ("speak to", "speak with", "talk to", "talk with", "put me through", "transfer me", "connect me",
         "put me on", "get me", "reach", "get hold of", "get a hold of", "who do i speak", "who do i talk",
         "who handles", "who deals with", "who can help", "who should i", "i need", "i'd like", "i want",
         "is there someone", "can i get", "looking for", "who looks after", "who takes care of", "in charge of",
         "who's the", "who is the", "who do i", "who would i", "who can i", "calling about", "calling regarding",
         "question about", "questions about", "ask about", "talk about", "speak about", "i'm calling for")
_PRESENT = ("in today", "in now", "available", "there today", "around", "in the office", "working today")
# 'A person, please': the front desk. One home for these words (the plans and the ask test both use them).
PERSON = ("a person", "a human", "human", "someone", "somebody", "real person", "live person", "the front desk",
          "operator", "anyone", "reception", "the receptionist")
_ASKS_PERSON = (*PERSON, "a receptionist")
_ACCEPT = ("yes", "yeah", "yep", "sure", "ok", "okay", "put them through", "put him through", "put her through",
           "i'll take it", "go ahead", "connect", "of course", "fine")
_DECLINE = ("no", "not now", "can't", "cannot", "busy", "decline", "take a message", "call back", "not available",
            "later")
_TITLES = frozenset(("dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "the"))
_SAID_TITLES = _TITLES - {"the"}
NEAR = 0.75  # how alike a heard word and a surname must sound after a title ('Dr. Rocka for': Okafor, 0.86)
_KEY_MIN = 3  # consonants: a shorter sound key ('Lee': 'l') matches too much
_KEY_WEIGHT = 0.9  # alike consonants count less than alike spelling ('Rock after': 'rkftr', 0.75 of 'kfr', is no)
_NEAR_MARGIN = 0.1  # ...and how much more alike than any other titled member's
_COMMON = frozenset(("front", "desk", "team", "office", "manager", "person", "department", "and", "of", "for"))


@dataclass(frozen=True)
class Match:
    """Whom the caller's words point to, and why (a name, a role, a need)."""

    member: TeamMember
    by: str  # "name", "role" or "need"
    route: Route | None = None


def asks_for_someone(text: str) -> bool:
    """Whether the caller asks to be put through or asks after a person ('is Dr. Okafor in?')."""
    return says(text, _ASKS) or says(text, _PRESENT) or says(text, _ASKS_PERSON)


def find_member(profile: BusinessProfile, text: str, *, closed: bool = False, urgent: bool = False) -> Match | None:
    """The team member these words name: by name or alias first (a name misheard after a title too: 'Dr. Rocka
    for' is Dr. Okafor), then role or department, then a routing rule's need (its words too). Singular and plural
    are alike ('one of your mechanics', 'the account department'). Rules limited to open or closed hours, or to
    urgent calls, apply only then."""
    said = singular_words(text) + joined_pairs(text)  # 'in voice' names the invoice rule too
    for member in profile.team:
        if any(f" {name} " in said for name in _names(member)):
            return Match(member, "name")
    if (near := _after_title(profile, words(text))) is not None:
        return Match(near, "name")
    for member in profile.team:
        if any(f" {role} " in said for role in _roles(member)):
            return Match(member, "role")
    said += stems(text)  # 'I ordered a part', 'I was invoiced': a need's word in another form
    for route in profile.routes:
        if _route_applies(route, closed, urgent) and any(f" {cue} " in said for cue in _cues(route)):
            return Match(_member(profile, route.to), "need", route)
    return None


def sounds_like(heard: str, name: str) -> float:
    """How alike two spellings, or their consonants, are, 0..1: what speech recognition makes of an unusual name
    is a near miss ('rocka for': Okafor by spelling), or its consonants are ('Chahfer': Okafor, both 'kfr')."""
    spelled = difflib.SequenceMatcher(None, heard, name).ratio()
    keys = sound_key(heard), sound_key(name)
    if min(len(keys[0]), len(keys[1])) < _KEY_MIN:
        return spelled
    return max(spelled, _KEY_WEIGHT * difflib.SequenceMatcher(None, *keys).ratio())


def _after_title(profile: BusinessProfile, said: list[str]) -> TeamMember | None:
    """The titled team member whose surname the words after a title the caller said sound like ('is doctor rocka
    for in': Dr. Okafor), when one sounds clearly more like it than any other; None otherwise."""
    titled = [(m, [w for w in words(m.name) if w not in _TITLES]) for m in profile.team
              if set(words(m.name)) & _SAID_TITLES]
    for index, word in enumerate(said[:-1]):
        if word not in _SAID_TITLES:
            continue
        heard = [said[index + 1], "".join(said[index + 1 : index + 3])]
        scores = sorted(((max(sounds_like(h, n) for h in heard for n in names), n_) for n_, (_, names)
                         in enumerate(titled) if names), reverse=True)
        if scores and scores[0][0] >= NEAR and (len(scores) == 1 or scores[0][0] - scores[1][0] >= _NEAR_MARGIN):
            return titled[scores[0][1]][0]
    return None


def accepts(text: str) -> bool | None:
    """A team member's answer to a warm transfer's brief: True (take the call), False (not now), or None
    (neither was heard)."""
    said = words(text)
    if not said:
        return None
    if says(text, _DECLINE) or said[0] in {"no", "nope", "nah"}:
        return False
    return True if says(text, _ACCEPT) else None


def front_desk(profile: BusinessProfile) -> TeamMember | None:
    """Who takes 'a person, please' and key 0: the configured front desk."""
    return _member(profile, profile.front_desk) if profile.front_desk else None


def reachable(profile: BusinessProfile, member: TeamMember, moment: datetime) -> bool:
    """Whether the member takes calls now: their own hours when set, else the business's opening hours."""
    if not member.hours:
        return profile.is_open(moment)
    local = moment.astimezone(ZoneInfo(profile.timezone))
    if profile.closure_on(local.date()) is not None:
        return False
    spans = [parse_span(s) for s in member.hours.get(DAYS[local.weekday()], [])]
    return any(start <= local.time() < end for start, end in spans)


def _member(profile: BusinessProfile, member_id: str) -> TeamMember:
    return next(m for m in profile.team if m.id == member_id)  # validated on load


def _names(member: TeamMember) -> list[str]:
    """Ways to say a member's name: in full, without a title, the surname alone, the first name alone, aliases."""
    full = [singular(w) for w in words(member.name) if w not in _TITLES]
    forms = {" ".join(full), singular_words(member.name).strip()}
    forms.update(w for w in full if len(w) >= 3 and w not in _COMMON)
    forms.update(singular_words(alias).strip() for alias in member.aliases)
    return [f for f in forms if f]


def _roles(member: TeamMember) -> list[str]:
    forms = {singular_words(member.role).strip(), singular_words(member.department).strip()}
    forms.update(singular(w) for text in (member.role, member.department) for w in words(text)
                 if len(w) >= 4 and w not in _COMMON)
    return [f for f in forms if f]


def _cues(route: Route) -> list[str]:
    return [singular_words(cue).strip() for cue in (route.need, *route.words) if words(cue)]


def _route_applies(route: Route, closed: bool, urgent: bool) -> bool:
    if route.urgent_only and not urgent:
        return False
    return route.when == "always" or (route.when == "closed") == closed
