"""Split streamed LLM text into sentences, so each can be spoken as soon as it is complete."""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "ave", "blvd", "rd", "no", "vs", "etc", "e.g", "i.e", "a.m", "p.m", "jr", "sr"}
)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)")
_LONG = 160
# Words a spoken phrase may start with: a long first sentence with no comma is cut before one of them.
_PHRASE = re.compile(r" (?=(?:and|but|so|or|because|which|that|who|to|for|with|in|if|when|while|at|on|about) )")


class SentenceSplitter:
    """Feed text pieces with push(); get back the sentences they complete; flush() returns the rest.

    With first_clause set, the very first piece may end at a comma once it is that long, or (with no comma in
    sight) before a phrase's first word such as "in" or "because" once two thirds of it are written: the caller
    hears the start of a long first sentence while the rest is still being written.
    """

    def __init__(self, first_clause: int | None = None) -> None:
        self._buffer = ""
        self._first_clause = first_clause

    def push(self, piece: str) -> list[str]:
        """Add streamed text; return the complete sentences it finished, in order."""
        self._buffer += piece
        sentences: list[str] = []
        if self._first_clause and (cut := _clause_cut(self._buffer, self._first_clause)) is not None:
            sentences.append(self._buffer[:cut].strip())
            self._buffer = self._buffer[cut:].lstrip()
        while (cut := _find_cut(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
            if sentence:
                sentences.append(sentence)
        if sentences:
            self._first_clause = None
        return sentences

    def flush(self) -> list[str]:
        """The text left after the stream ended, as a final sentence if any."""
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []


def _find_cut(text: str) -> int | None:
    for match in _END.finditer(text):
        if not _is_abbreviation(text, match.start()):
            return match.end()
    if len(text) > _LONG:
        # A very long clause: break at the last comma or space so speech can start.
        cut = max(text.rfind(", ", 0, _LONG), text.rfind(" ", 0, _LONG))
        return cut + 1 if cut > 0 else _LONG
    return None


def _clause_cut(text: str, minimum: int) -> int | None:
    """End of a first clause, before any sentence end: a comma followed by a space at or after `minimum`
    characters; else, once the text runs past `minimum` + 10 characters, the start of a phrase after
    two thirds of `minimum`."""
    if _find_cut(text) is not None:
        return None
    comma = text.find(", ", minimum)
    if comma >= 0:
        return comma + 1
    if len(text) > minimum + 10 and (phrase := _PHRASE.search(text, minimum * 2 // 3)) is not None:
        return phrase.start()
    return None


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.split(r"\s", text[:dot])[-1].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[str]:
    """All sentences of a whole text."""
    splitter = SentenceSplitter()
    return splitter.push(text + " ") + splitter.flush()
