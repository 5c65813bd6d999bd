"""Reading a message's callback number back to the caller: confirmed, corrected, asked for again, or given up;
and the caller's name asked for when the message came without one.

Pure: the caller's answers in, what to say and the message as it stands out. After a message, the receptionist
reads its number (spoken, or else the caller ID) back in digit groups and asks "Is that right?":

- "yes" / "that's right" (or the same number again): the number is confirmed and the message is final;
- "no, it's 555 019 4472": the corrected number is read back in turn;
- "no" alone: the caller is asked for the number again;
- a number the caller said that cannot be dialled (digits missing, no such area code) is not read back as if it
  were right: its digits are said and the caller is asked for the number again;
- two failed tries (a "no", a correction, a number that is not full, or an answer with neither), and the message
  is final with the last number heard (or the caller ID), unconfirmed, and the caller is told the team will see it;
- a goodbye: the message is final as it stands, and the policy says goodbye;
- the caller's name, as heard, is said with the first read-back ("Thank you, Anna Berg. The number I have
  is ..."), so it can be put right too: "No, my name is Anna Berg" or "It's Berg, B-E-R-G" (a spelled word, or one
  word, takes the place of the word of the name it is most like) renames the message and reads the number back
  again ("Sorry about that, Anna Berg. The number I have is ..."), at most TRIES times;
- a message without the caller's name (none said, or none heard): once the number is settled, or at once when
  there is no number to read back, the caller is asked for it, once ("May I have your name, please?"). The
  answer's name ('Tom Reed.', 'This is Tom Reed') goes into the message, which is then final, with or without it.

Design: the message is stored once, when final (one `MessageTaken`, with `number_confirmed`), so the stored
message is never a draft and no subscriber (the call log, the live view, a notification) sees a number the caller
then corrects. A call that ends during the read-back (a hang-up, the time limit, an error) loses nothing: the
run's `finally` asks `Conversation.message_left` for the message as it stands, number unconfirmed, and stores it
before the call's end, as it does for the caller's last words.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from appliance.phone import is_full_number
from appliance.reception.messages import (
    ASKS_AGAIN,
    CallerMessage,
    answered_name,
    confirmation,
    corrected_name,
    spoken_number,
    thanks,
)
from appliance.reception.numbers import digit_count, say_digits
from appliance.reception.phrasebook import (
    ANYTHING_ELSE,
    NAME_ASK,
    NOT_CAUGHT,
    NUMBER_AGAIN,
    NUMBER_ASK,
    NUMBER_GIVEN_UP,
    NUMBER_PART,
    READ_BACK,
    RENAMED,
    THANKS,
)
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.policy import is_goodbye
from appliance.reception.wording import says, words

TRIES = 2  # failed read-backs before the message is kept as it stands
_YES = frozenset(("yes", "yeah", "yep", "yup", "correct", "right", "exactly", "perfect", "sure", "absolutely"))
_NO = frozenset(("no", "nope", "nah", "wrong", "incorrect"))
_YES_SOUNDS = ("uh huh", "mm hmm", "mhm")
_NOT = ("not right", "not quite", "not correct", "isn't right", "is not right", "that's not", "that is not")


@dataclass(frozen=True)
class Step:
    """One turn of taking a message: the reply (None: the policy answers) and the message once it is final."""

    reply: ReplyPlan | None
    final: CallerMessage | None = None


def agrees(said: str) -> bool | None:
    """Whether the caller says yes (True) or no (False) to "Is that right?"; None when they say neither."""
    if says(said, _NOT):
        return False
    if says(said, _YES_SOUNDS):
        return True
    for word in words(said):
        if word in _NO or word in _YES:
            return word in _YES
    return None


class ReadBack:
    """The read-back of one message's callback number, from the first reading to the final message."""

    def __init__(self, message: CallerMessage, region: str) -> None:
        self.message, self.region = message, region
        self.misses = 0
        self.asked_number = False  # the last question was "What number ...?", not "Is that right?"
        self.name_asks = 0  # times "May I have your name?" was asked: once it was, the number is settled
        self.renames = 0  # times the caller put their name right ("No, my name is Anna Berg")

    @classmethod
    def take(cls, message: CallerMessage, region: str) -> tuple[ReadBack | None, Step]:
        """A message just heard: its number read back (the ReadBack then waits for the answer), or, when it has
        no number to read, the message is final at once."""
        check = cls(message, region)
        if message.callback_number is None or not digit_count(message.callback_number):
            if message.name is None:
                return check, check._ask_name(THANKS)
            return None, _final(message, f"{confirmation(message)} {ANYTHING_ELSE}")
        return check, check._check(thanks(message, full=True))

    def answer(self, said: str) -> Step:
        """The caller's answer to the read-back, to "What number ...?" or to "May I have your name?"."""
        if self.name_asks:
            return self._named(said)
        if (name := self._renaming(said)) is not None:
            self.renames += 1
            self.message = replace(self.message, name=name)
            if spoken_number(said, self.region) is None:
                return self._renamed(name)
        if (number := spoken_number(said, self.region)) is not None:
            return self._heard(number, agrees(said) is not False)
        if is_goodbye(said):
            return Step(None, self.message)
        if not self.asked_number and agrees(said):
            return self._confirmed()
        self.misses += 1
        if self.misses >= TRIES:
            return self._given_up()
        if agrees(said) is False:
            self.asked_number = True
            return Step(ReplyPlan(Intent.READ_BACK, text=NUMBER_AGAIN, expect=Expect.CALLBACK_NUMBER))
        return self._check(NOT_CAUGHT)  # neither yes nor no: the number is read (or asked for) again

    def _heard(self, number: str, agreeing: bool) -> Step:
        if number == self.message.callback_number and not self.asked_number and agreeing:
            return self._confirmed()  # "yes, 555 019 4471": the same number again
        if not self.asked_number or not is_full_number(number):
            self.misses += 1  # a correction (the number read back was wrong), or a number still not full
        self.message = replace(self.message, callback_number=number, number_heard=True)
        return self._given_up() if self.misses >= TRIES else self._check(THANKS)

    def _renaming(self, said: str) -> str | None:
        """The name the caller puts right in this answer: another name, or the same one heard again with a "no"
        (the caller then hears it is still the same and can spell it); None for none, or past TRIES times."""
        name = corrected_name(said, self.message.name)
        if name is None or self.renames >= TRIES:
            return None
        same = name.lower() == (self.message.name or "").lower()
        return None if same and agrees(said) is not False else name

    def _renamed(self, name: str) -> Step:
        """The name put right: the number is read back (or asked for) again, the caller named."""
        before = RENAMED.format(name=name)
        if self.asked_number:
            return Step(ReplyPlan(Intent.READ_BACK, text=f"{before} {NUMBER_ASK}", expect=Expect.CALLBACK_NUMBER))
        return self._check(before)

    def _check(self, before: str) -> Step:
        """The number read back, or, when the caller said one that cannot be dialled, asked for again."""
        number = self.message.callback_number or ""
        if not self.message.number_heard or is_full_number(number):
            return self._read(before)
        self.asked_number = True
        part = NUMBER_PART.format(digits=say_digits(number, self.region))
        return Step(ReplyPlan(Intent.READ_BACK, text=f"{before} {part} {NUMBER_ASK}", expect=Expect.CALLBACK_NUMBER))

    def _read(self, before: str) -> Step:
        self.asked_number = False
        digits = say_digits(self.message.callback_number or "", self.region)
        text = f"{before} {READ_BACK.format(digits=digits)}"
        return Step(ReplyPlan(Intent.READ_BACK, text=text, expect=Expect.CALLBACK_CHECK))

    def _confirmed(self) -> Step:
        self.message = replace(self.message, number_confirmed=True)
        if self.message.name is None:
            return self._ask_name(THANKS)
        return _final(self.message, f"{confirmation(self.message, thanked=True)} {ANYTHING_ELSE}")

    def _given_up(self) -> Step:
        if self.message.name is None:
            return self._ask_name(NUMBER_GIVEN_UP)
        return _final(self.message, f"{NUMBER_GIVEN_UP} {confirmation(self.message, thanked=True)} {ANYTHING_ELSE}")

    def _ask_name(self, before: str) -> Step:
        self.name_asks += 1
        return Step(ReplyPlan(Intent.READ_BACK, text=f"{before} {NAME_ASK}", expect=Expect.CALLER_NAME))

    def _named(self, said: str) -> Step:
        """The answer to "May I have your name?": the message is final, with the name if one was said ("Pardon?"
        asks once more; a goodbye keeps the message and the policy says goodbye)."""
        if (name := answered_name(said)) is not None:
            self.message = replace(self.message, name=name)
        if is_goodbye(said):
            return Step(None, self.message)
        if name is None and says(said, ASKS_AGAIN) and self.name_asks < TRIES:
            return self._ask_name(NOT_CAUGHT)
        return _final(self.message, f"{confirmation(self.message)} {ANYTHING_ELSE}")


def _final(message: CallerMessage, text: str) -> Step:
    return Step(ReplyPlan(Intent.MESSAGE_TAKEN, text=text), message)
