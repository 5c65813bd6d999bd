"""Phone numbers in a caller's words, and numbers said back to them digit by digit.

Callers say numbers as digits and words, and Whisper writes them in many ways: "555-019-4471", "(555) 019 4471",
"5 5 5, 0 1 9", "five-five-five", "five five five, oh one nine, double four seven one", "forty-four seventy-one",
"eight hundred", "plus four four ...". `spoken_numbers` reads every run of them as digits; a run goes on over
spaces, commas, dashes, dots, brackets and "uh"s, and stops at any other word. "Oh" is a zero only next to
other digits ("Oh, it's 555 ..." is not a zero). Asked with `sound_alike`, the words speech recognition writes
for a digit on a phone line ("to" for two, "for" for four, "fine" or "time" for five) are digits too, where a digit
is next to them; `appliance.reception.messages` asks only when the plain reading is no full number.
Pure: which run is a phone number, and its canonical form, is for `appliance.reception.messages` and
`appliance.phone`.
"""

from __future__ import annotations

import re

from appliance.phone import digit_groups
from appliance.reception.phrasebook import DIGIT_NAMES, PLUS

_TOKEN = re.compile(r"\+|[a-z0-9']+|[^\sa-z0-9']")
_UNITS = {word: str(n) for n, word in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))} | {"nought": "0"}
_OH = frozenset(("oh", "o"))
_TEENS = {word: str(n) for n, word in enumerate(
    ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"),
    start=10)}
_TENS = {word: str(n) for n, word in enumerate(
    ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), start=2)}
_REPEATS = {"double": 2, "triple": 3}
_INSIDE = frozenset((",", "-", ".", "(", ")", "/", "–", "—", "uh", "um", "er", "erm", "ah", "hmm"))  # within a number
_PLUS = frozenset(("+", "plus"))
_SOUND_ALIKE = {"won": "1", "to": "2", "too": "2", "free": "3", "tree": "3", "for": "4", "fore": "4", "fine": "5",
                "time": "5", "hive": "5", "ate": "8"}


def spoken_numbers(said: str, *, sound_alike: bool = False) -> list[str]:
    """Every run of digits in a caller's words, in order, as digits (with a leading '+' when said or written)."""
    tokens = _TOKEN.findall(said.lower().replace("’", "'"))
    numbers: list[str] = []
    run, index = "", 0
    while index < len(tokens):
        in_run = bool(run.strip("+"))
        digits, used = _digits(tokens, index, in_run=in_run)
        if not digits and sound_alike:
            digits, used = _sound_alike(tokens, index, in_run=in_run)
        if digits:
            run, index = run + digits, index + used
            continue
        if tokens[index] in _PLUS and not run and _starts_digits(tokens, index + 1):
            run = "+"
        elif tokens[index] not in _INSIDE:
            numbers, run = _close(numbers, run), ""
        index += 1
    return _close(numbers, run)


def say_digits(number: str, region: str) -> str:
    """A phone number as the receptionist reads it back: each digit by name, in groups ('five five five, zero one
    nine, four four seven one'); a number of the business's own country without its country code."""
    return ", ".join(" ".join(PLUS if c == "+" else DIGIT_NAMES[int(c)] for c in group)
                     for group in digit_groups(number, region))


def digit_count(number: str) -> int:
    """How many digits a number has."""
    return sum(c.isdigit() for c in number)


def _close(numbers: list[str], run: str) -> list[str]:
    return [*numbers, run] if run.strip("+") else numbers


def _at(tokens: list[str], index: int) -> str:
    return tokens[index] if index < len(tokens) else ""


def _is_digits(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _starts_digits(tokens: list[str], index: int) -> bool:
    token = _at(tokens, index)
    return _is_digits(token) or token in _UNITS or token in _TEENS or token in _TENS or token in _REPEATS


def _digits(tokens: list[str], index: int, *, in_run: bool) -> tuple[str, int]:
    """The digits said at `index` and how many tokens they take ('', 0: no number here)."""
    token = _at(tokens, index)
    if _is_digits(token):
        return _hundreds(tokens, index, token) if len(token) == 1 else (token, 1)
    if token in _UNITS:
        return _hundreds(tokens, index, _UNITS[token])
    if token in _OH:
        near = in_run or _starts_digits(tokens, index + 1) or _at(tokens, index + 1) in _OH
        return ("0", 1) if near else ("", 0)
    if token in _TEENS or token in _TENS:
        return _below_hundred(tokens, index)
    if token in _REPEATS:
        skip = 2 if _at(tokens, index + 1) == "-" else 1  # "double-four"
        digit = _single(_at(tokens, index + skip))
        return (digit * _REPEATS[token], skip + 1) if digit else ("", 0)
    return "", 0


def _sound_alike(tokens: list[str], index: int, *, in_run: bool) -> tuple[str, int]:
    """A word that sounds like a digit, as that digit when it is in a run of digits or one follows it."""
    digit = _SOUND_ALIKE.get(_at(tokens, index), "")
    if not digit:
        return "", 0
    after = index + 1
    while _at(tokens, after) in _INSIDE:
        after += 1
    near = in_run or _starts_digits(tokens, after) or _at(tokens, after) in _SOUND_ALIKE
    return (digit, 1) if near else ("", 0)


def _single(token: str) -> str:
    if _is_digits(token) and len(token) == 1:
        return token
    return "0" if token in _OH else _UNITS.get(token, "")


def _hundreds(tokens: list[str], index: int, unit: str) -> tuple[str, int]:
    """A digit, or 'five hundred [and] twelve' (512), 'five hundred and five' (505), 'eight hundred' (800: the
    digits after it are the next ones, as in 'eight hundred five five five'), 'two thousand' (2000)."""
    after = _at(tokens, index + 1)
    if after == "thousand":
        return unit + "000", 2
    if after != "hundred":
        return unit, 1
    joined = _at(tokens, index + 2) == "and"
    rest, used = _below_hundred(tokens, index + 2 + joined, units=joined)
    return (unit + rest, 2 + joined + used) if rest else (unit + "00", 2)


def _below_hundred(tokens: list[str], index: int, *, units: bool = False) -> tuple[str, int]:
    """Two digits: 'twelve' (12), 'forty-four' (44), 'forty' (40), and with `units` 'five' (05)."""
    token = _at(tokens, index)
    if token in _TEENS:
        return _TEENS[token], 1
    if token in _TENS:
        skip = 2 if _at(tokens, index + 1) == "-" else 1
        unit = _UNITS.get(_at(tokens, index + skip), "0")
        return (_TENS[token] + unit, skip + 1) if unit != "0" else (_TENS[token] + "0", 1)
    if units and token in _UNITS:
        return "0" + _UNITS[token], 1
    return "", 0
