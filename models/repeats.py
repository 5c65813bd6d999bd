"""Whisper's repetition loops, told apart from a caller who really repeats: pure text rules.

On a short utterance Whisper often writes its sentence again ("Is there parking? Is there parking?"), above all
when the sentence is also in its prompt. The text is right once; the copies are the loop. Decoding again in the
standard 30 s window costs about 300 ms on a small CPU, so a whole sentence said again is kept once here, and only
what cannot be mended this way ("Can I, can I, can I", a word said over and over) goes to the slower path.
Digits are never a loop: "five, five, five" is a phone number.
"""

from __future__ import annotations

import itertools
import re

_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")  # not the point in "5.5"
_PHRASE_BREAK = re.compile(r"[.?!,;]+")
_DIGITS = frozenset(("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))
_WORD_LOOP = 3  # a single word this many times in a row is a loop; twice ("Yes. Yes.") is a caller


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w' -]", " ", text.lower()).split())


def _is_digits(phrase: str) -> bool:
    return all(word.isdigit() or word in _DIGITS for word in phrase.replace("-", " ").split())


def collapse_repeats(text: str) -> str:
    """The text with each whole sentence of two or more words that comes again at once kept once, and then a
    cut-off copy at the end (the decoder ran out of tokens mid-sentence) dropped."""
    kept: list[str] = []
    collapsed = False
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        plain = _plain(sentence).split()
        if not plain:
            continue
        last = _plain(kept[-1]).split() if kept else []
        if plain == last and len(plain) >= 2 and not _is_digits(" ".join(plain)):
            collapsed = True
        elif not (collapsed and sentence[-1] not in ".?!" and _begins(last, plain)):
            kept.append(sentence)
    return " ".join(kept)


def _begins(sentence: list[str], fragment: list[str]) -> bool:
    """Whether a fragment of two words or more is how the sentence begins, its last word perhaps cut short."""
    if not 2 <= len(fragment) <= len(sentence):
        return False
    size = len(fragment)
    return sentence[: size - 1] == fragment[:-1] and sentence[size - 1].startswith(fragment[-1])


def mend(decoded: str, cut: bool) -> str | None:
    """What a fitted-window decode says once a sentence written again is kept once; None when it still looks
    looped (`cut`: the decoder stopped at its token limit), so the standard window must decide. A cut decode is
    only trusted when collapsing mended it: every sentence once, the last one ended."""
    text = collapse_repeats(decoded)
    if cut:
        sentences = [_plain(s) for s in _SENTENCE_END.split(text) if _plain(s)]
        mended = text != decoded and text.endswith((".", "?", "!")) and len(set(sentences)) == len(sentences)
        if not mended:
            return None
    return None if has_repeated_phrase(text) else text


def has_repeated_phrase(text: str) -> bool:
    """True when the decoder looks looped: a phrase of two or more words twice in a row ("Thank you. thank you"),
    or one word three times ("Hello? Hello? Hello?"). Digits repeat in phone numbers and never count."""
    phrases = [_plain(part) for part in _PHRASE_BREAK.split(text) if _plain(part)]
    for phrase, run in itertools.groupby(phrases):
        times = len(list(run))
        if times >= 2 and not _is_digits(phrase) and (len(phrase.split()) >= 2 or times >= _WORD_LOOP):
            return True
    return False
