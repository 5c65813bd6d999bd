"""Putting one call's caller through to a team member: blind (a SIP REFER, or, when the caller's side refuses it,
the box's own call to the team member bridged to the caller) or warm (`appliance.call.warm`: rung, briefed, and
joined on a yes). Either way the caller is on hold while the team member's phone rings, hearing a soft tone
(not silence, which sounds like a dropped call) and not listened to; what each ending means for the run is
decided here: joined or bridged ends the run, a REFER that worked ends it when the line closes, and anything else
brings the caller back to the receptionist with a message offered."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from appliance.call.context import RunContext
from appliance.call.control import CallControl
from appliance.call.events import CallEvent, TransferFailed, Transferring
from appliance.call.inputs import LegInput, TransferResult
from appliance.call.warm import WarmTransfer, hold
from appliance.reception.conversation import Conversation
from appliance.reception.directory import TeamMember
from appliance.reception.phrasebook import BRIEF, BRIEF_CALLER
from appliance.reception.plan import ReplyPlan


class Transfers:
    """The transfers of one call's run (one at a time)."""

    def __init__(self, ctx: RunContext, control: CallControl, talk: Conversation, *, emit: Callable[[CallEvent], None],
                 offset: Callable[[], float], reply: Callable[[ReplyPlan], None], caller_name: str = "") -> None:
        self.ctx, self.control, self.talk, self._emit = ctx, control, talk, emit
        self._offset, self._reply, self._caller_name = offset, reply, caller_name
        self.warm: WarmTransfer | None = None
        self._holding: asyncio.Task[None] | None = None  # a blind transfer's hold tone

    @property
    def on_hold(self) -> bool:
        """Whether the caller is on hold while a team member is rung (their words are not listened to)."""
        return self.warm is not None or self._holding is not None

    def put_through(self, member: TeamMember, said: str) -> None:
        """Start putting the caller through (the receptionist has said so); `said`: the caller's words that asked,
        for a warm transfer's brief."""
        self.talk.put_through(member)
        self._emit(Transferring(member.id, member.target, self._offset(), member.name))
        if member.transfer == "blind":
            self.control.transfer(member.target)
            self._holding = asyncio.ensure_future(hold(self.control))
            return
        brief = BRIEF.format(who=self._caller_name or BRIEF_CALLER, said=said.strip() or "nothing yet.")
        self.warm = WarmTransfer(self.ctx, member, brief, self.control)

    def on_leg(self, item: LegInput, now: float) -> None:
        """An event of a warm transfer's call to the team member."""
        if self.warm is not None:
            self.warm.on(item, now)

    def tick(self, now: float) -> None:
        """A warm transfer's answer not given in time counts as no."""
        if self.warm is not None:
            self.warm.tick(now)

    def blind_result(self, result: TransferResult) -> str:
        """How a blind transfer ended: bridged ends the run (the box no longer hears the call: its reason is
        returned); a REFER that worked ends it once the line closes; a failed one brings the caller back."""
        member = self.talk.transferring
        if member is None:
            return ""
        self._stop_holding()
        if result.ok:
            return self.talk.end_reason(closed_by_caller=False) if result.how == "bridged" else ""
        self._failed(member, result.status)
        return ""

    def warm_outcome(self) -> str:
        """A warm transfer that ended: joined (the run's end reason is returned), or not (back to the caller with a
        message offer); "" while none has ended."""
        warm = self.warm
        if warm is None or warm.result is None:
            return ""
        self.warm = None
        if warm.result.accepted:
            self.control.join(warm.leg_key)
            return self.talk.end_reason(closed_by_caller=False)
        self._failed(warm.member, warm.result.status)
        return ""

    async def close(self) -> None:
        """The run ends: stop the hold tone, and hang up a warm transfer's call not joined."""
        holding = self._stop_holding()
        if holding is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await holding
        if self.warm is not None:
            self.warm.cancel()
            await self.warm.close()

    def _failed(self, member: TeamMember, status: int) -> None:
        self._emit(TransferFailed(member.id, member.target, status, self._offset(), member.name))
        self._reply(self.talk.transfer_failed())

    def _stop_holding(self) -> asyncio.Task[None] | None:
        holding, self._holding = self._holding, None
        if holding is not None:
            holding.cancel()
            self.control.clear()  # the tone still queued
        return holding
