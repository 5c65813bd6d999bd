"""Choosing among the speech-to-text's best guesses: pure text rules.

A small Whisper often has the caller's words among its few best hypotheses without ranking them first ("someone in
the evening" above "someone in billing"). The business's own words (team names, roles, services, the needs of its
routing rules) are what callers ring about, so each of them a hypothesis contains counts in its favour, by a margin
small enough that a clearly better-scored hypothesis still wins.

In a short utterance the beam also likes the words written twice ("Yes. Yes.", "Hello? Hello?"), which scores as
well per token as the words once. A guess that is another guess said over again is that loop, and is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

TERM_WEIGHT = 0.15  # per business word, against a hypothesis' mean log-probability per token
_WORD = re.compile(r"[a-z][a-z'-]+")
_TOKEN = re.compile(r"[a-z0-9']+")
_COMMON = frozenset(("the", "and", "you", "your", "are", "can", "what", "how", "much", "for", "with", "does", "this",
                     "that", "have", "been", "there", "from", "our", "not", "about", "please", "would", "like", "any",
                     "who"))


def word_set(text: str) -> frozenset[str]:
    """The lower-case words of text, three letters or more, common function words left out."""
    return frozenset(w.strip("'-") for w in _WORD.findall(text.lower()) if len(w) > 2) - _COMMON


def business_words(phrases: Iterable[str]) -> frozenset[str]:
    """The words that favour a hypothesis: those of the business's names, roles, services and needs."""
    found: set[str] = set()
    for phrase in phrases:
        found |= word_set(phrase)
    return frozenset(found)


def _said_over(text: str, other: str) -> bool:
    """Whether text is other's words said two or more times over."""
    words, once = _TOKEN.findall(text.lower()), _TOKEN.findall(other.lower())
    return bool(once) and len(words) > len(once) and len(words) % len(once) == 0 and words == once * (
        len(words) // len(once))


def best_hypothesis(hypotheses: Sequence[tuple[str, float]], terms: frozenset[str]) -> int:
    """The index of the hypothesis (text, mean log-probability) to keep: of those that are not another said over
    again, the best score once each business word it holds adds TERM_WEIGHT; on a tie the one ranked first."""
    if not hypotheses:
        raise ValueError("no hypotheses to choose from")
    texts = [text for text, _ in hypotheses]
    kept = [i for i, text in enumerate(texts) if not any(_said_over(text, other) for other in texts)]

    def worth(index: int) -> float:
        text, score = hypotheses[index]
        return score + TERM_WEIGHT * len(word_set(text) & terms)

    return max(kept, key=lambda i: (worth(i), -i))
