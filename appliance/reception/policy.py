"""The receptionist's policy: what a caller's words ask for, and how the reply is made.

Facts (hours, address, prices, FAQ answers) come from the profile, computed in code; the LLM only handles
open conversation, with the profile as its grounding. A question the profile has no fact for gets an honest
"I don't have that information" unless the config lets the LLM answer it (small models invent answers).
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime
from itertools import groupby

from appliance.reception import facts, plans
from appliance.reception.messages import has_message_parts, wants_message
from appliance.reception.phrasebook import (
    ANYTHING_ELSE,
    DIDNT_CATCH,
    GO_AHEAD,
    MESSAGE_ASK,
    MESSAGE_PROMPT,
    NO_INFO,
    OFFER,
    WELCOME,
)
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.profile import BusinessProfile
from appliance.reception.service_facts import ServiceFact, named_services
from appliance.reception.wording import ASKING, says, words

_STOP = frozenset(
    (
        "a", "an", "the", "do", "does", "did", "you", "your", "yours", "is", "are", "was", "be", "i", "we",
        "me", "my", "our", "to", "of", "for", "in", "on", "at", "and", "or", "can", "could", "would", "will",
        "what", "when", "where", "how", "who", "which", "it", "its", "this", "that", "there", "have", "has",
        "with", "please", "hi", "hello",
    )
)
_GOODBYE = ("bye", "goodbye", "that's all", "that is all", "nothing else", "that's it", "hang up", "no thanks",
            "have a nice day", "have a good day", "have a great day")
_ADDRESS = ("address", "located", "location", "directions", "find you")
_WHERE = frozenset(("where", "where's"))
_PRICE = ("price", "prices", "cost", "costs", "how much", "charge", "fee", "fees", "rate")
_SERVICES = ("services", "service", "offer", "provide", "do you do")
GROUNDED_SHARE = 0.6
NEAR_WORD = 0.8
_PRONOUNS = frozenset(("i", "i'm", "i'll", "i'd", "i've"))
# Short replies to "Is there anything else?": no (the caller is done), thanks or ok, yes (one more question).
_NO = frozenset(("no", "nope", "nah"))
_DONE = _NO | frozenset(
    (
        "not", "really", "thanks", "thank", "you", "that's", "thats", "it", "all", "i'm", "im", "i", "think", "good",
        "fine", "ok", "okay", "that", "is", "everything", "nothing", "else", "so", "much", "very", "for", "now",
    )
)
# Thanks and nothing else: 'I wanted to say thank you for last week.' A word outside these ('Thanks, I have a
# question', 'I don't appreciate...', 'Thank you, my name is...') leaves the words to the other rules.
_GRATITUDE = ("thank you", "thanks", "grateful", "appreciate")
_THANKS_ONLY = frozenset((
    "i", "we", "just", "wanted", "want", "to", "say", "thank", "thanks", "you", "so", "very", "much", "really",
    "a", "lot", "for", "all", "your", "the", "my", "our", "help", "last", "week", "yesterday", "earlier", "again",
    "appreciate", "it", "that", "grateful", "how", "fitted", "fitting", "me", "in", "kind", "kindness", "care",
    "great", "service", "work", "visit", "appointment", "everything", "and", "team", "oh", "well",
))
# Asking without a question's form: 'I was wondering if...', 'Tell me about whitening.'
_ASKS_INDIRECTLY = ("wonder", "wondering", "wondered", "like to know", "want to know", "tell me", "know if",
                    "know whether", "curious")
_THANKS = frozenset(("thanks", "thank", "great", "perfect", "helpful", "wonderful", "awesome", "cheers"))
_ACK = _THANKS | frozenset(
    ("you", "ok", "okay", "alright", "all", "right", "got", "it", "that's", "very", "much", "so", "good", "cool",
     "sounds", "i", "see", "understood")
)
_YES = frozenset(("yes", "yeah", "yep", "sure"))
_YES_MORE = _YES | frozenset(
    ("i", "have", "one", "more", "another", "question", "please", "actually", "there", "is", "something", "else")
)
_SMALL_TALK = frozenset(
    (
        "yes", "no", "not", "sure", "sorry", "thank", "thanks", "welcome", "happy", "help", "glad", "course",
        "great", "sounds", "good", "okay", "ok", "let", "know", "take", "message", "team", "someone", "call",
        "back", "get", "touch", "today", "tomorrow", "would", "like", "need", "can't", "cannot", "don't",
        "we're", "i'm", "you're", "that's", "it's", "here", "right", "now", "anything", "else", "interested",
        "appreciate", "understand", "hear", "hope", "pleased", "absolutely", "certainly", "calling", "assist",
        "question", "questions", "information", "moment", "ask", "so", "very", "much", "really",
    )
)


def best_faq(profile: BusinessProfile, text: str) -> tuple[int, float]:
    """Index and overlap score (0..1) of the FAQ closest to the caller's words."""
    said = set(words(text)) - _STOP
    best = (-1, 0.0)
    for index, faq in enumerate(profile.faqs):
        asked = set(words(faq.question)) - _STOP
        if asked and said:
            score = sum(any(_near_word(word, heard) for heard in said) for word in asked) / len(asked)
            if score > best[1]:
                best = (index, score)
    return best


