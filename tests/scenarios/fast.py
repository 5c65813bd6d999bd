"""The fast runner: plays a scenario through the real conversation code in this process.

Real: `CallRun`, the receptionist's policy, the profile loader (the suite's two-brand profile), brand selection,
the blocked-caller screen (`Switchboard.screen`), turn-taking (`Listening`) and the embedded LLM (SmolLM2, the
same shared model `receptionist simulate` loads). Fake: speech recognition (the caller's words come typed, or,
for steps said over a reply, as tone frames that "transcribe" to the step's text) and the voice (100 ms of tone
per sentence, played out much faster than real time). The line records transfers and answers each one as the
scenario's team member would: answered and bridged, declined (603), or not answered (408).
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import cast

import numpy as np

from appliance.bus import EventBus
from appliance.call.audio import Pcm
from appliance.call.context import RunContext, build_context
from appliance.call.engines import Engines
from appliance.call.events import (
    Backchannel,
    CallEnded,
    CallEvent,
    CallStarted,
    DtmfPressed,
    Interrupted,
    MessageTaken,
    Outcome,
    Speaker,
    TransferFailed,
    Transferring,
    TurnSpoken,
)
from appliance.call.inputs import (
    AudioIn,
    CallerText,
    CallInput,
    Inputs,
    KeyPressed,
    LegAnswered,
    LegFailed,
    LegKey,
    LineClosed,
    TransferResult,
)
from appliance.call.run import CallRun
from appliance.clock import Clock, parse_moment
from appliance.config import CallSettings, Settings
from appliance.reception.profile import Profile, load_profiles
from appliance.switchboard import Switchboard
from models import ChatModel, Synthesizer, Transcriber, shared_registry
from sip.media import FRAME_SAMPLES, FrameQueue
from tests.scenarios.scenario import DECLINED, CallRecord, Exchange, Scenario, Step, profile_text, team_ids

ANSWERS = {"answer": TransferResult(True, 200, "bridged"), "decline": TransferResult(False, 603),
           "ignore": TransferResult(False, 408)}
SETTLE_S = 0.08  # no new event for this long after a reply: the receptionist is done with the step
REPLY_TIMEOUT_S = 30.0  # the LLM on a busy 2-core box
OVER_REPLY_WAIT_S = 3.0  # a step said over a reply may rightly get no reply of its own (a backchannel)
END_TIMEOUT_S = 30.0
SILENT_CALL_NO_INPUT_S = 0.4  # calls where the caller says nothing: the no-input clock, shortened
VOICE = (np.sin(np.arange(FRAME_SAMPLES) / 3) * 8000).astype("<i2").tobytes()
QUIET = bytes(FRAME_SAMPLES * 2)
SECONDS_PER_CHARACTER = 0.06  # espeak-ng at 150 words a minute, roughly


class TypedEngines(Engines):
    """The real LLM; speech recognition hears the words the scenario gives; the voice is a short tone."""

    def __init__(self, chat: ChatModel) -> None:
        super().__init__(cast(Transcriber, None), chat, cast(Synthesizer, None))
        self.hearing = ""

    async def transcribe(self, pcm: Pcm, prompt: str | None = None, terms: frozenset[str] = frozenset()) -> str:
        """The words of the step being said."""
        return self.hearing

    async def synthesize(self, text: str, rate: int = 16000) -> Pcm:
        """100 ms of tone per sentence."""
        return np.full(rate // 10, 1000, dtype=np.int16)


DECLINE_STATUS = 603


class ScenarioLeg:
    """The team member's phone during a warm transfer: it hears the brief."""

    def __init__(self) -> None:
        self.heard = 0

    def extend(self, frames: list[bytes]) -> None:
        self.heard += len(frames)

    def clear(self) -> int:
        return 0

    def __len__(self) -> int:
        return 0

    def hang_up(self) -> None:
        """Declined: the box hangs up the team member's phone."""


