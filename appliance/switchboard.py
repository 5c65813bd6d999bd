"""Connects the SIP endpoint to call runs: one record per line, PJSIP callbacks only enqueue, runs live on the
asyncio loop, and every call event goes out on the event bus (the call log is one of its subscribers)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appliance.bus import EventBus
from appliance.call.context import RunContext
from appliance.call.control import CallControl
from appliance.call.events import CallEnded, CallStarted, Outcome, Recorded
from appliance.call.inputs import (
    AudioIn,
    CallInput,
    Inputs,
    KeyPressed,
    LegAnswered,
    LegAudio,
    LegEnded,
    LegFailed,
    LegKey,
    LineClosed,
    Shutdown,
    TransferResult,
)
from appliance.call.recorder import CallRecorder
from appliance.call.returning import KnownName
from appliance.call.run import CallRun
from appliance.errors import NotFoundError
from appliance.reception.screening import DECLINE, is_blocked
from sip.control import LineControl
from sip.events import CallInfo, TransferHow
from sip.media import FrameQueue

_LOGGER = logging.getLogger(__name__)


@dataclass
class _Line:
    """One answered call: its details under one call id, its inputs, its control port, its recorder."""

    started: CallStarted
    inputs: Inputs
    control: CallControl
    recorder: CallRecorder | None
    ctx: RunContext  # the brand answering this call
    playout: FrameQueue | None = None  # what the caller hears (its recent frames: the echo guard's reference)


class _LineWithLegs:
    """A line's control port as a run sees it: ringing a team member registers the leg with the switchboard
    first, so the leg's events reach this call's run."""

    def __init__(self, line: LineControl, claim: Callable[[str], None]) -> None:
        self._line, self._claim = line, claim

    def hang_up(self) -> None:
        self._line.hang_up()

    def transfer(self, target: str) -> None:
        self._line.transfer(target)

    def ring(self, target: str, ring_timeout_s: float) -> str:
        return self._line.ring(target, ring_timeout_s, self._claim)

    def join(self, leg_key: str) -> None:
        self._line.join(leg_key)

    def extend(self, frames: list[bytes]) -> None:
        self._line.extend(frames)

    def clear(self) -> int:
        return self._line.clear()

    def __len__(self) -> int:
        return len(self._line)


def _identities(dialled: str, called: str) -> tuple[str, ...]:
    """How a call names the line it reached, in order of preference: its request URI's user part, then its To
    header's (a PBX or trunk may rewrite one of them; a brand may claim either)."""
    return tuple(name for name in (dialled, called) if name)


def _line_called(ctx: RunContext, dialled: str, called: str) -> str:
    """The called number or user part a call is stored with: the one that picked its brand (the request URI's
    when a PBX kept the dialled number there), else the To header's."""
    return next((n for n in _identities(dialled, called) if ctx.profile.answers(n, ctx.default_region)), called)