def _near_word(word: str, heard: str) -> bool:
    """The same word, or one speech recognition got nearly right ('spell' for 'sell'): four letters or more, the
    same first letter, and alike by NEAR_WORD."""
    if word == heard:
        return True
    return min(len(word), len(heard)) >= 4 and word[0] == heard[0] and \
        difflib.SequenceMatcher(None, word, heard).ratio() >= NEAR_WORD


def _service_price(profile: BusinessProfile, text: str) -> str:
    """The price of the service the words name ('the whitening' names Teeth whitening), or a question when two fit
    equally well; '' when none is named or it has no price."""
    services = [ServiceFact(s.name, s.price, s.duration_minutes) for s in profile.services]
    named = [s for s in named_services(services, text) if s.price]
    if len(named) > 1:
        return f"Do you mean {' or '.join(s.name for s in named)}?"
    return f"{named[0].name} is {named[0].price}." if named else ""


def is_question(text: str) -> bool:
    """Whether the caller asked something (a question mark, or a question's first word)."""
    said = words(text)
    return text.rstrip().endswith("?") or bool(said and said[0] in ASKING)


def asks(text: str) -> bool:
    """Whether the caller wants to know something, in a question's form or not ('I was wondering if...')."""
    return is_question(text) or says(text, _ASKS_INDIRECTLY)


def plan_reply(profile: BusinessProfile, text: str, *, llm_answers_questions: bool = False,
               expect: Expect = Expect.ANYTHING, now: datetime | None = None) -> ReplyPlan:
    """Decide how to answer what the caller just said (`expect`: what the last reply asked for; `now`: the
    moment of the call, for hours and who can be reached)."""
    said = words(text)
    if not said:
        return ReplyPlan(Intent.EMPTY, text=DIDNT_CATCH, expect=expect)
    if is_goodbye(text):
        return ReplyPlan(Intent.GOODBYE, text=profile.goodbye_text, end_call=True)
    if expect is Expect.OFFER_ANSWER and said[0] in _YES | _NO | {"please", "ok", "okay"}:
        if said[0] in _NO:
            return ReplyPlan(Intent.ACKNOWLEDGE, text=f"Of course. {ANYTHING_ELSE}")
        return ReplyPlan(Intent.MESSAGE, text=MESSAGE_ASK, expect=Expect.MESSAGE)
    if short := _short_reply(profile, said):
        return short
    if plan := _known_plan(profile, text, now or datetime.now(UTC)):
        return plan
    if asks(text) and not llm_answers_questions:  # "I was wondering if you take walk-ins." too
        return ReplyPlan(Intent.UNKNOWN, text=f"{NO_INFO} {OFFER}", expect=Expect.OFFER_ANSWER)
    if says(text, _GRATITUDE) and set(said) <= _THANKS_ONLY:
        return ReplyPlan(Intent.ACKNOWLEDGE, text=f"{WELCOME} {ANYTHING_ELSE}")
    return ReplyPlan(Intent.OPEN, use_llm=True)


def _known_plan(profile: BusinessProfile, text: str, now: datetime) -> ReplyPlan | None:
    """What the profile answers, in code: someone to put through, a message, a problem or need told, an FAQ, a
    fact; None when it has nothing for these words."""
    if plan := plans.person_plan(profile, text, now):
        return plan
    if wants_message(text):
        return ReplyPlan(Intent.MESSAGE, text=MESSAGE_PROMPT, expect=Expect.MESSAGE)
    told = not asks(text)
    if told and plans.tells_problem(text) and (plan := plans.statement_plan(profile, text, now)):
        return plan  # before the facts: 'my e-bike won't charge' tells of a problem, it asks no price
    index, score = best_faq(profile, text)
    if score >= 0.6:
        return _fact(Intent.FAQ, profile.faqs[index].answer)
    if plan := plans.day_facts_plan(profile, text, now) or _fact_plan(profile, text):
        return plan
    if told:
        return plans.statement_plan(profile, text, now, told_need=True)
    return plans.need_plan(profile, text, now)  # 'Can I check on my order?': whoever handles orders


def is_goodbye(text: str) -> bool:
    """Whether the caller says they are done (a short goodbye)."""
    return says(text, _GOODBYE) and len(words(text)) <= 8


