"""The scenario suite heard offline: each step the real-SIP runner would speak goes through espeak-ng, G.711
mu-law at 8 kHz and the appliance's turn detector into the real speech-to-text with the brand's vocabulary
(bench/line.py), and the receptionist's policy decides on what was heard, next to what it decides on the words
as typed. Seconds per utterance instead of a half-hour SIP run.

    python -m bench.hearing                      # every spoken step: transcript, policy, summary
    python -m bench.hearing --play               # also play each scenario in the fast runner with the heard words
    python -m bench.hearing --only transfer-name --save heard.json   # --load heard.json: only new steps are heard
    python -m bench.hearing --plain              # every turn ended by the 500 ms window, not by its words
    python -m bench.hearing --whisper data/models/small/whisper-base   # another speech-to-text model
    python -m bench.hearing --beam 5             # five guesses, weighed with the business words
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from appliance.call.context import business_terms, vocabulary
from appliance.call.turns import TurnConfig
from appliance.clock import parse_moment
from appliance.config import ModelSettings
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.plan import DICTATION
from appliance.reception.profile import Profile
from appliance.reception.wording import words
from bench.line import CODECS, heard_turns
from models import Transcriber, shared_registry
from tests.e2e.support import SCENARIO_VOICE
from tests.scenarios.scenario import Scenario, check, load_scenarios, summary


@dataclass
class Heard:
    """One spoken step: what was said, what the appliance heard (one text per turn it cut), what the policy did
    with each."""

    scenario: str
    said: str
    heard: list[str]
    seconds: float = 0.0
    typed_does: str = ""
    heard_does: str = ""

    @property
    def text(self) -> str:
        """The heard turns as one text."""
        return " ".join(self.heard).strip()

    @property
    def exact(self) -> bool:
        """Whether every word was heard (case, punctuation and digit grouping aside)."""
        return _norm(self.said) == _norm(self.text)

    @property
    def agrees(self) -> bool:
        """Whether the policy does the same with the heard words as with the typed ones."""
        return self.typed_does == self.heard_does


def _norm(text: str) -> list[str]:
    """Words with runs of digits joined ('5 5 5' and '555' alike), numbers as digits."""
    out: list[str] = []
    for word in words(text.replace("-", " ")):
        if word.isdigit() and out and out[-1].isdigit():
            out[-1] += word
        else:
            out.append(word)
    return out


def hear(transcriber: Transcriber, text: str, vocabulary: tuple[str, frozenset[str]], config: TurnConfig,
         patient: bool, *, voice: str, codec: str) -> tuple[list[str], float]:
    """The turns the appliance hears when an espeak-ng caller says text, and the seconds spent transcribing."""
    spent = 0.0

    def transcribe(pcm: np.ndarray) -> str:
        nonlocal spent
        started = time.monotonic()
        prompt, terms = vocabulary
        text = transcriber.transcribe(pcm.astype(np.float32) / 32768.0, initial_prompt=prompt, terms=terms)
        spent += time.monotonic() - started
        return text

    return heard_turns(text, transcribe, config, patient, voice, codec=codec), spent


def hear_all(scenarios: list[Scenario], profile: Profile, config: TurnConfig, voice: str = SCENARIO_VOICE,
             whisper: Path | None = None, *, codec: str = "PCMU", beam: int = ModelSettings().whisper_beam,
             known: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Each distinct spoken step's heard turns, keyed by brand and words (and whether the caller dictates then,
    as the conversation on the typed words says); steps in `known` (an earlier run's) are not heard again."""
    transcriber: Transcriber | None = None  # loaded for the first step not known
    found: dict[str, list[str]] = dict(known or {})
    for scenario in scenarios:
        brand = profile.brand_for(scenario.called)
        for step, patient in zip(scenario.steps, dictating(scenario, profile), strict=True):
            key = _key(brand.id, step.voice)
            if step.text and key not in found:
                transcriber = transcriber or shared_registry().transcriber(whisper, beam_size=beam)
                words = (vocabulary(brand), business_terms(brand))
                found[key], seconds = hear(transcriber, step.voice, words, config, patient, voice=voice, codec=codec)
                print(f"  {seconds:4.1f} s  {step.voice!r} -> {' | '.join(found[key])!r}", flush=True)
    return found


def dictating(scenario: Scenario, profile: Profile) -> list[bool]:
    """For each step, whether the receptionist is then waiting for a message or a number (typed words)."""
    conversation = _conversation(scenario, profile)
    found = []
    for step in scenario.steps:
        found.append(conversation.expect in DICTATION)
        for digit in step.keys:
            conversation.pressed(digit, parse_moment(scenario.at))
        if step.text:
            does(conversation, step.text, scenario)
    return found


def _conversation(scenario: Scenario, profile: Profile) -> Conversation:
    brand = profile.brand_for(scenario.called)
    rules = Rules(brand, max_call_s=600, no_input_timeout_s=30, clock=lambda: parse_moment(scenario.at))
    conversation = Conversation(rules, scenario.caller_id, 0.0)
    conversation.greeting(parse_moment(scenario.at))
    return conversation


def _key(brand: str, voice: str) -> str:
    return f"{brand}: {voice}"


def does(conversation: Conversation, text: str, scenario: Scenario) -> str:
    """What the receptionist does with these words at this point of the call: the reply's intent, whom it puts
    through to, the message it takes (its name and number)."""
    when = parse_moment(scenario.at)
    taken = conversation.heard(text, 0.0)
    plan = conversation.plan(text, when)
    label = plan.intent.value + (f" -> {plan.transfer_to.id}" if plan.transfer_to else "")
    if taken is not None:
        label += f" + message({taken.name}, {taken.callback_number}, {taken.urgency})"
    return label


