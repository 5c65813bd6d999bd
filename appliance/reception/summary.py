"""A call's summary, made by code from its events: who called, what they wanted, what was answered, the
outcome and the message. One to three sentences; nothing in it that the events do not say."""

from __future__ import annotations

from collections.abc import Sequence

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
from appliance.phone import is_anonymous

_TOPICS = {"hours": "the opening hours", "address": "the address", "price": "prices", "services": "the services",
           "faq": "a common question", "duration": "how long a service takes", "no-information":
           "something the profile does not cover", "statement": "a problem", "transfer": "speaking to someone",
           "unavailable": "speaking to someone", "take-message": "leaving a message"}
_OUTCOMES = {Outcome.ANSWERED: "answered", Outcome.MESSAGE_TAKEN: "a message was taken",
             Outcome.TRANSFERRED: "put through", Outcome.AFTER_HOURS: "after hours",
             Outcome.ABANDONED: "the caller hung up without a request", Outcome.BLOCKED: "blocked",
             Outcome.FALLBACK: "a model failed, the call went on with the keypad menu", Outcome.FAILED: "failed"}
QUOTE_CHARS = 120


def summarize(events: Sequence[CallEvent]) -> str:
    """One to three sentences about a call, from its events in order."""
    started = next((e for e in events if isinstance(e, CallStarted)), None)
    ended = next((e for e in reversed(events) if isinstance(e, CallEnded)), None)
    if ended is not None and ended.outcome is Outcome.BLOCKED and not _caller_turns(events):
        return f"{_who(started)} called from a blocked number and was not put through. Outcome: blocked."
    sentences = [f"{_who(started)} {_asked(events)}."]
    if done := _done(events):
        sentences.append(done)
    outcome = _OUTCOMES[ended.outcome] if ended else "the call did not finish"
    sentences.append(f"Outcome: {outcome}.")
    return " ".join(sentences)


def _who(started: CallStarted | None) -> str:
    if started is None:
        return "A caller"
    number = "" if is_anonymous(started.caller) else started.caller
    if started.caller_name and number:
        return f"{started.caller_name} ({number})"
    return started.caller_name or number or "A caller with a withheld number"


def _asked(events: Sequence[CallEvent]) -> str:
    answered = [_TOPICS[e.intent] for e in events
                if isinstance(e, TurnSpoken) and e.speaker is Speaker.RECEPTIONIST and e.intent in _TOPICS]
    topics = list(dict.fromkeys(answered))  # in order, once each
    said = _caller_turns(events)
    if topics:
        return "called about " + _join(topics)
    if said:
        return f'called and said "{_quote(said[0])}"'
    return "called and said nothing the receptionist could hear"


def _caller_turns(events: Sequence[CallEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, TurnSpoken) and e.speaker is Speaker.CALLER and e.text]


def _done(events: Sequence[CallEvent]) -> str:
    parts: list[str] = []
    for event in events:
        if isinstance(event, Transferring):
            parts.append(f"put through to {event.name or event.member} ({event.target})")
        elif isinstance(event, TransferFailed):
            parts.append(f"the transfer to {event.name or event.member} failed ({event.status})")
        elif isinstance(event, MessageTaken):
            parts.append(_message(event))
    text = "; ".join(parts)
    end = "" if text.endswith(('."', '?"', '!"')) else "."
    return f"{text[:1].upper()}{text[1:]}{end}" if text else ""


def _message(event: MessageTaken) -> str:
    urgent = "urgent " if event.urgency == "urgent" else ""
    member = f" for {event.for_member}" if event.for_member else ""
    name = f" from {event.name}" if event.name else ""
    checked = "" if event.number_confirmed else " (not confirmed)"
    back = f", call back on {event.callback_number}{checked}" if event.callback_number else ""
    return f'{urgent}message{member}{name}{back}: "{_quote(event.reason)}"'


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