def takes_message(expect: Expect, text: str) -> bool:
    """Whether these words are the message the receptionist asked for: not a goodbye, not silence, and not a
    question in its place ('Are you open Saturday?' after the after-hours greeting is answered) unless it holds
    something of a message (a number, a name, a call back, a problem told)."""
    if expect is not Expect.MESSAGE or not words(text) or is_goodbye(text):
        return False
    return not asks(text) or has_message_parts(text) or plans.tells_problem(text)


def _short_reply(profile: BusinessProfile, said: list[str]) -> ReplyPlan | None:
    """A caller's "no", "thanks" or "yes" after "Is there anything else?" (never worth an LLM call)."""
    heard = set(said)
    if said[0] in _NO and heard <= _DONE:
        return ReplyPlan(Intent.GOODBYE, text=profile.goodbye_text, end_call=True)
    if heard <= _ACK:
        return ReplyPlan(Intent.ACKNOWLEDGE, text=f"{WELCOME} {ANYTHING_ELSE}" if heard & _THANKS else ANYTHING_ELSE)
    if said[0] in _YES and heard <= _YES_MORE:
        return ReplyPlan(Intent.ACKNOWLEDGE, text=GO_AHEAD)
    return None


def _fact_plan(profile: BusinessProfile, text: str) -> ReplyPlan | None:
    if says(text, _PRICE) and (price := _service_price(profile, text)):
        return _fact(Intent.PRICE, price)
    if says(text, plans.HOURS_CUES) and not profile.hours_given:  # a knowledge gap the owner then sees
        return ReplyPlan(Intent.UNKNOWN, text=f"{NO_INFO} {OFFER}", expect=Expect.OFFER_ANSWER)
    if says(text, plans.HOURS_CUES):
        return _fact(Intent.HOURS, facts.hours_sentence(profile))
    if (says(text, _ADDRESS) or _asks_where(text)) and profile.address:
        return _fact(Intent.ADDRESS, facts.address_sentence(profile))
    if (says(text, _PRICE) or says(text, _SERVICES)) and profile.services:
        return _fact(Intent.SERVICES, facts.services_sentence(profile))
    return None


def _asks_where(text: str) -> bool:
    """A question with "where" in it ("Where's your shop?", "Can you tell me where you are?"), or starting with
    "wear", as speech recognition may write it (a question never starts with the verb); a "where" in a statement
    asks nothing ("My gums bleed where I brush.")."""
    said = words(text)
    return asks(text) and (bool(set(said) & _WHERE) or said[:1] == ["wear"])


def _fact(intent: Intent, sentence: str) -> ReplyPlan:
    return ReplyPlan(intent, text=f"{sentence} {ANYTHING_ELSE}")


def system_prompt(profile: BusinessProfile) -> str:
    """The LLM's fixed system prompt for one business (a stable prefix, so its KV cache is reused)."""
    return (
        f"You are the phone receptionist of {profile.name}, {profile.persona}. "
        "Reply in one or two short spoken sentences. Use only the facts below. "
        "If the facts do not answer the question, say you do not have that information.\n"
        f"{facts.profile_brief(profile)}"
    )


def is_grounded(sentence: str, profile: BusinessProfile, caller_text: str) -> bool:
    """Whether an LLM sentence speaks of things the profile or the caller mentioned (not invented ones).

    Small models invent policies, prices and names; a sentence whose content words mostly come from neither the
    profile nor the caller, or that names something (a run of capitalized words) neither of them named, is
    dropped, and the reply falls back to a fixed phrase.
    """
    given = words(facts.profile_brief(profile)) + words(caller_text)
    known = set(given) | _SMALL_TALK
    content = [w for w in words(sentence) if w not in _STOP and not w.isdigit()]
    if content and sum(w in known for w in content) / len(content) < GROUNDED_SHARE:
        return False
    said = f" {' '.join(given)} "
    return all(f" {name} " in said for name in named(sentence))


def named(sentence: str) -> list[str]:
    """The multi-word names in a sentence ("Maple Street Dental"), lower-cased; a first word that is a common
    word ("Hello John Smith") is not part of a name."""
    tokens = re.findall(r"[A-Za-z][A-Za-z0-9'’]*", sentence)
    in_name = [token[0].isupper() and token.lower() not in _PRONOUNS
               and not (index == 0 and (token.lower() in _STOP or token.lower() in _SMALL_TALK))
               for index, token in enumerate(tokens)]
    pairs = zip(tokens, in_name, strict=True)
    runs = (" ".join(t.lower() for t, _ in run) for flag, run in groupby(pairs, key=lambda p: p[1]) if flag)
    return [run for run in runs if " " in run]


def clean_llm_reply(text: str) -> str:
    """Make an LLM reply safe to speak: no markup, no role labels, at most three sentences."""
    text = re.sub(r"[*#_`]+", "", text)
    text = re.sub(r"^\s*(assistant|receptionist)\s*:\s*", "", text, flags=re.IGNORECASE)
    return text.strip()