class ScenarioLine:
    """The call-control port of a played call: hang-ups close the line; transfers are answered as scripted."""

    def __init__(self, inputs: Inputs, answer: TransferResult) -> None:
        self.inputs, self.answer, self.playout = inputs, answer, FrameQueue()
        self.paused = False  # the caller is "still hearing" the reply: frames stay queued

    def hang_up(self) -> None:
        """The receptionist hung up."""
        self.inputs.put_nowait(LineClosed("receptionist hung up"))

    def transfer(self, target: str) -> None:
        """The team member's phone answers (bridged), declines or rings out."""
        self.inputs.put_nowait(self.answer)

    def ring(self, target: str, ring_timeout_s: float) -> str:
        """A warm transfer: the team member answers and presses 1, answers and presses 2, or rings out."""
        if self.answer.ok:
            self.inputs.put_nowait(LegAnswered(ScenarioLeg()))
            self.inputs.put_nowait(LegKey("1"))
        elif self.answer.status == DECLINE_STATUS:
            self.inputs.put_nowait(LegAnswered(ScenarioLeg()))
            self.inputs.put_nowait(LegKey("2"))
        else:
            self.inputs.put_nowait(LegFailed(self.answer.status))
        return "leg"

    def join(self, leg_key: str) -> None:
        """The caller and the team member are joined: the receptionist has left."""

    def extend(self, frames: list[bytes]) -> None:
        """Queue the reply's frames."""
        self.playout.extend(frames)

    def clear(self) -> int:
        """The caller barged in."""
        return self.playout.clear()

    def __len__(self) -> int:
        return len(self.playout)

    async def play(self) -> None:
        """Play queued frames much faster than real time, unless paused."""
        while True:
            if not self.paused:
                self.playout.pop()
            await asyncio.sleep(0.0005)


@dataclasses.dataclass
class _Call:
    """One played call: its run, inputs, line and the events it emitted."""

    run: CallRun
    inputs: Inputs
    line: ScenarioLine
    events: list[CallEvent]
    task: asyncio.Task[Outcome] | None = None

    def answered(self, since: int | None) -> bool:
        """Whether the receptionist replied to an input the caller gave after event `since` (None: greeted)."""
        heard = since is None
        for event in self.events[since or 0:]:
            if isinstance(event, DtmfPressed | Backchannel) or (isinstance(event, TurnSpoken)
                                                                 and event.speaker is Speaker.CALLER):
                heard = True
            elif heard and isinstance(event, TurnSpoken):
                return True
        return False

    @property
    def ended(self) -> bool:
        return self.task is not None and self.task.done()


class FastRunner:
    """Plays scenarios one after another on its own event loop, sharing the models and the brands' contexts."""

    def __init__(self) -> None:
        self.profile = self.load_profile()
        self.settings = Settings()
        self.loop = asyncio.new_event_loop()
        self.engines = TypedEngines(shared_registry().chat(None))
        self.contexts = {brand.id: self.loop.run_until_complete(build_context(self.settings, self.engines, brand))
                         for brand in self.profile.brands}

    @staticmethod
    def load_profile() -> Profile:
        """The suite's profile as the appliance loads it (the phones' addresses do not matter here)."""
        with tempfile.TemporaryDirectory(prefix="scenarios-") as folder:
            path = Path(folder) / "profile.toml"
            path.write_text(profile_text({member: "127.0.0.1:5999" for member in team_ids()}), encoding="utf-8")
            return load_profiles(path)

    def close(self) -> None:
        """Close the runner's event loop."""
        self.loop.close()

    def play(self, scenario: Scenario) -> CallRecord:
        """Play one scenario and return what the call did."""
        return self.loop.run_until_complete(self._play(scenario))

    def context(self, scenario: Scenario) -> RunContext:
        """The run context of the brand the scenario calls, at the scenario's moment."""
        ctx = self.contexts[self.profile.brand_for(scenario.called).id]
        call = self.settings.call
        if not scenario.steps:
            call = CallSettings.model_construct(**(call.model_dump() | {"no_input_timeout_s": SILENT_CALL_NO_INPUT_S}))
        return dataclasses.replace(ctx, clock=Clock(parse_moment(scenario.at)), call=call)

    async def _play(self, scenario: Scenario) -> CallRecord:
        ctx = self.context(scenario)
        bus, published = EventBus(), []
        bus.subscribe(lambda _call, event: published.append(event), backlog=None)
        board = Switchboard(lambda called: ctx, bus, self.loop)
        if board.screen(scenario.caller_id, scenario.called, "scenario"):
            await asyncio.sleep(0)  # the declined call's record is published on the loop
            await asyncio.to_thread(bus.close)
            logged = [e.outcome.value for e in published if isinstance(e, CallEnded)]
            return CallRecord(answered=False, outcome=DECLINED,
                              problems=[] if logged == ["blocked"] else [f"the refused call was logged as {logged}"])
        bus.close()
        inputs: Inputs = asyncio.Queue()
        line = ScenarioLine(inputs, ANSWERS[scenario.target_does])
        events: list[CallEvent] = []
        started = CallStarted("scenario", scenario.caller_id, scenario.called, time.time(), codec="L16/16000",
                              brand=ctx.profile.id)
        call = _Call(CallRun(ctx, started, line, events.append), inputs, line, events)
        player = asyncio.ensure_future(line.play())
        call.task = asyncio.ensure_future(call.run.run(inputs))
        problems = []
        try:
            await self._drive(call, scenario)
            await asyncio.wait_for(call.task, END_TIMEOUT_S)  # cancels the run if it does not end
        except TimeoutError:
            problems.append(f"the call did not end within {END_TIMEOUT_S:.0f} s of the last step")
        finally:
            player.cancel()
        record = record_of(events)
        record.problems += problems
        return record

    async def _drive(self, call: _Call, scenario: Scenario) -> None:
        steps = scenario.steps
        call.line.paused = bool(steps) and steps[0].over_reply_s is not None
        await _reply(call, None, over_next=call.line.paused)
        for n, step in enumerate(steps):
            if call.ended:
                return
            over_next = n + 1 < len(steps) and steps[n + 1].over_reply_s is not None
            before = len(call.events)
            if step.over_reply_s is not None or over_next:
                # A typed turn holds the run until its reply is played, so a reply the next step is said over
                # must answer words heard as audio.
                await self._say(call, step, pause=over_next)
            else:
                said: list[CallInput] = [KeyPressed(d) for d in step.keys] or [CallerText(step.text)]
                for item in said:
                    call.inputs.put_nowait(item)
            await _reply(call, before, over_next=over_next, wait=OVER_REPLY_WAIT_S if step.over_reply_s else None)
        if not scenario.wait_for_hangup and not call.ended:
            call.inputs.put_nowait(LineClosed("caller hung up"))

    async def _say(self, call: _Call, step: Step, *, pause: bool) -> None:
        """Speak a step as audio (over the reply still queued, when it is said over it), then let the line play
        on, or keep the next reply queued when the next step is said over it."""
        self.engines.hearing = step.text
        voiced = max(15, round(len(step.text) * SECONDS_PER_CHARACTER * 50))
        for frame in [VOICE] * voiced + [QUIET] * 30:
            call.inputs.put_nowait(AudioIn(frame))
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while call.inputs.qsize() and not call.ended and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.01)
        call.line.paused = pause


