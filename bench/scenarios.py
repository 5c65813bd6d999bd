"""The scenario suite over real SIP: each scripted call (tests/scenarios/*.toml) spoken by espeak-ng to a running
appliance with its embedded default models, the team members' phones answering, declining or ringing out on
loopback; then the stored call (turns, outcome, transfer events, destination, message), the REFER the caller got
and the audio the bridged phones exchanged are checked. Prints the success rate and every failure with its
transcript.

    .venv/bin/python -m bench.scenarios                          # all of them (about half an hour on 2 cores)
    .venv/bin/python -m bench.scenarios --only hours --only dtmf-zero --limit 5 --minutes 10

One appliance per moment the scenarios need (its clock starts there, RECEPTIONIST_CLOCK); calls one at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from appliance.clock import CLOCK_ENV
from appliance.reception.screening import DECLINE
from appliance.storage.store import CallStore
from bench.line import CODECS
from tests.e2e.legs import Phone
from tests.e2e.support import ROOT, SCENARIO_VOICE, RunningAppliance, espeak_wav, free_port, start_appliance
from tests.scenarios.scenario import (
    CallRecord,
    Exchange,
    Scenario,
    check,
    load_scenarios,
    profile_text,
    summary,
    team_ids,
)
from tests.scenarios.sip_caller import CALLER_HZ, PHONE_HZ

PHONE_ARGS = {"answer": ["--tone", str(PHONE_HZ), "--detect", str(CALLER_HZ), "--hangup-after", "7"],
              "decline": ["--answer", "603"], "ignore": ["--answer", "180"]}
MIN_TONE_FRAMES = 25  # half a second of the other side's tone: the bridge carries audio that way
MIN_HOLD = 10  # frames of the hold tone (two beeps every 3 s) a caller hears while a team phone rings out
CALL_TIMEOUT_S = 180.0
STORED_TIMEOUT_S = 15.0
Result = tuple[Scenario, CallRecord, list[str]]


@dataclass
class Played:
    """What the caller process and the team member's phone reported about one call."""

    caller: dict[str, Any]
    phone: list[dict[str, Any]] = field(default_factory=list)  # the phone's JSON events, "done" last
    at: float = 0.0  # when the call was placed (wall clock)


class SipSuite:
    """Plays scenarios over real SIP: the team's phones on fixed loopback ports, named in the box's profile."""

    def __init__(self, folder: Path, voice: str = SCENARIO_VOICE, codec: str = "PCMU", beam: int = 0) -> None:
        self.folder, self.voice, self.codec = folder, voice, codec
        self.beam = beam  # [models] whisper_beam of the box (0: its automatic default)
        self.ports = {member: free_port() for member in team_ids()}
        self.profile = blind(profile_text({member: f"127.0.0.1:{port}" for member, port in self.ports.items()}))
        self.logs: list[str] = []  # each appliance's log, once it stopped

    @contextmanager
    def appliance(self, moment: str) -> Iterator[RunningAppliance]:
        """A running appliance whose clock starts at `moment`, with the suite's profile; stopped afterwards."""
        data = Path(tempfile.mkdtemp(prefix="box-", dir=self.folder))
        (data / "business.toml").write_text(self.profile, encoding="utf-8")
        before = os.environ.get(CLOCK_ENV)
        os.environ[CLOCK_ENV] = moment
        try:
            running = start_appliance(data, replace={"whisper_beam = 0": f"whisper_beam = {self.beam}"})
        finally:
            os.environ[CLOCK_ENV] = before or ""
        try:
            yield running
        finally:
            code = running.stop()
            self.logs.append(f"exit code {code}\n{running.log.read_text()}")

    def play(self, box: RunningAppliance, scenario: Scenario) -> Result:
        """Play one scenario; its record (from the box's call store) and its failures."""
        out = self.folder / scenario.id
        out.mkdir(parents=True, exist_ok=True)
        played = self._call(box, scenario, out)
        record = self._record(box, played)
        if scenario.transfer_to and record.answered:
            record.problems += transfer_problems(scenario, played, self._target(scenario.transfer_to))
        return scenario, record, check(scenario, record)

    def _target(self, member: str) -> str:
        return f"127.0.0.1:{self.ports[member]}"

    def _call(self, box: RunningAppliance, scenario: Scenario, out: Path) -> Played:
        phone = None
        if scenario.transfer_to:
            phone = Phone(*PHONE_ARGS[scenario.target_does], "--max-s", "120", identity=scenario.transfer_to,
                          port=self.ports[scenario.transfer_to])
        caller: dict[str, Any] = {}
        at = time.time()
        try:
            caller = place(box.uri(scenario.called), scenario, out, self.voice, self.codec)
        finally:
            events = _finish(phone, bool(caller.get("refers"))) if phone else []
        return Played(caller, events, at)

    def _record(self, box: RunningAppliance, played: Played) -> CallRecord:
        if not played.caller.get("answered"):
            status = played.caller.get("status")
            if status != DECLINE:
                return CallRecord(answered=False, outcome=f"not answered ({status})")
            return CallRecord(answered=False, outcome="declined", problems=declined_logged(box, played.at))
        return stored_record(box, str(played.caller["sip_call_id"]))


