"""Call summaries made by code from the events: who, what they wanted, what was done, the outcome."""

from __future__ import annotations

from appliance.call.events import (
    CallEnded,
    CallEvent,
    CallStarted,
    MessageTaken,
    Outcome,
    Speaker,
    TransferFailed,
    Transferring,
    TurnSpoken,
)
from appliance.reception.summary import summarize

STARTED = CallStarted("c1", "+15550100", "desk", 1.0, "Ana Silva")


def test_a_message_call() -> None:
    events: list[CallEvent] = [STARTED,
              TurnSpoken(Speaker.CALLER, "When are you open?", 1, 2),
              TurnSpoken(Speaker.RECEPTIONIST, "We're open ...", 2, 3, intent="hours"),
              TurnSpoken(Speaker.RECEPTIONIST, "I can take a message ...", 4, 5, intent="take-message"),
              MessageTaken("Ana", "+15551234567", "My crown came loose, it's urgent.", "urgent", 6.0,
                           number_confirmed=True),
              CallEnded(Outcome.MESSAGE_TAKEN, "caller hung up", 9.0)]
    assert summarize(events) == (
        "Ana Silva (+15550100) called about the opening hours and leaving a message. Urgent message from Ana, "
        'call back on +15551234567: "My crown came loose, it\'s urgent." Outcome: a message was taken.')


def test_a_message_for_a_team_member_with_a_number_not_confirmed() -> None:
    events: list[CallEvent] = [STARTED, MessageTaken(None, "+15551234567", "About my bill.", "normal", 6.0, "ann"),
              CallEnded(Outcome.MESSAGE_TAKEN, "caller hung up", 9.0)]
    assert summarize(events).split(". ", 1)[1] == (
        'Message for ann, call back on +15551234567 (not confirmed): "About my bill." Outcome: a message was taken.')


def test_a_transfer_that_failed_then_a_goodbye() -> None:
    events: list[CallEvent] = [CallStarted("c2", "anonymous", "desk", 1.0),
              TurnSpoken(Speaker.RECEPTIONIST, "One moment ...", 1, 2, intent="transfer"),
              Transferring("ann", "201", 2.0, "Ann Lee"), TransferFailed("ann", "201", 486, 5.0, "Ann Lee"),
              CallEnded(Outcome.ANSWERED, "caller hung up", 9.0)]
    assert summarize(events) == ("A caller with a withheld number called about speaking to someone. Put through "
                                 "to Ann Lee (201); the transfer to Ann Lee failed (486). Outcome: answered.")
    unnamed: list[CallEvent] = [Transferring("ann", "201", 2.0) if isinstance(e, Transferring) else e for e in events]
    assert "Put through to ann (201)" in summarize(unnamed)  # an event stored before names were


def test_a_silent_call_says_so() -> None:
    summary = summarize([STARTED, CallEnded(Outcome.ABANDONED, "caller hung up", 3.0)])
    assert summary == ("Ana Silva (+15550100) called and said nothing the receptionist could hear. Outcome: the "
                       "caller hung up without a request.")


def test_every_outcome_has_its_words() -> None:
    for outcome in Outcome:
        assert summarize([STARTED, CallEnded(outcome, "caller hung up", 3.0)]).startswith("Ana Silva"), outcome
    summary = summarize([STARTED, CallEnded(Outcome.FALLBACK, "caller hung up", 3.0)])
    assert summary.endswith("Outcome: a model failed, the call went on with the keypad menu.")
