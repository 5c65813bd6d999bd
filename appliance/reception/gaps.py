"""Knowledge gaps: the questions a brand's profile could not answer, which the team reads to complete it. Pure.

A gap is recorded when the receptionist answers "I don't have that information" (`Intent.UNKNOWN`). Repeats
are counted by the question's normalised words (`question_key`), so "Do you take Delta?" and "do you take
delta" are one question. Phone numbers in the caller's words are masked before the question leaves the call.
"""

from __future__ import annotations

import re

from appliance.call.events import KnowledgeGap
from appliance.reception.plan import Intent, ReplyPlan
from appliance.reception.wording import words

NUMBER_MASK = "[number]"
_NUMBER = re.compile(r"\+?\d[\d\s().-]{5,}\d")  # a phone number said in the question (7 or more characters)


def knowledge_gap(plan: ReplyPlan, question: str, brand: str, at: float) -> KnowledgeGap | None:
    """The gap a reply reveals (the receptionist had no information for this question), else None."""
    if plan.intent is not Intent.UNKNOWN or not words(question):
        return None
    return KnowledgeGap(masked(question), brand, at)


def masked(question: str) -> str:
    """The question with any phone number in it replaced by NUMBER_MASK, spaces tidied."""
    return " ".join(_NUMBER.sub(NUMBER_MASK, question).split())


def question_key(question: str) -> str:
    """What makes two questions the same: their words, lower-case, without punctuation (apostrophes too)."""
    return " ".join(word.replace("'", "") for word in words(masked(question)))