def place(uri: str, scenario: Scenario, out: Path, voice: str, codec: str = "PCMU") -> dict[str, Any]:
    """Speak the scenario's steps with the scripted caller (its own process, offering only `codec`) in an
    espeak-ng voice; what it reported."""
    steps = []
    for n, step in enumerate(scenario.steps):
        wav = out / f"step{n + 1}.wav"
        spoken = {"wav": str(espeak_wav(step.voice, wav, voice))} if step.text else {"keys": step.keys}
        steps.append(spoken | {"over_reply_s": step.over_reply_s})
    plan = {"uri": uri, "identity": scenario.caller_id, "out": str(out), "steps": steps, "rtp_port": free_port(),
            "codec": codec,
            "expect_transfer": bool(scenario.transfer_to), "wait_hangup_s": 35.0 if scenario.wait_for_hangup else 2.0}
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    done = subprocess.run([sys.executable, "-m", "tests.scenarios.sip_caller", str(out / "plan.json")],
                          capture_output=True, text=True, timeout=CALL_TIMEOUT_S, cwd=ROOT,
                          env=dict(os.environ, PYTHONUNBUFFERED="1"), check=False)
    (out / "caller.log").write_text(done.stderr)
    if done.returncode != 0:
        return {"answered": False, "status": f"caller exited {done.returncode}"}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _finish(phone: Phone, called: bool) -> list[dict[str, Any]]:
    """The phone's events once it is done (it ends after its call, if the box was asked to call it), or as they
    stand."""
    with suppress(AssertionError):
        phone.wait("done", timeout=10 if called else 0.5)
    phone.kill()
    return list(phone.events)


def declined_logged(box: RunningAppliance, since: float) -> list[str]:
    """What is wrong with the record of a call refused with 603 since `since`: it must be stored as blocked."""
    store = CallStore(box.data_dir / "receptionist.db")
    try:
        deadline = time.monotonic() + STORED_TIMEOUT_S
        while not (rows := [r for r in store.recent_calls(50) if r["started_at"] >= since - 1]):
            if time.monotonic() > deadline:
                return ["the box stored no record of the refused call"]
            time.sleep(0.2)
    finally:
        store.close()
    outcomes = [r["outcome"] for r in rows]
    return [] if outcomes == ["blocked"] else [f"the refused call was stored as {outcomes}"]


def stored_record(box: RunningAppliance, sip_call_id: str) -> CallRecord:
    """What the box stored about a call (found by its SIP Call-ID), once the call log has closed it."""
    store = CallStore(box.data_dir / "receptionist.db")
    try:
        deadline = time.monotonic() + STORED_TIMEOUT_S
        while True:
            rows = [r for r in store.recent_calls(50) if r["sip_call_id"] == sip_call_id]
            if (rows and rows[0]["outcome"] != "in-progress") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if not rows:
            return CallRecord(problems=[f"the box stored no call with SIP Call-ID {sip_call_id}"])
        call = store.call(str(rows[0]["id"]))
        messages = [m for m in store.messages(str(call["contact_id"])) if m["call_id"] == call["id"]]
    finally:
        store.close()
    return record_of_stored(call, messages)


def record_of_stored(call: dict[str, Any], messages: list[dict[str, Any]]) -> CallRecord:
    """A stored call as the suite's record: its turns in order, keys pressed placed by time, its events."""
    fields = ("name", "callback_number", "reason", "urgency")
    record = CallRecord(outcome=str(call["outcome"]), messages=[{k: m[k] for k in fields} for m in messages])
    keys = [e for e in call["events"] if e["kind"] == "dtmf"]
    for turn in call["turns"]:
        while keys and keys[0]["at_s"] <= (turn["start_s"] or 0.0):
            record.exchanges.append(Exchange(f"[keys {json.loads(keys.pop(0)['data'])['digit']}]"))
        if turn["speaker"] == "caller":
            record.exchanges.append(Exchange(str(turn["text"])))
        elif record.exchanges:
            record.exchanges[-1].replies.append(str(turn["text"]))
        else:
            record.greeting = f"{record.greeting} {turn['text']}".strip()
    record.exchanges += [Exchange(f"[keys {json.loads(e['data'])['digit']}]") for e in keys]
    for event in call["events"]:
        data = json.loads(event["data"])
        if event["kind"] == "transfer":
            record.transfers.append(data["member"])
        elif event["kind"] == "transfer-failed":
            record.transfers_failed.append(data["member"])
        elif event["kind"] == "interrupted":
            record.interrupted += 1
    if call.get("destination"):
        record.notes.append(f"destination {call['destination']}")
    return record


