"""The words of what a caller said, as the receptionist's policies match them."""

from __future__ import annotations

import itertools
import re

_WORD = re.compile(r"[a-z0-9']+")
# The first words of a question ("Can you...", "Is there parking."): one list for the policy and the end of turn.
ASKING = frozenset(
    (
        "can", "could", "do", "does", "did", "is", "are", "was", "were", "will", "would", "may", "might", "should",
        "shall", "have", "has", "what", "what's", "when", "where", "where's", "who", "whom", "whose", "why", "how",
        "which", "any", "anyone", "anybody",
    )
)


def words(text: str) -> list[str]:
    """Lower-case words of a transcript (curly apostrophes made straight)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def says(text: str, cues: tuple[str, ...]) -> bool:
    """Whether the text contains one of the cues (words or phrases) as whole words."""
    padded = f" {' '.join(words(text))} "
    return any(f" {cue} " in padded for cue in cues)


_SPELLINGS = (("ph", "f"), ("ck", "k"), ("ch", "k"), ("sh", "s"), ("th", "t"), ("gh", "g"), ("qu", "k"), ("c", "k"),
              ("q", "k"), ("x", "ks"), ("z", "s"))
_SILENT = str.maketrans("", "", "aeiouyhw'")


def sound_key(word: str) -> str:
    """The consonants of a word in order, each sound spelled one way and doubled ones once: speech recognition
    keeps the consonants of a name it does not know and loses the vowels ('Chahfer' and 'Okafor' are both 'kfr')."""
    key = word.lower()
    for spelling, sound in _SPELLINGS:
        key = key.replace(spelling, sound)
    key = key.translate(_SILENT)
    return "".join(c for n, c in enumerate(key) if n == 0 or c != key[n - 1])


_JOINED_MIN = 6  # letters: 'in voice' is 'invoice'; shorter joins ('a bill' → 'abill') say nothing


def joined_pairs(text: str) -> str:
    """Each two neighbouring words written as one, space-padded: speech recognition splits a word it does not
    expect ('a mountain in voice' for 'about an invoice'), and the pair joined again finds it."""
    said = words(text)
    pairs = [singular(a + b) for a, b in itertools.pairwise(said)
             if len(a) >= 2 and len(b) >= 2 and len(a + b) >= _JOINED_MIN]
    return f" {' '.join(pairs)} "


def singular(word: str) -> str:
    """A rough singular of a lower-case English word: 'cleanings' → 'cleaning', 'x-rays' → 'x-ray', 'accounts' →
    'account', "the doctor's" → 'doctor'; 'teeth', 'class' and 'bus' stay."""
    word = word.removesuffix("'s").removesuffix("'")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


_ENDINGS = ("ed", "ing")
_STEM_MIN = 3  # letters left: 'red' and 'ring' keep their ends


def stems(text: str) -> str:
    """The words of a text that end in -ed or -ing, without the ending (and with an 'e' put back), space-padded:
    'I ordered a part' names the 'order' rule, 'I was invoiced twice' the 'invoice' one."""
    found = []
    for word in words(text):
        for ending in _ENDINGS:
            stem = word.removesuffix(ending)
            if stem != word and len(stem) >= _STEM_MIN:
                found += [stem, stem + "e"]
    return f" {' '.join(found)} "


def singular_words(text: str) -> str:
    """The words of a text in their singular forms, space-padded for a whole-phrase search: 'the accounts
    department' and 'the account department' both read ' the account department '."""
    return f" {' '.join(singular(w) for w in words(text))} "
