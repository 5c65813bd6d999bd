"""Reply plans beyond the weekly facts: putting a caller through, hours for any day or time, service
durations and price extremes, callers who tell of a problem, and keypad presses. Pure: words, profile and a
moment in; a ReplyPlan (or None: another policy answers) out."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from appliance.reception import opening, service_facts
from appliance.reception.directory import TeamMember
from appliance.reception.messages import URGENT_CUES, wants_message
from appliance.reception.phrasebook import (
    ANYTHING_ELSE,
    CLOSED_GREETING,
    HELP_NEXT,
    MESSAGE_ASK,
    MESSAGE_FOR,
    MESSAGE_PROMPT,
    NOBODY_TO_PUT_THROUGH,
    NOT_TAKEN,
    OFFER,
    PUT_THROUGH,
    SORRY,
    UNAVAILABLE,
    UNDERSTAND,
    WARM_HOLD,
)
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.profile import BusinessProfile
from appliance.reception.returning import welcome_back
from appliance.reception.routing import PERSON, Match, asks_for_someone, find_member, front_desk, reachable
from appliance.reception.wording import says

HOURS_CUES = ("open", "opening", "hours", "close", "closing", "closed", "what time")  # a question about hours
_PROBLEM = ("hurt", "hurts", "hurting", "pain", "painful", "ache", "aching", "sore", "broke", "broken", "cracked",
            "chipped", "loose", "fell out", "came out", "knocked out", "falling", "bleeding", "swollen", "swelling",
            "leak", "leaking",
            "damaged", "stopped working", "not working", "doesn't work", "won't start", "problem", "issue",
            "trouble", "wrong", "sick", "injured", "emergency", "came off", "fell off", "falling off", "won't",
            "doesn't fit", "don't fit", "lost", "rejected", "denied", "charged twice", "overcharged", "mistake",
            "don't understand", "hasn't arrived", "haven't arrived", "hasn't come", "never arrived", "not arrived",
            "didn't arrive", "didn't come", "still waiting", "keeps", "missing", "late",
            "squeak", "squeaks", "squeaking", "click", "clicks", "clicking", "flat", "stuck", "bent", "snapped",
            "infection", "infected", "bleed", "bleeds", "itchy", "numb", "can't", "toothache", "headache")
_FEELING = ("nervous", "anxious", "scared", "worried", "afraid", "frightened", "stressed", "unsure", "not sure")
_SYMPATHY = ("sorry to hear", "sorry for your loss", "sorry for the loss", "condolences", "sorry about that",
             "sorry for the misunderstanding", "sorry for the confusion", "sorry you're")
_CALL_ME_BACK = ("call me back", "call me", "callback", "call back", "ring me back", "get back to me",
                 "give me a call", "give me a ring")
_A_MESSAGE = ("message", "a note", "let them know", "tell her", "tell him", "tell them", "pass on")


def person_plan(profile: BusinessProfile, text: str, now: datetime) -> ReplyPlan | None:
    """The caller asks for someone by name, role or need: put them through when that person can be reached now,
    otherwise say so and offer a message. None when the words name nobody on the team (or there is no team:
    then asking for someone is asking for a message)."""
    if not profile.team:
        return None
    closed = not profile.is_open(now)
    match = find_member(profile, text, closed=closed, urgent=says(text, URGENT_CUES))
    if says(text, _CALL_ME_BACK) or says(text, _A_MESSAGE):  # "can someone call me back?" asks for a message
        return None if match is None else message_for(match.member)
    if match is not None and (asks_for_someone(text) or match.by == "name"):
        return put_through(profile, match.member, now, on_call=_on_call(match))
    if says(text, PERSON):  # 'a person, please': the front desk
        desk = front_desk(profile)
        return put_through(profile, desk, now) if desk else _no_one()
    return None


def message_for(member: TeamMember) -> ReplyPlan:
    """A message the caller asks to leave for one team member ('Please take a message for Ann Lee', 'Can the
    billing person call me back?'): asked for, and stored for that member."""
    text = f"{MESSAGE_FOR.format(name=member.name)} {MESSAGE_ASK}"
    return ReplyPlan(Intent.MESSAGE, text=text, expect=Expect.MESSAGE, message_for=member)


def key_plan(profile: BusinessProfile, digit: str, now: datetime) -> ReplyPlan | None:
    """A keypad press: 0 puts the caller through to the front desk (or says nobody can take calls)."""
    if digit != "0":
        return None
    desk = front_desk(profile)
    return put_through(profile, desk, now) if desk else _no_one()


def put_through(profile: BusinessProfile, member: TeamMember, now: datetime, *, on_call: bool = False) -> ReplyPlan:
    """Transfer to a team member who takes calls now (or is on call: reached through an after-hours rule);
    otherwise apologise and offer a message."""
    if not on_call and not reachable(profile, member, now):
        return not_reached(member)
    said = (WARM_HOLD if member.transfer == "warm" else PUT_THROUGH).format(name=member.name)
    return ReplyPlan(Intent.TRANSFER, text=said, transfer_to=member)


def not_reached(member: TeamMember) -> ReplyPlan:
    """A team member who cannot take the call, or a transfer that did not go through: the caller is still here,
    so offer a message for them."""
    return ReplyPlan(Intent.UNAVAILABLE, text=f"{UNAVAILABLE.format(name=member.name)} {OFFER}",
                     expect=Expect.OFFER_ANSWER, message_for=member)


def day_facts_plan(profile: BusinessProfile, text: str, now: datetime) -> ReplyPlan | None:
    """Hours on a named day or time ('Are you open this Sunday?', 'When do you open next?'), service durations
    and the dearest or cheapest service. None when the words ask none of these."""
    services = [service_facts.ServiceFact(s.name, s.price, s.duration_minutes) for s in profile.services]
    if services and service_facts.asks_duration(text):
        return _fact(Intent.DURATION, service_facts.duration_sentence(services, text))
    if services and (extreme := service_facts.asks_price_extreme(text)):
        return _fact(Intent.PRICE, service_facts.price_extreme_sentence(services, extreme))
    if profile.hours_given and (says(text, HOURS_CUES) or says(text, ("right now", "today", "tomorrow", "tonight"))):
        answer = opening.hours_answer(opening.from_profile(profile), text, now.astimezone(ZoneInfo(profile.timezone)))
        if answer:
            return _fact(Intent.HOURS, answer)
    return None


def statement_plan(profile: BusinessProfile, text: str, now: datetime, *, told_need: bool = False) -> ReplyPlan | None:
    """A caller telling of a problem or a worry (not asking), or of a need an on-call rule covers now (with
    `told_need`, any need a routing rule names: 'I ordered a part and it hasn't come'): acknowledge it and offer the
    next step the profile supports, a routing rule's team member when one handles it, else a message. None for
    other statements."""
    feeling, problem = says(text, _FEELING), says(text, _PROBLEM)
    closed = not profile.is_open(now)
    match = find_member(profile, text, closed=closed, urgent=says(text, URGENT_CUES))
    by_need = match is not None and match.by == "need" and (told_need or _on_call(match))
    if not (problem or feeling or by_need):
        return None
    ack = SORRY if problem else UNDERSTAND  # 'I have insurance with Delta' is no misfortune
    if match is not None and match.by == "need":
        plan = put_through(profile, match.member, now, on_call=_on_call(match))
        if plan.transfer_to is not None:
            return ReplyPlan(plan.intent, text=f"{ack} {plan.text}", transfer_to=plan.transfer_to)
    return ReplyPlan(Intent.STATEMENT, text=f"{ack} {HELP_NEXT}", expect=Expect.OFFER_ANSWER)


def need_plan(profile: BusinessProfile, text: str, now: datetime) -> ReplyPlan | None:
    """A question the profile's facts do not answer, about a need a routing rule names: put through to the person
    who handles it (or told they are away, with a message offered); None when no rule names it."""
    match = find_member(profile, text, closed=not profile.is_open(now), urgent=says(text, URGENT_CUES))
    if match is None or match.by != "need":
        return None
    plan = put_through(profile, match.member, now, on_call=_on_call(match))
    told = says(text, _PROBLEM)  # 'My claim was rejected, what now?': a problem told in a question's form
    return replace(plan, text=f"{SORRY} {plan.text}") if told else plan


def tells_problem(text: str) -> bool:
    """Whether the words tell of a problem or a worry ('my tooth hurts', 'I'm nervous about it')."""
    return says(text, _PROBLEM) or says(text, _FEELING)


def on_call_need(profile: BusinessProfile, text: str, now: datetime) -> bool:
    """Whether the words tell of a need that a closed-hours routing rule sends to someone now ('knocked out and
    bleeding' to the on-call dentist): that comes before the after-hours message, unless the caller asks to be
    called back (then the words are their message, whatever else they say)."""
    if profile.is_open(now) or wants_message(text):
        return False
    match = find_member(profile, text, closed=True, urgent=says(text, URGENT_CUES))
    return match is not None and _on_call(match)


def opening_plan(profile: BusinessProfile, caller_blocked: bool, now: datetime, name: str | None = None) -> ReplyPlan:
    """The first words: the greeting when open (welcoming a returning caller back by `name` if the brand greets
    returning callers); when closed, the brand's after-hours path (take a message, put through to the on-call
    person, or announce and end); a caller the brand blocks with 'announce' is told so."""
    consent = f"{profile.recording.consent} " if profile.recording.enabled else ""
    if caller_blocked and profile.blocked_action == "announce":
        return ReplyPlan(Intent.GOODBYE, text=f"{NOT_TAKEN} {profile.goodbye_text}", end_call=True)
    if profile.is_open(now):
        welcomed = name if profile.greet_returning_callers and not caller_blocked else None
        return ReplyPlan(Intent.OPEN, text=welcome_back(profile.greeting_text, welcomed))
    hours = opening.from_profile(profile)
    closed = f"{consent}{CLOSED_GREETING.format(name=profile.name)} {opening.next_opening_sentence(hours, now)}"
    after = profile.after_hours
    if after.action == "announce":
        return ReplyPlan(Intent.AFTER_HOURS, text=f"{closed} {after.announcement} {profile.goodbye_text}",
                         end_call=True)
    if after.action == "transfer":
        member = next(m for m in profile.team if m.id == after.to)
        return ReplyPlan(Intent.TRANSFER, text=f"{closed} {PUT_THROUGH.format(name=member.name)}",
                         transfer_to=member)
    return ReplyPlan(Intent.AFTER_HOURS, text=f"{closed} {MESSAGE_PROMPT}", expect=Expect.MESSAGE)


def _on_call(match: Match) -> bool:
    return match.route is not None and match.route.when == "closed"


def _no_one() -> ReplyPlan:
    return ReplyPlan(Intent.UNAVAILABLE, text=f"{NOBODY_TO_PUT_THROUGH} {OFFER}", expect=Expect.OFFER_ANSWER)


def _fact(intent: Intent, sentence: str) -> ReplyPlan:
    return ReplyPlan(intent, text=f"{sentence} {ANYTHING_ELSE}")


def sympathy_fits(sentence: str, caller_text: str) -> bool:
    """Whether an LLM sentence's sympathy ("I'm so sorry to hear that.") answers something the caller told: a
    problem or a worry. Small models console callers who said "It's my first time calling."."""
    return not says(sentence, _SYMPATHY) or says(caller_text, _PROBLEM) or says(caller_text, _FEELING)
