"""The scenario suite's data: scripted calls read from TOML files (the caller's steps and what must happen), the
two-brand profile they run against, and the one check both runners apply to what a call did.

A scenario file holds `[[scenario]]` tables; `tests/scenarios/README.md` lists their fields.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.call.events import Outcome

FOLDER = Path(__file__).resolve().parent
PROFILE = FOLDER / "profile.toml"
PARAPHRASES = FOLDER / "paraphrases.toml"  # wordings measured by tests/scenarios/paraphrases.py, not calls
OPEN_MOMENT = "2026-12-02T10:00:00-05:00"  # a Wednesday morning: both brands are open
DEFAULT_CALLER = "+12025550123"
DECLINED = "declined"  # the outcome of a call refused before it was answered (603)
OUTCOMES = frozenset({*(o.value for o in Outcome), DECLINED})
TARGET_DOES = ("answer", "decline", "ignore")  # what the team member's phone does with the transfer
_PHONE = re.compile(r"\{phone\.([a-z0-9_-]+)\}")
STATEMENT = "statement"  # the category of callers who tell rather than ask: scored for non-sequiturs too
# What no reply to a caller who told of something may say: sympathy for a loss, no answer, a fact not asked for.
NON_SEQUITURS = ("sorry for your loss", "condolences", "I don't have that information", "can't help with that",
                 "dollars", "we're open", "we're closed", "located at")
_NON_SEQUITUR = "a non-sequitur"
_STEP_KEYS = frozenset({"text", "spoken", "keys", "over_reply_s", "reply_has", "reply_lacks"})
_MESSAGE_KEYS = frozenset({"name", "callback_number", "urgency", "reason_has"})
_SCENARIO_KEYS = frozenset({"id", "category", "about", "called", "at", "caller_id", "say", "wait_for_hangup",
                            "greeting_has", "greeting_lacks", "reply_has", "reply_lacks", "transfer_to",
                            "target_does", "outcome", "message", "interrupted", "needs"})


class ScenarioError(ValueError):
    """A scenario file that does not say what the suite can play (names the file, the scenario and the key)."""


@dataclass(frozen=True)
class Step:
    """One thing the caller does: say words (typed in the fast runner, spoken by espeak-ng over SIP) or press keys."""

    text: str = ""
    spoken: str = ""  # how espeak-ng should say it when that differs (digits one by one)
    keys: str = ""
    over_reply_s: float | None = None  # said this far into the previous reply (barge-in, backchannel)
    reply_has: tuple[str, ...] = ()  # facts the reply to this step must contain
    reply_lacks: tuple[str, ...] = ()

    @property
    def voice(self) -> str:
        """What espeak-ng says for this step."""
        return self.spoken or self.text

    def label(self) -> str:
        """The step as a transcript shows it."""
        return f"[keys {self.keys}]" if self.keys else self.text


@dataclass(frozen=True)
class Scenario:
    """One scripted call and its expected results."""

    id: str
    category: str
    file: str
    steps: tuple[Step, ...]
    about: str = ""
    called: str = "reception"
    at: str = OPEN_MOMENT
    caller_id: str = DEFAULT_CALLER
    wait_for_hangup: bool = False  # the caller stays on until the receptionist ends the call
    greeting_has: tuple[str, ...] = ()
    greeting_lacks: tuple[str, ...] = ()
    reply_has: tuple[str, ...] = ()  # anywhere in what the receptionist said (the greeting too)
    reply_lacks: tuple[str, ...] = ()
    transfer_to: str = ""  # the team member's id; empty: no transfer may happen
    target_does: str = "answer"
    outcome: str = ""
    message: dict[str, Any] | None = None  # expected fields; None: no message may be taken
    interrupted: bool | None = None
    needs: str = ""  # a feature not built yet: the scenario is expected to fail until it is

    @property
    def keys_only(self) -> bool:
        """Whether the caller only presses keys (nothing to speak)."""
        return all(step.keys for step in self.steps)


@dataclass
class Exchange:
    """One caller input (words as heard, or keys) and the receptionist's replies to it."""

    said: str
    replies: list[str] = field(default_factory=list)
    backchannel: bool = False  # a "yeah" said over a reply: it is no turn, and the replies go to the one before


@dataclass
class CallRecord:
    """What one played call did, whichever runner played it."""

    answered: bool = True
    greeting: str = ""  # all the receptionist said before the caller's first input
    exchanges: list[Exchange] = field(default_factory=list)
    transfers: list[str] = field(default_factory=list)  # team member ids put through to
    transfers_failed: list[str] = field(default_factory=list)
    outcome: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    interrupted: int = 0
    problems: list[str] = field(default_factory=list)  # what the runner itself saw go wrong (SIP: REFER, audio)
    notes: list[str] = field(default_factory=list)  # what the runner observed (SIP: tones heard)

    @property
    def replies(self) -> list[str]:
        """Every reply after the greeting."""
        return [reply for exchange in self.exchanges for reply in exchange.replies]


