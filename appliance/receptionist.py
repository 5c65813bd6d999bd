"""The receptionist's policy: what a caller's words ask for, and how the reply is made.

Facts (hours, address, prices, FAQ answers) come from the profile, computed in code; the LLM only handles
open conversation, with the profile as its grounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from appliance import facts
from appliance.profile import BusinessProfile

_WORD = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    (
        "a", "an", "the", "do", "does", "did", "you", "your", "yours", "is", "are", "was", "be", "i", "we",
        "me", "my", "our", "to", "of", "for", "in", "on", "at", "and", "or", "can", "could", "would", "will",
        "what", "when", "where", "how", "who", "which", "it", "its", "this", "that", "there", "have", "has",
        "with", "please", "hi", "hello",
    )
)
_GOODBYE = ("bye", "goodbye", "that's all", "that is all", "nothing else", "that's it", "hang up", "no thanks")
_HOURS = ("open", "opening", "hours", "close", "closing", "closed", "what time")
_ADDRESS = ("where", "address", "located", "location", "directions", "find you")
_PRICE = ("price", "prices", "cost", "costs", "how much", "charge", "fee", "fees", "rate")
_SERVICES = ("services", "service", "offer", "provide", "do you do")
ANYTHING_ELSE = "Is there anything else I can help you with?"
DIDNT_CATCH = "Sorry, I didn't catch that. Could you say it again?"
STILL_THERE = "Are you still there?"
TIME_LIMIT = "I'm sorry, we have reached the time limit for this call."
GROUNDED_SHARE = 0.6
_SMALL_TALK = frozenset(
    (
        "yes", "no", "not", "sure", "sorry", "thank", "thanks", "welcome", "happy", "help", "glad", "course",
        "great", "sounds", "good", "okay", "ok", "let", "know", "take", "message", "team", "someone", "call",
        "back", "get", "touch", "today", "tomorrow", "would", "like", "need", "can't", "cannot", "don't",
        "we're", "i'm", "you're", "that's", "it's", "here", "right", "now", "anything", "else",
    )
)


class Intent(StrEnum):
    """What the caller asked for."""

    GOODBYE = "goodbye"
    HOURS = "hours"
    ADDRESS = "address"
    PRICE = "price"
    SERVICES = "services"
    FAQ = "faq"
    OPEN = "open-conversation"
    EMPTY = "empty"


@dataclass(frozen=True)
class ReplyPlan:
    """How to answer one caller turn: fixed text, or the LLM; and whether the call ends after it."""

    intent: Intent
    text: str = ""
    use_llm: bool = False
    end_call: bool = False


def words(text: str) -> list[str]:
    """Lower-case words of a transcript."""
    return _WORD.findall(text.lower().replace("’", "'"))


def _has(text: str, cues: tuple[str, ...]) -> bool:
    padded = f" {' '.join(words(text))} "
    return any(f" {cue} " in padded for cue in cues)


def best_faq(profile: BusinessProfile, text: str) -> tuple[int, float]:
    """Index and overlap score (0..1) of the FAQ closest to the caller's words."""
    said = set(words(text)) - _STOP
    best = (-1, 0.0)
    for index, faq in enumerate(profile.faqs):
        asked = set(words(faq.question)) - _STOP
        if asked and said:
            score = len(said & asked) / len(asked)
            if score > best[1]:
                best = (index, score)
    return best


def _service_price(profile: BusinessProfile, text: str) -> str:
    said = set(words(text))
    for service in profile.services:
        if set(words(service.name)) - _STOP <= said and service.price:
            return f"{service.name} is {service.price}."
    return ""


def plan_reply(profile: BusinessProfile, text: str) -> ReplyPlan:
    """Decide how to answer what the caller just said."""
    if not words(text):
        return ReplyPlan(Intent.EMPTY, text=DIDNT_CATCH)
    if _has(text, _GOODBYE) and len(words(text)) <= 8:
        return ReplyPlan(Intent.GOODBYE, text=profile.goodbye_text, end_call=True)
    index, score = best_faq(profile, text)
    if score >= 0.6:
        return _fact(Intent.FAQ, profile.faqs[index].answer)
    return _fact_plan(profile, text) or ReplyPlan(Intent.OPEN, use_llm=True)


def _fact_plan(profile: BusinessProfile, text: str) -> ReplyPlan | None:
    if _has(text, _PRICE) and (price := _service_price(profile, text)):
        return _fact(Intent.PRICE, price)
    if _has(text, _HOURS):
        return _fact(Intent.HOURS, facts.hours_sentence(profile))
    if _has(text, _ADDRESS) and profile.address:
        return _fact(Intent.ADDRESS, facts.address_sentence(profile))
    if (_has(text, _PRICE) or _has(text, _SERVICES)) and profile.services:
        return _fact(Intent.SERVICES, facts.services_sentence(profile))
    return None


def _fact(intent: Intent, sentence: str) -> ReplyPlan:
    return ReplyPlan(intent, text=f"{sentence} {ANYTHING_ELSE}")


def system_prompt(profile: BusinessProfile) -> str:
    """The LLM's fixed system prompt for one business (a stable prefix, so its KV cache is reused)."""
    return (
        f"You are the phone receptionist of {profile.name}, {profile.persona}. "
        "Reply in one or two short spoken sentences. Use only the facts below. "
        "If the facts do not answer the question, say you will take a message for the team.\n"
        f"{facts.profile_brief(profile)}"
    )


def is_grounded(sentence: str, profile: BusinessProfile, caller_text: str) -> bool:
    """Whether an LLM sentence speaks of things the profile or the caller mentioned (not invented ones).

    Small models invent policies and prices; a sentence whose content words mostly come from neither the
    profile nor the caller is dropped, and the reply falls back to offering a message.
    """
    known = set(words(facts.profile_brief(profile))) | set(words(caller_text)) | _SMALL_TALK
    content = [w for w in words(sentence) if w not in _STOP and not w.isdigit()]
    if not content:
        return True
    return sum(w in known for w in content) / len(content) >= GROUNDED_SHARE


def clean_llm_reply(text: str) -> str:
    """Make an LLM reply safe to speak: no markup, no role labels, at most three sentences."""
    text = re.sub(r"[*#_`]+", "", text)
    text = re.sub(r"^\s*(assistant|receptionist)\s*:\s*", "", text, flags=re.IGNORECASE)
    return text.strip()
