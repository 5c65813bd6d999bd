"""One call's run: listen, hear turns, reply, and emit typed events; the conversation decides what to say.

Inputs arrive on one asyncio queue as typed frames (`appliance.call.inputs`). The run speaks and hangs up only
through its `CallControl`. Errors become one ErrorRaised event here; `finally` always ends the run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from appliance.call.backchannel import Overheard, Overlap, judge, overlap_verdict
from appliance.call.context import RunContext
from appliance.call.control import CallControl
from appliance.call.events import (
    Backchannel,
    CallEnded,
    CallEvent,
    CallStarted,
    DtmfPressed,
    ErrorRaised,
    Interrupted,
    Outcome,
    Speaker,
    TurnSpoken,
)
from appliance.call.inputs import (
    AudioIn,
    CallerText,
    Inputs,
    KeyPressed,
    LegInput,
    LineClosed,
    Shutdown,
    TransferResult,
)
from appliance.call.listening import BargeIn, Listening, TurnEnd, Utterance
from appliance.call.replying import Replier, Reply
from appliance.call.returning import KnownName, name_in_time
from appliance.call.transfers import Transfers
from appliance.call.watch import SilenceWatch
from appliance.errors import ApplianceError, ErrorCode, StageError
from appliance.reception.conversation import Conversation, Rules
from appliance.reception.gaps import knowledge_gap
from appliance.reception.plan import DICTATION, ReplyPlan

_LOGGER = logging.getLogger(__name__)
MIN_LAST_WORDS_S = 0.3  # an utterance cut by the hang-up is transcribed when it has this much voice
LAST_WORDS_TIMEOUT_S = 10.0
IDLE_TICK_S = 0.5
ECHO_TAIL_S = 0.5  # after the receptionist's audio stops, its echo may still be on its way back
MENU_ON_FAILURE = (ErrorCode.TTS, ErrorCode.LLM)  # a reply failing in these stages puts the call on the menu


class CallRun:
    """Runs one call from answer to hang-up."""

    def __init__(self, ctx: RunContext, started: CallStarted, control: CallControl,
                 emit: Callable[[CallEvent], None], known_name: KnownName | None = None) -> None:
        self.ctx, self.started, self.control, self._emit = ctx, started, control, emit
        self.known_name = known_name if ctx.profile.greet_returning_callers else None  # no lookup when unused
        self.answered = time.monotonic()
        self.talk = Conversation(Rules(ctx.profile, ctx.call.max_call_s, ctx.call.no_input_timeout_s,
                                       ctx.llm_answers_questions, ctx.default_region, ctx.clock.now),
                                 started.caller, self.answered)
        self.ears = Listening(ctx.turn_config, ctx.hear,
                              patient=lambda: self.talk.expect in DICTATION)
        self.replier = Replier(ctx.engines, ctx.mouth_for(control), ctx.profile, ctx.system_prompt,
                               ctx.history_messages)
        self._reply_task: asyncio.Task[None] | None = None
        self.transfers = Transfers(ctx, control, self.talk, emit=emit, offset=self._offset, reply=self._start_reply,
                                   caller_name=started.caller_name)
        self._pending_turns: set[asyncio.Task[TurnSpoken | None]] = set()
        self._overlaps: set[asyncio.Task[None]] = set()  # words said over a reply, being judged
        self._watch = SilenceWatch(ctx.call.reply_deadline_s)
        self._played_at = 0.0  # when the caller last had the receptionist's audio queued (monotonic)

    @property
    def outcome(self) -> Outcome:
        """How the call ends (so far)."""
        return self.talk.outcome

    def _offset(self, at: float | None = None) -> float:
        return round((at or time.monotonic()) - self.answered, 3)

    async def run(self, inputs: Inputs) -> Outcome:
        """Converse until the caller or the receptionist hangs up; return the outcome."""
        self._emit(self.started)
        reason = "caller hung up"
        try:
            name = await name_in_time(self.known_name, self.started.caller)
            greeting = self.talk.greeting(name=name)
            self._start_reply(self.talk.unheard_greeting(greeting) if self.ctx.engines.deaf else greeting)
            reason = await self._listen(inputs)
        except ApplianceError as exc:
            reason = self._fail(exc.code, str(exc))
        except Exception as exc:
            _LOGGER.exception("call %s failed", self.started.call_id)
            reason = self._fail(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            await self.transfers.close()
            await self._stop_reply()
            await self._last_words()
            if (message := self.talk.message_left(time.time())) is not None:
                self._emit(message)  # the call ended during the read-back: the message is kept as it stands
            self._emit(CallEnded(self.talk.outcome, reason, time.time()))
        return self.talk.outcome

    def _fail(self, code: ErrorCode, message: str) -> str:
        self._emit(ErrorRaised(code.value, message, self._offset()))
        self.talk.failed()
        self.control.hang_up()
        return f"error: {code.value}"

    async def _listen(self, inputs: Inputs) -> str:
        while True:
            try:
                item = await asyncio.wait_for(inputs.get(), timeout=IDLE_TICK_S)
            except TimeoutError:
                item = None
            if isinstance(item, LineClosed):
                return self.talk.end_reason(closed_by_caller=True)
            if isinstance(item, Shutdown):
                return "appliance shut down"
            self._raise_reply_error()
            if isinstance(item, AudioIn):
                self._frame(item)
            elif isinstance(item, CallerText):
                await self._typed_turn(item.text)
            elif isinstance(item, KeyPressed):
                await self._key(item.digit)
            elif isinstance(item, TransferResult) and (reason := self.transfers.blind_result(item)):
                return reason
            elif isinstance(item, LegInput):
                self.transfers.on_leg(item, time.monotonic())
            if reason := self.transfers.warm_outcome():
                return reason
            if reason := self._check_clock():
                return reason

    async def _key(self, digit: str) -> None:
        self._emit(DtmfPressed(digit, self._offset()))
        if (plan := self.talk.pressed(digit)) is not None:
            await self._stop_reply()
            self._start_reply(plan)

    async def _typed_turn(self, text: str) -> None:
        await self._stop_reply()
        now = self._offset()
        turn = TurnSpoken(Speaker.CALLER, text, now, now)
        if self.talk.degraded:
            plan, taking = self.talk.degraded_turn()
            self._caller_said(turn, taking)
        else:
            self._caller_said(turn)
            plan = self.talk.plan(text)
        self._reply_task = asyncio.ensure_future(self._reply(plan, turn, None))
        await asyncio.wait({self._reply_task})

    def _frame(self, audio: AudioIn) -> None:
        if self.transfers.on_hold:  # while a team member is rung (and briefed)
            return
        now = time.monotonic()
        if self.replier.mouth.playing:
            self._played_at = now
        heard = self.ears.frame(audio.pcm, now, audio.played)
        if isinstance(heard, BargeIn) and not self.ears.echo.line_echoes:  # on a line that echoes, words decide
            self._interrupt(now)
        elif isinstance(heard, TurnEnd):
            self._turn_ended(heard, now)

    def _speaking(self) -> bool:
        return self._reply_task is not None and not self._reply_task.done() and not self.talk.ending

    def _interrupt(self, now: float) -> None:
        """The caller spoke over the receptionist and meant it: stop speaking."""
        if not self._speaking():
            return
        assert self._reply_task is not None
        self._reply_task.cancel()
        self.replier.mouth.cut()
        self._emit(Interrupted(self._offset(now)))

    def _turn_ended(self, end: TurnEnd, now: float) -> None:
        self.talk.active(now)
        timings = {"eot_wait_ms": round((now - end.utterance.last_voice) * 1000, 1)}
        if (overheard := self._overheard(end.utterance)) is not None:
            heard = self._hear(end.utterance, end.speculative, timings, overheard)
            judged = asyncio.ensure_future(self._overlap(heard, end.utterance.last_voice))
            self._overlaps.add(judged)
            judged.add_done_callback(self._overlaps.discard)
            return
        self.replier.mouth.cut()
        task = self._reply_task
        if task is not None and not task.done():
            task.cancel()
        if self.talk.degraded:  # the menu's reply does not wait for the words (recognition may be what failed)
            plan, taking = self.talk.degraded_turn()
            self._hear(end.utterance, end.speculative, timings, message_on_menu=taking)
            self._start_reply(plan)
        else:
            heard = self._hear(end.utterance, end.speculative, timings)
            self._reply_task = asyncio.ensure_future(self._answer_audio(heard, end.utterance.last_voice))

    def _overheard(self, utterance: Utterance) -> Overheard | None:
        """A burst said over the receptionist, too short to interrupt by its length (or, on a line that echoes,
        said while its voice may still come back): judged by its words once they are known."""
        echoing = self.ears.echo.line_echoes and utterance.started <= self._played_at + ECHO_TAIL_S
        short = overlap_verdict(utterance.voiced_s * 1000, None, self.ctx.turn_config.barge_in_ms) is Overlap.WAIT
        if not (echoing or (short and self._speaking())):
            return None
        return Overheard(self._speaking(), " ".join(self.replier.mouth.said) if echoing else "")

    async def _overlap(self, heard: asyncio.Task[TurnSpoken | None], last_voice: float) -> None:
        """A short burst said over a reply: the receptionist speaks on until its words are known; a backchannel
        changes nothing, real words interrupt the reply and get their own answer."""
        turn = await asyncio.shield(heard)
        if turn is None:
            return
        self._interrupt(time.monotonic())
        self._reply_task = asyncio.current_task()  # this task is now the reply
        await self._reply(self.talk.plan(turn.text), turn, last_voice)

    def _hear(self, utterance: Utterance, speculative: asyncio.Task[str] | None, timings: dict[str, float],
              overheard: Overheard | None = None, message_on_menu: bool = False) -> asyncio.Task[TurnSpoken | None]:
        """Transcribe and record a caller turn in its own task: a barge-in or a hang-up that cancels the reply
        does not lose what the caller said (the run waits for pending turns before it ends)."""
        task = asyncio.ensure_future(self._caller_turn(utterance, speculative, timings, overheard, message_on_menu))
        self._pending_turns.add(task)
        task.add_done_callback(self._pending_turns.discard)
        return task

    async def _caller_turn(self, utterance: Utterance, speculative: asyncio.Task[str] | None,
                           timings: dict[str, float], overheard: Overheard | None,
                           message_on_menu: bool) -> TurnSpoken | None:
        """The caller's turn as heard, or None for a backchannel or an echo said over a reply (no turn)."""
        started = time.monotonic()
        try:
            text = await (speculative or self.ctx.hear(utterance.pcm()))
        except Exception as exc:
            _LOGGER.warning("call %s: speech recognition failed (%s)", self.started.call_id, type(exc).__name__)
            self._emit(ErrorRaised(ErrorCode.STT.value, str(exc), self._offset()))
            self.talk.stt_failed()
            text = ""
        timings["stt_ms"] = round((time.monotonic() - started) * 1000, 1)
        verdict = Overlap.BARGE_IN if overheard is None else judge(text, overheard)
        if verdict is Overlap.ECHO:
            _LOGGER.info("call %s: the receptionist's own voice came back (%d words): not a turn",
                         self.started.call_id, len(text.split()))
            return None
        if verdict is Overlap.BACKCHANNEL:
            if text.strip():
                self._emit(Backchannel(text, self._offset(utterance.started)))
            return None
        turn = TurnSpoken(Speaker.CALLER, text, self._offset(utterance.started), self._offset(utterance.last_voice),
                          timings)
        self._caller_said(turn, message_on_menu)
        return turn

    def _caller_said(self, turn: TurnSpoken, message_on_menu: bool = False) -> None:
        """Record a caller turn; if it is the message the receptionist asked for, take it (even as last words)."""
        self._emit(turn)
        if message_on_menu:
            self._emit(self.talk.degraded_message(turn.text, time.time()))
        elif (message := self.talk.heard(turn.text, time.time())) is not None:
            self._emit(message)

    async def _answer_audio(self, heard: asyncio.Task[TurnSpoken | None], last_voice: float) -> None:
        turn = await asyncio.shield(heard)
        if turn is not None:
            await self._reply(self.talk.plan(turn.text), turn, last_voice)

    async def _last_words(self) -> None:
        """At the end of the call: finish pending caller turns, and hear an utterance cut by the hang-up."""
        utterance = self.ears.cut_off()
        if utterance is not None and utterance.voiced_s >= MIN_LAST_WORDS_S:
            self._hear(utterance, None, {})
        if self._pending_turns:
            await asyncio.wait(set(self._pending_turns), timeout=LAST_WORDS_TIMEOUT_S)

    def _start_reply(self, plan: ReplyPlan) -> None:
        self._reply_task = asyncio.ensure_future(self._reply(plan, None, None))

    async def _reply(self, plan: ReplyPlan, turn: TurnSpoken | None, last_voice: float | None) -> None:
        reply, start = Reply(), self._offset()
        if turn is not None and (gap := knowledge_gap(plan, turn.text, self.ctx.profile.id, time.time())):
            self._emit(gap)
        try:
            await self.replier.speak(plan, turn.text if turn else "", reply)
            await self.replier.mouth.drained()
        finally:
            self._finish_reply(reply, start, turn, last_voice, plan.intent.value)
        if plan.end_call:
            self.talk.hung_up(time.monotonic())
            self.control.hang_up()
        elif plan.transfer_to is not None:
            self.transfers.put_through(plan.transfer_to, turn.text if turn else "")

    def _finish_reply(self, reply: Reply, start: float, turn: TurnSpoken | None, last_voice: float | None,
                      intent: str) -> None:
        self.talk.active(time.monotonic())
        first = self.replier.mouth.first_audio_at
        self.replier.mouth.first_audio_at = None
        if turn is not None:
            reply.timings.update(turn.timings)
        if last_voice is not None and first is not None:
            reply.timings["voice_to_voice_ms"] = round((first - last_voice) * 1000, 1)
        if reply.sentences:
            self._emit(TurnSpoken(Speaker.RECEPTIONIST, reply.text, start, self._offset(), reply.timings, intent))

    def _raise_reply_error(self) -> None:
        """A reply that failed: the voice or the LLM failing (or stuck) puts the call on the keypad menu, spoken
        from phrases synthesized before the call; anything else (or the voice failing again, on the menu) ends the
        call at the run's one error boundary."""
        task = self._reply_task
        if task is not None and task.done() and not task.cancelled() and (exc := task.exception()):
            self._reply_task = None
            if isinstance(exc, StageError) and exc.code in MENU_ON_FAILURE and not self.talk.degraded:
                # the code only: the message may quote a sentence, and the journal keeps no caller data
                _LOGGER.warning("call %s: %s; it goes on with the keypad menu", self.started.call_id, exc.code.value)
                self._emit(ErrorRaised(exc.code.value, str(exc), self._offset()))
                self._start_reply(self.talk.fallback())
                return
            raise exc

    def _check_clock(self) -> str:
        self.transfers.tick(time.monotonic())
        owed = self._speaking() and not self.talk.degraded  # on the menu, every phrase is ready
        if self._watch.overdue(time.monotonic(), owed, self.replier.mouth.playing):
            self._overloaded()
        busy = (self._reply_task is not None and not self._reply_task.done()) or self.ears.utterance is not None
        action = self.talk.tick(time.monotonic(), busy)
        if isinstance(action, ReplyPlan):
            self._start_reply(action)
            return ""
        return action or ""

    def _overloaded(self) -> None:
        """A reply owed for longer than the deadline (a stage too slow, or queued behind other calls): the caller
        hears the keypad menu (pre-synthesized) rather than silence, and the call stays on it."""
        if self._reply_task is not None:
            self._reply_task.cancel()
        self._emit(ErrorRaised(ErrorCode.OVERLOAD.value, f"no reply within {self._watch.deadline_s:g} s: the call "
                               "went on with the keypad menu", self._offset()))
        self._start_reply(self.talk.fallback())

    async def _stop_reply(self) -> None:
        self.ears.drop_speculation()
        for overlap in list(self._overlaps):
            overlap.cancel()
        task, self._reply_task = self._reply_task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise  # the call itself is being cancelled (at a stop): not the reply's cancel