def compare(scenario: Scenario, profile: Profile, heard: dict[str, list[str]]) -> list[Heard]:
    """Each spoken step of a scenario: what the policy does with the typed and with the heard words, the
    conversation carried on with the typed ones."""
    brand = profile.brand_for(scenario.called)
    conversation = _conversation(scenario, profile)
    found: list[Heard] = []
    for step in scenario.steps:
        if step.keys:
            for digit in step.keys:
                conversation.pressed(digit, parse_moment(scenario.at))
            continue
        item = Heard(scenario.id, step.voice, heard[_key(brand.id, step.voice)])
        item.heard_does = does(copy.deepcopy(conversation), item.text, scenario)
        item.typed_does = does(conversation, step.text, scenario)
        found.append(item)
    return found


def transfers(item: Heard) -> tuple[str, str]:
    """Whom the typed and the heard words put the caller through to ('' for nobody)."""
    typed, heard = (label.partition(" -> ")[2].split(" ")[0] for label in (item.typed_does, item.heard_does))
    return typed, heard


def report(items: list[Heard]) -> list[str]:
    """Each step that was not heard exactly or not acted on alike, then the figures."""
    lines = []
    for item in items:
        if not (item.exact and item.agrees):
            mark = "ok " if item.agrees else "BAD"
            lines.append(f"{mark} {item.scenario}: {item.said!r}\n      heard {' | '.join(item.heard)!r}")
            if not item.agrees:
                lines.append(f"      typed: {item.typed_does}\n      heard: {item.heard_does}")
    false = [i for i in items if transfers(i)[1] and transfers(i)[0] != transfers(i)[1]]
    missed = [i for i in items if transfers(i)[0] and not transfers(i)[1]]
    total = len(items) or 1
    lines.append(
        f"hearing: {sum(i.exact for i in items)} of {len(items)} steps heard exactly "
        f"({100 * sum(i.exact for i in items) / total:.0f} %); the policy does the same as for the typed words in "
        f"{sum(i.agrees for i in items)} ({100 * sum(i.agrees for i in items) / total:.0f} %); "
        f"transfers missed {len(missed)}, wrong or false {len(false)}"
        + (f" ({', '.join(i.scenario for i in false)})" if false else "")
    )
    return lines


def play(scenarios: list[Scenario], profile: Profile, heard: dict[str, list[str]]) -> list[str]:
    """Play each scenario in the fast runner with the heard words in place of the typed ones."""
    from tests.scenarios.fast import FastRunner  # noqa: PLC0415 - loads the LLM; only for --play

    runner = FastRunner()
    results = []
    try:
        for scenario in [s for s in scenarios if s.category != "warm-transfer"]:  # as bench.scenarios selects
            brand = profile.brand_for(scenario.called).id
            steps = tuple(replace(s, text=" ".join(heard[_key(brand, s.voice)]) or "") if s.text else s
                          for s in scenario.steps)
            played = replace(scenario, steps=steps)
            record = runner.play(played)
            results.append((played, record, check(played, record)))
    finally:
        runner.close()
    return summary(results, "fast runner, words heard through espeak-ng, the line and the speech-to-text")


def main(argv: list[str] | None = None) -> int:
    """Hear the suite's spoken steps and print what was heard, what the policy did, and the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.hearing", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a scenario id or category (repeatable)")
    parser.add_argument("--play", action="store_true", help="also play the scenarios with the heard words")
    parser.add_argument("--plain", action="store_true", help="end every turn by the 500 ms window alone")
    parser.add_argument("--save", type=Path, help="write what was heard to this JSON file")
    parser.add_argument("--voice", default=SCENARIO_VOICE, help=f"the callers' espeak-ng voice ({SCENARIO_VOICE})")
    parser.add_argument("--whisper", type=Path, help="a faster-whisper model folder (default: the embedded one)")
    parser.add_argument("--beam", type=int, default=ModelSettings().whisper_beam,
                        help="the speech-to-text's beam ([models] whisper_beam; 0: automatic, 1: greedy)")
    parser.add_argument("--load", type=Path, help="use what a --save run heard; hear only the steps it lacks")
    parser.add_argument("--codec", choices=CODECS, default="PCMU",
                        help="the line: PCMU (as a trunk) or G722 (as a LAN desk phone)")
    args = parser.parse_args(argv)
    from tests.scenarios.fast import FastRunner  # noqa: PLC0415 - the suite's profile, as the runners load it

    profile = FastRunner.load_profile()
    scenarios = [s for s in load_scenarios() if not args.only or s.id in args.only or s.category in args.only]
    spoken = [s for s in scenarios if any(step.text for step in s.steps)]
    config = TurnConfig(finished_after_ms=500, unfinished_window_ms=500) if args.plain else TurnConfig()
    known = json.loads(args.load.read_text()) if args.load else None
    heard = hear_all(spoken, profile, config, args.voice, args.whisper, codec=args.codec, beam=args.beam,
                     known=known)
    if args.save:
        args.save.write_text(json.dumps(heard, indent=1))
    items = [item for scenario in spoken for item in compare(scenario, profile, heard)]
    print("\n".join(report(items)))
    if args.play:
        print("\n".join(play(scenarios, profile, heard)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
