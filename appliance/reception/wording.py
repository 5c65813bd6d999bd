"""The words of what a caller said, as the receptionist's policies match them."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-case words of a transcript (curly apostrophes made straight)."""
    return _WORD.findall(text.lower().replace("’", "'"))


def says(text: str, cues: tuple[str, ...]) -> bool:
    """Whether the text contains one of the cues (words or phrases) as whole words."""
    padded = f" {' '.join(words(text))} "
    return any(f" {cue} " in padded for cue in cues)