class Switchboard:
    """A SipListener that starts one CallRun per answered call and publishes its events."""

    def __init__(self, pick: Callable[[Sequence[str]], RunContext], bus: EventBus, loop: asyncio.AbstractEventLoop,
                 known_name: KnownName | None = None) -> None:
        self.pick, self.bus, self.loop = pick, bus, loop  # pick: the run context of the brand a number reaches
        self.known_name = known_name  # a returning caller's stored name (called in a thread by the run)
        self.closing = False  # set before the endpoint hangs up every call at shutdown
        self._lines: dict[str, _Line] = {}  # by the endpoint's key; PJSIP threads add and remove
        self._legs: dict[str, _Line] = {}  # a warm transfer's leg key -> the caller's line
        self.runs: dict[str, asyncio.Task[None]] = {}  # by call id; on the loop
        self._controls: dict[str, CallControl] = {}  # by call id; on the loop

    # --- SipListener: these run on PJSIP threads ---

    def on_call_started(self, call: CallInfo) -> None:
        """Give the call an id, its input queue and (when recording is on) a recorder; start its run."""
        ctx = self.pick(_identities(call.dialled, call.called))
        called = _line_called(ctx, call.dialled, call.called)
        started = CallStarted(uuid.uuid4().hex, call.caller_number, called, time.time(), call.caller_name,
                              call.source, call.codec, call.sip_call_id, ctx.profile.id)
        recorder = CallRecorder() if ctx.profile.recording.enabled else None
        if recorder is not None:
            call.control.playout.sent_log = recorder.sent
        line = _Line(started, asyncio.Queue(), call.control, recorder, ctx, call.control.playout)
        line.control = _LineWithLegs(call.control, lambda leg: self._legs.__setitem__(leg, line))
        self._lines[call.key] = line
        self.loop.call_soon_threadsafe(self._start, line)

    def screen(self, caller_number: str, called: str, sip_call_id: str = "", dialled: str = "") -> int:
        """Before answering: 603 Decline for a caller the brand blocks with 'decline' (the call is still logged,
        as blocked), else 0 (answer)."""
        ctx = self.pick(_identities(dialled, called))
        profile = ctx.profile
        if profile.blocked_action != "decline" or not is_blocked(profile, caller_number, ctx.default_region):
            return 0
        started = CallStarted(uuid.uuid4().hex, caller_number, _line_called(ctx, dialled, called), time.time(),
                              sip_call_id=sip_call_id, brand=profile.id, answered=False)
        self.loop.call_soon_threadsafe(self._declined, started)
        return DECLINE

    def on_audio(self, key: str, frame: bytes) -> None:
        """Hand one caller frame to the run."""
        if (line := self._lines.get(key)) is not None:
            self._put(line, AudioIn(frame, tuple(line.playout.recent) if line.playout is not None else ()))
            if line.recorder is not None:
                line.recorder.received.append(frame)
        elif (owner := self._legs.get(key)) is not None:
            self._put(owner, LegAudio(frame))

    def on_dtmf(self, key: str, digit: str) -> None:
        """Hand a key press to the run."""
        if (line := self._lines.get(key)) is not None:
            self._put(line, KeyPressed(digit))
        elif (owner := self._legs.get(key)) is not None:
            self._put(owner, LegKey(digit))

    def on_call_ended(self, key: str, reason: str) -> None:
        """Tell the run the line is gone."""
        if (line := self._lines.pop(key, None)) is not None:
            self._put(line, Shutdown() if self.closing else LineClosed(reason))
        elif (owner := self._legs.pop(key, None)) is not None:
            self._put(owner, LegEnded())

    # Legs a run rang for a warm transfer, and transfer results: to the run of the caller they are for.

    def on_leg_answered(self, call: CallInfo) -> None:
        """The team member picked up: the run briefs them through the leg's control."""
        if (owner := self._legs.get(call.key)) is not None:
            self._put(owner, LegAnswered(call.control))

    def on_leg_failed(self, key: str, status: int, reason: str) -> None:
        """The team member's phone did not answer (busy, declined, no answer, unreachable)."""
        if (owner := self._legs.get(key)) is not None:
            self._put(owner, LegFailed(status))

    def on_transfer_result(self, key: str, target_uri: str, ok: bool, status: int, how: TransferHow) -> None:
        """How a transfer the run asked for ended: the run goes on (it failed) or ends (bridged)."""
        if (line := self._lines.get(key)) is not None:
            self._put(line, TransferResult(ok, status, how))

    def _put(self, line: _Line, item: CallInput) -> None:
        self.loop.call_soon_threadsafe(line.inputs.put_nowait, item)

    # --- on the loop ---

    def _start(self, line: _Line) -> None:
        call_id = line.started.call_id
        run = CallRun(line.ctx, line.started, line.control, lambda event: self.bus.publish(call_id, event),
                      self.known_name)
        self._controls[call_id] = line.control
        self.runs[call_id] = asyncio.ensure_future(self._run(line, run))

    async def _run(self, line: _Line, run: CallRun) -> None:
        call_id = line.started.call_id
        try:
            outcome = await run.run(line.inputs)
            _LOGGER.info("call %s ended: %s", call_id, outcome.value)  # no caller number in server logs
        finally:
            self.runs.pop(call_id, None)
            self._controls.pop(call_id, None)
            if line.recorder is not None and line.recorder.seconds > 0:
                await self._publish_recording(call_id, line.recorder)

    def _declined(self, started: CallStarted) -> None:
        """A blocked caller refused before answering: a call record all the same (who, when, which brand)."""
        _LOGGER.info("call %s declined: a blocked number", started.call_id)
        self.bus.publish(started.call_id, started)
        self.bus.publish(started.call_id, CallEnded(Outcome.BLOCKED, "declined (603): a blocked number", started.at))

    async def _publish_recording(self, call_id: str, recorder: CallRecorder) -> None:
        wav = await asyncio.to_thread(recorder.wav)
        self.bus.publish(call_id, Recorded(wav, recorder.seconds))

    def control(self, call_id: str) -> CallControl:
        """The control port of a call in progress (for the panel: hang up, transfer)."""
        if (control := self._controls.get(call_id)) is None:
            raise NotFoundError(f"call {call_id} is not in progress (it ended, or the id is wrong); reload the "
                                "list of active calls")
        return control

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for runs to end (their last events are then on the bus)."""
        if self.runs:
            await asyncio.wait(list(self.runs.values()), timeout=timeout)

