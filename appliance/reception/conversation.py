"""A call's conversation state: what is expected next, what was taken, how it ends. Pure: no audio, no clock.

The run (`appliance.call.run`) listens and speaks; it tells this object what the caller said and what time it is
(monotonic seconds), and does what the returned plans say. So a whole dialogue can be scripted in a test with
plain strings and numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from appliance.call.events import MessageTaken, Outcome
from appliance.phone import DEFAULT_REGION
from appliance.reception.degraded import hearing_lost, keypad_menu, keypad_plan, message_taken, untranscribed
from appliance.reception.directory import TeamMember
from appliance.reception.messages import read_message
from appliance.reception.phrasebook import MESSAGE_PROMPT, STILL_THERE, TIME_LIMIT
from appliance.reception.plan import Expect, Intent, ReplyPlan
from appliance.reception.plans import key_plan, not_reached, on_call_need, opening_plan
from appliance.reception.policy import plan_reply, takes_message
from appliance.reception.profile import BusinessProfile
from appliance.reception.readback import ReadBack, Step
from appliance.reception.screening import is_blocked
from appliance.reception.wording import words

HANG_UP_GRACE_S = 5.0  # after the receptionist hangs up, the run ends even if the line never reports closed
_MESSAGE_ASKS = (Expect.OFFER_ANSWER, Expect.MESSAGE)  # a message offered or asked for: still for the same person


@dataclass(frozen=True)
class Rules:
    """What shapes every conversation of this appliance."""

    profile: BusinessProfile
    max_call_s: float
    no_input_timeout_s: float
    llm_answers_questions: bool = False
    region: str = DEFAULT_REGION  # where callers' national numbers are (a message's callback number)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # the wall clock


class Conversation:
    """One caller's conversation with the receptionist, from greeting to goodbye."""

    def __init__(self, rules: Rules, caller_number: str, answered: float) -> None:
        self.rules, self.caller_number, self.answered = rules, caller_number, answered
        self.outcome = Outcome.ABANDONED
        self.expect = Expect.ANYTHING
        self.last_activity = answered
        self.ending = False  # the receptionist is saying goodbye or has hung up
        self.hung_up_at: float | None = None
        self._prompted = False
        self._step: Step | None = None  # the reply to a message or a read-back answer just heard
        self._readback: ReadBack | None = None  # the message whose callback number is being read back
        self.message_for: TeamMember | None = None  # whom a message offered or asked for now is for
        self.transferring: TeamMember | None = None  # put through, waiting for the line to go or the transfer to fail
        self.degraded = False  # a model failed or the box is overloaded: pre-synthesized phrases and the keypad only
        self._unheard = 0  # caller turns in a row with no words heard
        self._stt_failures = 0  # caller turns in a row on which speech recognition failed

    def greeting(self, when: datetime | None = None, name: str | None = None) -> ReplyPlan:
        """What the receptionist says first: the greeting (with a returning caller's stored `name`, if the brand
        greets them), or the after-hours path, or that a blocked caller's call is not taken."""
        profile = self.rules.profile
        blocked = is_blocked(profile, self.caller_number, self.rules.region)
        plan = opening_plan(profile, blocked, when or self.rules.clock(), name)
        if blocked and plan.end_call:
            self.outcome = Outcome.BLOCKED
        elif plan.intent is Intent.AFTER_HOURS:
            self.outcome = Outcome.AFTER_HOURS
        self.expect = plan.expect
        if plan.end_call:
            self.ending = True
        return plan

    def unheard_greeting(self, greeting: ReplyPlan) -> ReplyPlan:
        """The greeting when the box cannot hear the caller at all (its speech-to-text did not load): straight on
        to the keypad menu, unless the greeting ends the call or puts the caller through by itself. An after-hours
        greeting's spoken ask for a message is left out: nothing said could be written down, key 1 takes it."""
        if greeting.end_call or greeting.transfer_to is not None:
            return greeting
        said = greeting.text.removesuffix(MESSAGE_PROMPT).strip()
        return ReplyPlan(Intent.FALLBACK, text=f"{said} {self.fallback().text}")

    def fallback(self) -> ReplyPlan:
        """A model failed or the box is overloaded: from now on only pre-synthesized phrases and the keypad
        menu."""
        self.degraded, self.outcome, self.expect = True, Outcome.FALLBACK, Expect.ANYTHING
        return keypad_menu()  # a message still being read back is kept: `message_left` gives it at the end

    def heard(self, text: str, at: float) -> MessageTaken | None:
        """The caller said something; returns the message they left once it is final (its number read back and
        confirmed or given up on, or with no number to read back; the caller's name asked for if it had none)."""
        if self.outcome is Outcome.BLOCKED:
            return None
        if self.degraded:
            return None  # on the menu, words are taken as they come (`degraded_turn`)
        if text and self.outcome is Outcome.ABANDONED:
            self.outcome = Outcome.ANSWERED
        if self._readback is not None and words(text):
            step = self._readback.answer(text)
        elif takes_message(self.expect, text) and not on_call_need(self.rules.profile, text, self.rules.clock()):
            member = self.message_for.id if self.message_for else None
            message = read_message(text, self.caller_number, self.rules.region, for_member=member)
            self._readback, step = ReadBack.take(message, self.rules.region)
            self.outcome = Outcome.MESSAGE_TAKEN
        else:
            return None
        self._step = step
        if step.reply is not None:  # expected at once: words heard before the reply are not a second message
            self.expect = step.reply.expect
        if step.final is None:
            return None
        self._readback = None
        return step.final.event(at)

    def degraded_turn(self) -> tuple[ReplyPlan, bool]:
        """On the keypad menu, the caller spoke: what to say, which does not wait for their words (speech
        recognition may be what failed), and whether those words are the message asked for (`degraded_message`)."""
        taking = self.expect is Expect.MESSAGE
        return self._follow(message_taken() if taking else keypad_menu()), taking

    def degraded_message(self, text: str, at: float) -> MessageTaken:
        """The message said on the keypad menu, as transcribed ("" when speech recognition failed)."""
        member = self.message_for.id if self.message_for else None
        message = read_message(text, self.caller_number, self.rules.region, for_member=member)
        return (message if words(text) else untranscribed(message)).event(at)

    def stt_failed(self) -> None:
        """Speech recognition failed on the caller's turn about to be planned."""
        self._stt_failures += 1

    def message_left(self, at: float) -> MessageTaken | None:
        """At the end of the call: the message still being read back or waiting for the caller's name, as it
        stands, so that hanging up then (or a fall back to the keypad menu) never loses a message."""
        readback, self._readback = self._readback, None
        return None if readback is None else readback.message.event(at)

    def plan(self, text: str, when: datetime | None = None) -> ReplyPlan:
        """How to answer what the caller just said (`when`: the wall-clock moment, for hours and the team)."""
        if self.degraded:
            return self.degraded_turn()[0]
        if not words(text):
            self._unheard += 1
            if hearing_lost(self._unheard, self._stt_failures):
                return self.fallback()
        else:
            self._unheard = self._stt_failures = 0
        step, self._step = self._step, None
        if step is not None and step.reply is not None:  # the caller left a message, or answered its read-back
            return self._follow(step.reply)
        rules = self.rules
        return self._follow(plan_reply(rules.profile, text, llm_answers_questions=rules.llm_answers_questions,
                                       expect=self.expect, now=when or rules.clock()))

    def _follow(self, plan: ReplyPlan) -> ReplyPlan:
        """What the receptionist expects after this plan, and whom a message offered or asked for is for."""
        self.expect = plan.expect
        if plan.message_for is not None or plan.expect not in _MESSAGE_ASKS:
            self.message_for = plan.message_for
        return plan

    def pressed(self, digit: str, when: datetime | None = None) -> ReplyPlan | None:
        """A keypad press: what to do about it (0: the front desk), or None."""
        if self.ending or self.transferring:
            return None
        if self.degraded:
            return self._follow(keypad_plan(self.rules.profile, digit))
        return key_plan(self.rules.profile, digit, when or self.rules.clock())

    def put_through(self, member: TeamMember) -> None:
        """The receptionist finished saying it puts the caller through: the transfer starts now."""
        self.transferring = member
        if not self.degraded:  # a call that fell back is logged as such, wherever it went
            self.outcome = Outcome.TRANSFERRED

    def transfer_failed(self) -> ReplyPlan:
        """The team member could not be reached: back to the caller, with a message offered."""
        member, self.transferring = self.transferring, None
        if self.degraded:  # only phrases made before the first call: the voice may be what failed
            return self._follow(keypad_menu())
        self.outcome = Outcome.ANSWERED
        return self._follow(not_reached(member) if member else self.goodbye(""))

    def end_reason(self, closed_by_caller: bool) -> str:
        """Why the call ended, as the call log keeps it."""
        if self.transferring is not None:
            return f"transferred:{self.transferring.target}"
        return "receptionist hung up" if self.hung_up_at else "caller hung up" if closed_by_caller else ""

    def active(self, now: float) -> None:
        """Someone spoke or a reply finished: the no-input clock starts again."""
        self.last_activity = now

    def hung_up(self, now: float) -> None:
        """The receptionist ended the call (after its goodbye)."""
        self.ending = True
        self.hung_up_at = now

    def failed(self) -> None:
        """An error ended the call."""
        self.outcome = Outcome.FAILED

    def tick(self, now: float, busy: bool) -> ReplyPlan | str | None:
        """What the clock asks for: a plan to speak, a reason to end the run now, or nothing.

        busy: a reply is being spoken or the caller is mid-utterance (the clocks wait for it)."""
        if self.hung_up_at is not None:
            return "receptionist hung up" if now - self.hung_up_at > HANG_UP_GRACE_S else None
        if busy or self.ending or self.transferring:
            return None
        if now - self.answered > self.rules.max_call_s:
            return self.goodbye(TIME_LIMIT)
        if now - self.last_activity > self.rules.no_input_timeout_s:
            if self._prompted:
                return self.goodbye("")
            self._prompted = True
            self.last_activity = now
            return ReplyPlan(Intent.EMPTY, text=STILL_THERE)
        return None

    def goodbye(self, text: str) -> ReplyPlan:
        """Say text and the profile's goodbye, then hang up."""
        self.ending = True
        goodbye = f"{text} {self.rules.profile.goodbye_text}".strip()
        return ReplyPlan(Intent.GOODBYE, text=goodbye, end_call=True)
