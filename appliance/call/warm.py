"""A warm transfer: ring the team member, brief them, wait for 'yes' or key 1, then join the two calls; on no
answer, busy, decline or silence, report why, so the caller is offered a message. The caller hears a soft
hold tone meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.call.audio import to_frames
from appliance.call.context import RunContext
from appliance.call.control import CallControl
from appliance.call.inputs import LegAnswered, LegAudio, LegEnded, LegFailed, LegInput, LegKey, LegLine
from appliance.call.listening import Listening, TurnEnd
from appliance.call.sentences import split_sentences
from appliance.reception.directory import TeamMember
from appliance.reception.routing import accepts
from sip.media import FRAME_SAMPLES, SAMPLE_RATE

NO_REPLY = 408  # rung or briefed, but no answer came in time
DECLINED = 603  # the team member said no (or pressed 2)
HUNG_UP = 487  # the team member hung up before saying yes
HOLD_EVERY_S = 3.0


@dataclass(frozen=True)
class WarmResult:
    """How it ended: accepted, or the SIP-like status of why not."""

    accepted: bool
    status: int = 200


class WarmTransfer:
    """One warm transfer of one caller to one team member."""

    def __init__(self, ctx: RunContext, member: TeamMember, brief: str, control: CallControl) -> None:
        self.ctx, self.member, self.brief, self.control = ctx, member, brief, control
        self.leg_key = control.ring(member.target, ctx.call.transfer_ring_s)
        self.leg: LegLine | None = None
        self.result: WarmResult | None = None
        self._ears = Listening(ctx.turn_config, ctx.hear)
        self._answer_by: float | None = None
        self._heard_from = float("inf")  # answers are heard from the brief's end: none begun over it, or cut by it
        self._tasks: set[asyncio.Task[None]] = set()
        self._spawn(hold(control))

    def on(self, item: LegInput, now: float) -> None:
        """An event of the team member's leg."""
        if self.result is not None:
            return
        if isinstance(item, LegAnswered):
            self.leg = item.control
            self._spawn(self._speak_brief())
        elif isinstance(item, LegFailed):
            self._end(WarmResult(False, item.status))
        elif isinstance(item, LegEnded):
            self._end(WarmResult(False, HUNG_UP if self.leg is not None else NO_REPLY))
        elif isinstance(item, LegKey) and item.digit in "12":
            self._end(WarmResult(item.digit == "1", 200 if item.digit == "1" else DECLINED))
        elif isinstance(item, LegAudio) and self.leg is not None:
            heard = self._ears.frame(item.pcm, now)
            if isinstance(heard, TurnEnd) and heard.utterance.started >= self._heard_from:
                self._spawn(self._decide(heard))

    def tick(self, now: float) -> None:
        """No answer after the brief in time counts as no."""
        if self.result is None and self._answer_by is not None and now > self._answer_by:
            self._end(WarmResult(False, NO_REPLY))

    def cancel(self) -> None:
        """The caller went away or the run ends: hang up the leg, stop the hold tone."""
        if self.result is None:
            self._end(WarmResult(False, HUNG_UP))

    def _end(self, result: WarmResult) -> None:
        self.result = result
        self.control.clear()  # no more hold tone for the caller
        for task in self._tasks:
            task.cancel()
        if not result.accepted and self.leg is not None:
            self.leg.hang_up()

    async def _speak_brief(self) -> None:
        assert self.leg is not None
        mouth = self.ctx.mouth_for(self.leg)
        for sentence in split_sentences(self.brief):
            await mouth.say(sentence)
        await mouth.drained()
        self._heard_from = time.monotonic()
        self._answer_by = self._heard_from + self.ctx.call.transfer_answer_s

    async def _decide(self, end: TurnEnd) -> None:
        text = await (end.speculative or self.ctx.hear(end.utterance.pcm()))
        verdict = accepts(text)
        if verdict is not None and self.result is None:
            self._end(WarmResult(verdict, 200 if verdict else DECLINED))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Wait for the transfer's own tasks to stop (after cancel or a result)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def hold(control: CallControl) -> None:
    """Until cancelled: a soft tone every few seconds, so a caller on hold knows they are still connected (the
    canceller clears what is still queued)."""
    tone = hold_tone()
    while True:
        if not len(control):
            control.extend(tone)
        await asyncio.sleep(HOLD_EVERY_S)


def hold_tone() -> list[bytes]:
    """Two short soft beeps (440 Hz, -24 dBFS), as 20 ms frames."""
    beep = (np.sin(2 * np.pi * 440 * np.arange(int(0.15 * SAMPLE_RATE)) / SAMPLE_RATE) * 2000).astype(np.int16)
    gap = np.zeros(int(0.1 * SAMPLE_RATE), dtype=np.int16)
    return to_frames(np.concatenate([beep, gap, beep]), FRAME_SAMPLES)