async def _reply(call: _Call, since: int | None, *, over_next: bool, wait: float | None = None) -> None:
    """Wait for the receptionist's reply: queued (the next step is said over it) or spoken and settled."""
    deadline = time.monotonic() + (wait or REPLY_TIMEOUT_S)
    while not call.ended and time.monotonic() < deadline:
        if over_next and len(call.line) > 0:
            return
        if not over_next and call.answered(since):
            break
        await asyncio.sleep(0.005)
    seen = -1
    while not call.ended and (seen != len(call.events) or len(call.line)):
        seen = len(call.events)
        await asyncio.sleep(SETTLE_S)


def record_of(events: list[CallEvent]) -> CallRecord:
    """What a call did, from its run's events in the order they were emitted."""
    record = CallRecord()
    for event in events:
        if isinstance(event, TurnSpoken):
            _turn(record, event)
        elif isinstance(event, DtmfPressed):
            record.exchanges.append(Exchange(f"[keys {event.digit}]"))
        elif isinstance(event, Backchannel):
            record.exchanges.append(Exchange(event.text, backchannel=True))
        elif isinstance(event, Transferring):
            record.transfers.append(event.member)
        elif isinstance(event, TransferFailed):
            record.transfers_failed.append(event.member)
        elif isinstance(event, MessageTaken):
            record.messages.append({"name": event.name, "callback_number": event.callback_number,
                                    "reason": event.reason, "urgency": event.urgency})
        elif isinstance(event, Interrupted):
            record.interrupted += 1
        elif isinstance(event, CallEnded):
            record.outcome = event.outcome.value
    return record


def _turn(record: CallRecord, turn: TurnSpoken) -> None:
    turns = [exchange for exchange in record.exchanges if not exchange.backchannel]
    if turn.speaker is Speaker.CALLER:
        record.exchanges.append(Exchange(turn.text))
    elif turns:
        turns[-1].replies.append(turn.text)
    elif not record.greeting:
        record.greeting = turn.text
    else:  # said before any caller input, after the greeting (a cut greeting's rest): part of the greeting
        record.greeting = f"{record.greeting} {turn.text}"