def load_scenarios(folder: Path = FOLDER) -> list[Scenario]:
    """Every scenario of the suite's files (all but the profile and the paraphrases), in file order; ids must be
    unique."""
    found: list[Scenario] = []
    for path in sorted(folder.glob("*.toml")):
        if path not in (PROFILE, PARAPHRASES):
            found += _read_file(path)
    ids = [s.id for s in found]
    if dup := sorted({i for i in ids if ids.count(i) > 1}):
        raise ScenarioError(f"scenario id(s) {dup} appear more than once")
    return found


def _read_file(path: Path) -> list[Scenario]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from exc
    if set(data) != {"scenario"}:
        raise ScenarioError(f"{path.name}: write [[scenario]] tables only (found {sorted(data)})")
    return [_scenario(path.name, n, table) for n, table in enumerate(data["scenario"])]


def _scenario(file: str, index: int, table: dict[str, Any]) -> Scenario:
    where = f"{file}: scenario {table.get('id', index + 1)}"
    _only(where, table, _SCENARIO_KEYS)
    for required in ("id", "category"):
        if not table.get(required):
            raise ScenarioError(f"{where}: '{required}' is required")
    steps = tuple(_step(f"{where}, say[{n}]", item) for n, item in enumerate(table.pop("say", [])))
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
    scenario = Scenario(file=file, steps=steps, **fields)
    _check_values(where, scenario)
    return scenario


def _step(where: str, item: str | dict[str, Any]) -> Step:
    if isinstance(item, str):
        return Step(text=item)
    _only(where, item, _STEP_KEYS)
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in item.items()}
    step = Step(**fields)
    if bool(step.text) == bool(step.keys):
        raise ScenarioError(f"{where}: give either 'text' or 'keys'")
    return step


def _only(where: str, table: dict[str, Any], known: frozenset[str]) -> None:
    if unknown := sorted(set(table) - known):
        raise ScenarioError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")


def _check_values(where: str, scenario: Scenario) -> None:
    for key in ("id", "category", "about", "called", "at", "caller_id", "transfer_to", "outcome", "needs"):
        if not isinstance(getattr(scenario, key), str):
            raise ScenarioError(f"{where}: '{key}' must be a string (quote moments: at = \"{OPEN_MOMENT}\")")
    if scenario.outcome and scenario.outcome not in OUTCOMES:
        raise ScenarioError(f"{where}: outcome '{scenario.outcome}' is not one of {sorted(OUTCOMES)}")
    if scenario.target_does not in TARGET_DOES:
        raise ScenarioError(f"{where}: target_does '{scenario.target_does}' is not one of {TARGET_DOES}")
    if scenario.message is not None:
        _only(f"{where}, message", scenario.message, _MESSAGE_KEYS)
    if not scenario.steps and not scenario.wait_for_hangup:
        raise ScenarioError(f"{where}: a call without steps must set wait_for_hangup = true")


def profile_text(addresses: dict[str, str]) -> str:
    """The suite's profile with each {phone.ID} replaced by that team member's phone address (host:port)."""
    text = PROFILE.read_text(encoding="utf-8")
    missing = sorted({m for m in _PHONE.findall(text) if m not in addresses})
    if missing:
        raise ScenarioError(f"{PROFILE.name}: no phone address for {missing}")
    return _PHONE.sub(lambda m: addresses[m.group(1)], text)


def team_ids() -> list[str]:
    """The team members whose phones the profile names (one loopback phone each)."""
    return sorted(set(_PHONE.findall(PROFILE.read_text(encoding="utf-8"))))


def _has(text: str, fact: str) -> bool:
    return " ".join(fact.lower().split()) in " ".join(text.lower().split())


def _facts(where: str, text: str, has: tuple[str, ...], lacks: tuple[str, ...]) -> list[str]:
    missing = [f"{where} lacks {fact!r}" for fact in has if not _has(text, fact)]
    return missing + [f"{where} says {fact!r}" for fact in lacks if _has(text, fact)]


def check(scenario: Scenario, record: CallRecord) -> list[str]:
    """Every way the call fell short of the scenario (empty: it passed)."""
    if not record.answered:
        found = [] if scenario.outcome == DECLINED else ["the call was not answered"]
        return found + record.problems
    failures = _facts("the greeting", record.greeting, scenario.greeting_has, scenario.greeting_lacks)
    failures += _step_facts(scenario, record)
    everything = " ".join([record.greeting, *record.replies])
    failures += _facts("the call", everything, scenario.reply_has, scenario.reply_lacks)
    failures += _results(scenario, record)
    failures += _non_sequiturs(scenario, record)
    return failures + record.problems


def _non_sequiturs(scenario: Scenario, record: CallRecord) -> list[str]:
    if scenario.category != STATEMENT:
        return []
    said = " ".join(record.replies)
    return [f"{_NON_SEQUITUR}: {fact!r}" for fact in NON_SEQUITURS if _has(said, fact)]