def transfer_problems(scenario: Scenario, played: Played, target: str) -> list[str]:
    """What the caller and the team member's phone actually got: the REFER, the call, the bridged audio."""
    refers, problems = played.caller.get("refers", []), []
    if not any(target in refer for refer in refers):
        problems.append(f"the caller got no REFER to {target} (got {refers})")
    phone = {e["event"]: e for e in played.phone}
    if "incoming" not in phone:
        return [*problems, f"{scenario.transfer_to}'s phone was never called"]
    transfers = played.caller.get("transfers", [])
    if scenario.target_does == "ignore" and max((t["hold_tone_frames"] for t in transfers), default=0) < MIN_HOLD:
        problems.append("the caller heard no hold tone while the team phone rang")
    if scenario.target_does != "answer":
        return problems
    heard_phone = max((t["phone_tone_frames"] for t in transfers), default=0)
    heard_caller = max((c.get(str(int(CALLER_HZ)), 0) for c in phone.get("done", {}).get("heard", {}).values()),
                       default=0)
    if heard_phone < MIN_TONE_FRAMES:
        problems.append(f"the caller heard {heard_phone} frames of the team phone through the bridge")
    if heard_caller < MIN_TONE_FRAMES:
        problems.append(f"the team phone heard {heard_caller} frames of the caller through the bridge")
    return problems


def run_suite(suite: SipSuite, scenarios: list[Scenario], minutes: float) -> tuple[list[Result], list[Scenario]]:
    """Play scenarios grouped by moment (one appliance each) until the time budget is spent; what was played and
    what was left."""
    results: list[Result] = []
    left: list[Scenario] = []
    deadline = time.monotonic() + minutes * 60
    for moment, group in groupby(sorted(scenarios, key=lambda s: s.at), key=lambda s: s.at):
        todo = list(group)
        if time.monotonic() > deadline:
            left += todo
            continue
        with suite.appliance(moment) as box:
            for scenario in todo:
                if time.monotonic() > deadline:
                    left.append(scenario)
                    continue
                started = time.monotonic()
                results.append(suite.play(box, scenario))
                print(f"{scenario.id}: {'pass' if not results[-1][2] else 'FAIL'} ({time.monotonic() - started:.0f} s)",
                      flush=True)
    return results, left


def blind(profile: str) -> str:
    """The suite's profile with every team member transferred blind: this runner checks the REFER the caller
    gets and the bridged audio of the box's fallback call. Warm transfers (the team's default) are checked over
    SIP by tests/e2e/test_warm_transfer.py, and their scenarios by the fast runner."""
    return re.sub(r'^(\s*target = "[^"]*")$', r'\1\n  transfer = "blind"', profile, flags=re.MULTILINE)


def select(scenarios: list[Scenario], only: list[str], limit: int) -> list[Scenario]:
    """The scenarios whose id or category is named (all when none is), at most `limit` of them; warm-transfer
    scenarios are the fast runner's (see `blind`)."""
    chosen = [s for s in scenarios if (not only or s.id in only or s.category in only)
              and s.category != "warm-transfer"]
    return chosen[:limit] if limit else chosen


def main(argv: list[str] | None = None) -> int:
    """Play the suite over real SIP and print the success rate and every failure with its transcript."""
    parser = argparse.ArgumentParser(prog="python -m bench.scenarios", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="a scenario id or category (repeatable)")
    parser.add_argument("--limit", type=int, default=0, help="play at most N scenarios")
    parser.add_argument("--minutes", type=float, default=45.0, help="stop starting calls after this long")
    parser.add_argument("--out", type=Path, default=None, help="keep WAVs, plans and appliance logs here")
    parser.add_argument("--voice", default=SCENARIO_VOICE, help=f"the callers' espeak-ng voice ({SCENARIO_VOICE})")
    parser.add_argument("--beam", type=int, default=0, help="the box's [models] whisper_beam (0: automatic)")
    parser.add_argument("--codec", choices=CODECS, default="PCMU",
                        help="what the callers' phones offer: PCMU (as a trunk) or G722 (as a LAN desk phone)")
    args = parser.parse_args(argv)
    scenarios = select(load_scenarios(), args.only, args.limit)
    folder = args.out or Path(tempfile.mkdtemp(prefix="scenarios-sip-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results, left = run_suite(SipSuite(folder, args.voice, args.codec, args.beam), scenarios, args.minutes)
    print("\n".join(summary(results, f"real SIP, espeak-ng callers ({args.voice}) over {args.codec}, embedded "
                                     "default models")))
    if left:
        print(f"not played (time budget): {', '.join(s.id for s in left)}")
    print(f"{len(results)} calls in {(time.monotonic() - started) / 60:.1f} minutes; files in {folder}")
    return 0 if all(not failures for _, _, failures in results) else 1


if __name__ == "__main__":
    sys.exit(main())