def _step_facts(scenario: Scenario, record: CallRecord) -> list[str]:
    """Each step's facts in the replies to that step; when the call heard more or fewer inputs than there were
    steps (an utterance split in two, one not heard), in any reply after the greeting."""
    aligned = len(record.exchanges) == len(scenario.steps)
    failures = []
    for n, step in enumerate(scenario.steps):
        replies = record.exchanges[n].replies if aligned else record.replies
        where = f"the reply to step {n + 1}" + ("" if aligned else f" (misaligned: {len(record.exchanges)} "
                                                                 f"inputs heard for {len(scenario.steps)} steps)")
        failures += _facts(where, " ".join(replies), step.reply_has, step.reply_lacks)
    return failures


def _results(scenario: Scenario, record: CallRecord) -> list[str]:
    failures = []
    wanted = [scenario.transfer_to] if scenario.transfer_to else []
    if record.transfers[:1] != wanted:
        failures.append(f"transferred to {record.transfers or 'nobody'}, expected {wanted or 'nobody'}")
    if scenario.outcome and record.outcome != scenario.outcome:
        failures.append(f"outcome {record.outcome!r}, expected {scenario.outcome!r}")
    if scenario.interrupted is not None and bool(record.interrupted) != scenario.interrupted:
        failures.append(f"interrupted {record.interrupted} time(s), expected {'some' if scenario.interrupted else 0}")
    return failures + _message(scenario.message, record.messages)


def _message(expected: dict[str, Any] | None, taken: list[dict[str, Any]]) -> list[str]:
    if expected is None:
        return [f"a message was taken: {taken[0]}"] if taken else []
    if not taken:
        return ["no message was taken"]
    last, failures = taken[-1], []
    for key in ("name", "callback_number", "urgency"):
        if key in expected and last.get(key) != expected[key]:
            failures.append(f"message {key} {last.get(key)!r}, expected {expected[key]!r}")
    reason = str(last.get("reason") or "")
    failures += [f"message reason lacks {fact!r}" for fact in expected.get("reason_has", []) if not _has(reason, fact)]
    return failures


def transcript(record: CallRecord) -> str:
    """The call as lines a person reads: who said what, transfers, the message and the outcome."""
    if not record.answered:
        return "  (not answered)"
    lines = [f"  receptionist: {record.greeting}"]
    for exchange in record.exchanges:
        lines.append(f"  caller{' (backchannel)' if exchange.backchannel else ''}: {exchange.said}")
        lines += [f"  receptionist: {reply}" for reply in exchange.replies]
    if record.transfers or record.transfers_failed:
        lines.append(f"  transfers: {record.transfers}, failed: {record.transfers_failed}")
    lines += [f"  message: {m}" for m in record.messages]
    lines += [f"  note: {note}" for note in record.notes]
    lines.append(f"  outcome: {record.outcome}, interrupted: {record.interrupted}")
    return "\n".join(lines)


def summary(results: list[tuple[Scenario, CallRecord, list[str]]], runner: str) -> list[str]:
    """The success rate, then each failing scenario with why and its transcript."""
    passed = [s for s, _, failures in results if not failures]
    pending = [s for s, _, failures in results if failures and s.needs]
    built = [s for s, _, _ in results if not s.needs]
    lines = [f"scenario suite ({runner}): {len(passed)} of {len(results)} pass ({_rate(passed, results)}); "
             f"{len([s for s in passed if not s.needs])} of {len(built)} scenarios of built features pass "
             f"({_rate([s for s in passed if not s.needs], built)}); {len(pending)} fail as not built yet "
             f"({', '.join(sorted({s.needs for s in pending})) or 'none'})"]
    lines += _statement_scores(results)
    for scenario, record, failures in results:
        if failures:
            status = f"not built yet: {scenario.needs}" if scenario.needs else "FAILED"
            lines += [f"- {scenario.id} ({status}): " + "; ".join(failures), transcript(record)]
    return lines


def _statement_scores(results: list[tuple[Scenario, CallRecord, list[str]]]) -> list[str]:
    """The callers who told rather than asked, scored twice: no non-sequitur, and the right next step (every
    other check of the scenario)."""
    told = [failures for s, _, failures in results if s.category == STATEMENT]
    if not told:
        return []
    sequitur = [f for f in told if not any(x.startswith(_NON_SEQUITUR) for x in f)]
    step = [f for f in told if all(x.startswith(_NON_SEQUITUR) for x in f)]
    return [f"statements ({len(told)}): {len(sequitur)} with no non-sequitur ({_rate(sequitur, told)}), "
            f"{len(step)} offer the right next step ({_rate(step, told)})"]


def _rate(part: list[Any], whole: list[Any]) -> str:
    return f"{100 * len(part) / len(whole):.0f} %" if whole else "-"
