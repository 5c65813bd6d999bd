"""One call's run: listen frame by frame, detect turns, transcribe, reply, and emit typed events.

Inputs arrive on an asyncio queue: 20 ms PCM16 frames (bytes), typed caller turns (str, for `simulate`),
None when the line is gone, or SHUTDOWN when the appliance stops. Errors become one ErrorRaised event here;
`finally` always ends the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from appliance.errors import ApplianceError, ErrorCode
from appliance.frames import (
    CallEnded,
    CallEvent,
    CallStarted,
    ErrorRaised,
    Interrupted,
    Outcome,
    Speaker,
    TurnSpoken,
)
from appliance.messages import CallerMessage, confirmation, read_message
from appliance.receptionist import (
    ANYTHING_ELSE,
    STILL_THERE,
    TIME_LIMIT,
    Expect,
    Intent,
    ReplyPlan,
    plan_reply,
    takes_message,
)
from appliance.replying import Replier, Reply
from appliance.resample import level_dbfs
from appliance.turns import TurnDetector, TurnSignal
from appliance.wiring import RunContext
from sip.events import CallInfo

_LOGGER = logging.getLogger(__name__)
PREROLL_FRAMES = 15
MIN_LAST_WORDS_S = 0.3  # an utterance cut by the hang-up is transcribed when it has this much voice
LAST_WORDS_TIMEOUT_S = 10.0
SHUTDOWN = "\x00shutdown"  # put by the switchboard when the appliance stops (not a caller's words)
Inputs = asyncio.Queue[bytes | str | None]


@dataclass
class _Utterance:
    """Caller audio of the turn in progress, with pre-roll, and when its voice started and last sounded."""

    frames: list[bytes]
    started: float
    last_voice: float
    voiced: int = 0  # voiced frames (20 ms each)

    def pcm(self) -> np.ndarray:
        return np.frombuffer(b"".join(self.frames), dtype="<i2")


class CallRun:
    """Runs one call from answer to hang-up."""

    def __init__(self, ctx: RunContext, call: CallInfo, hangup: Callable[[], None],
                 emit: Callable[[CallEvent], None]) -> None:
        self.ctx, self.call, self._hangup, self._emit = ctx, call, hangup, emit
        self.detector = TurnDetector(ctx.turn_config)
        self.replier = Replier(ctx.engines, ctx.mouth_for(call.playout), ctx.profile, ctx.system_prompt,
                               ctx.history_messages)
        self.answered = time.monotonic()
        self.outcome = Outcome.ABANDONED
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._utterance: _Utterance | None = None
        self._speculative: asyncio.Task[str] | None = None
        self._reply_task: asyncio.Task[None] | None = None
        self._pending_turns: set[asyncio.Task[TurnSpoken]] = set()
        self._last_activity = self.answered
        self._prompted = False
        self._expect = Expect.ANYTHING
        self._taken: CallerMessage | None = None
        self._ending = False
        self._hung_up_at: float | None = None

    def _plan(self, text: str) -> ReplyPlan:
        if (taken := self._taken) is not None:  # the caller just left the message asked for
            self._taken = None
            plan = ReplyPlan(Intent.MESSAGE_TAKEN, text=f"{confirmation(taken)} {ANYTHING_ELSE}")
        else:
            plan = plan_reply(self.ctx.profile, text, llm_answers_questions=self.ctx.llm_answers_questions,
                              expect=self._expect)
        self._expect = plan.expect
        return plan

    def _offset(self, at: float | None = None) -> float:
        return round((at or time.monotonic()) - self.answered, 3)

    async def run(self, inputs: Inputs) -> Outcome:
        """Converse until the caller or the receptionist hangs up; return the outcome."""
        self._emit(CallStarted(self.call.key, self.call.caller_number, self.call.called, time.time()))
        reason = "caller hung up"
        try:
            self._start_reply(ReplyPlan(Intent.OPEN, text=self.ctx.profile.greeting_text))
            reason = await self._listen(inputs)
        except ApplianceError as exc:
            reason = self._fail(exc.code, str(exc))
        except Exception as exc:
            _LOGGER.exception("call %s failed", self.call.key)
            reason = self._fail(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            await self._stop_reply()
            await self._last_words()
            self._emit(CallEnded(self.outcome, reason, time.time()))
        return self.outcome

    def _fail(self, code: ErrorCode, message: str) -> str:
        self._emit(ErrorRaised(code.value, message, self._offset()))
        self.outcome = Outcome.FAILED
        self._hangup()
        return f"error: {code.value}"

    async def _listen(self, inputs: Inputs) -> str:
        while True:
            try:
                item = await asyncio.wait_for(inputs.get(), timeout=0.5)
            except TimeoutError:
                item = b""
            if item is None:
                return "receptionist hung up" if self._hung_up_at else "caller hung up"
            if item == SHUTDOWN:
                return "appliance shut down"
            self._raise_reply_error()
            if isinstance(item, str):
                await self._typed_turn(item)
            elif item:
                self._frame(item)
            if reason := self._check_clock():
                return reason

    async def _typed_turn(self, text: str) -> None:
        await self._stop_reply()
        now = self._offset()
        turn = TurnSpoken(Speaker.CALLER, text, now, now)
        self._caller_said(turn)
        self._reply_task = asyncio.ensure_future(self._reply(self._plan(text), turn, None))
        await asyncio.wait({self._reply_task})

    def _frame(self, frame: bytes) -> None:
        now = time.monotonic()
        level = level_dbfs(np.frombuffer(frame, dtype="<i2"))
        signal = self.detector.push(level)
        if self._utterance is not None:
            self._utterance.frames.append(frame)
            if self.detector.is_voiced(level):
                self._utterance.last_voice = now
                self._utterance.voiced += 1
        else:
            self._preroll.append(frame)
        if signal is not TurnSignal.NONE:
            self._on_signal(signal, now)

    def _on_signal(self, signal: TurnSignal, now: float) -> None:
        if signal is TurnSignal.SPEECH_STARTED:
            self._utterance = _Utterance(list(self._preroll), now, now)
            self._preroll.clear()
        elif signal is TurnSignal.BARGE_IN:
            self._barge_in(now)
        elif signal is TurnSignal.EARLY_PAUSE and self._utterance is not None:
            self._speculate(self._utterance)
        elif signal is TurnSignal.SPEECH_RESUMED:
            self._drop_speculation()
        elif signal is TurnSignal.TURN_ENDED and self._utterance is not None:
            self._turn_ended(self._utterance, now)
        elif signal is TurnSignal.NOISE_DISCARDED:
            self._utterance = None
            self._drop_speculation()

    def _barge_in(self, now: float) -> None:
        if self._reply_task is None or self._reply_task.done() or self._ending:
            return
        self._reply_task.cancel()
        self.replier.mouth.cut()
        self._emit(Interrupted(self._offset(now)))

    def _speculate(self, utterance: _Utterance) -> None:
        """Start transcribing at the first pause, so the text is ready when the silence window closes."""
        self._drop_speculation()
        task = asyncio.ensure_future(self.ctx.engines.transcribe(utterance.pcm(), self.ctx.vocabulary))
        self._speculative = task

    def _drop_speculation(self) -> None:
        if self._speculative is not None:
            self._speculative.cancel()
            self._speculative = None

    def _turn_ended(self, utterance: _Utterance, now: float) -> None:
        self._utterance = None
        self._last_activity = now
        speculative, self._speculative = self._speculative, None
        self.replier.mouth.cut()
        task = self._reply_task
        if task is not None and not task.done():
            task.cancel()
        timings = {"eot_wait_ms": round((now - utterance.last_voice) * 1000, 1)}
        heard = self._hear(utterance, speculative, timings)
        self._reply_task = asyncio.ensure_future(self._answer_audio(heard, utterance.last_voice))

    def _hear(self, utterance: _Utterance, speculative: asyncio.Task[str] | None,
              timings: dict[str, float]) -> asyncio.Task[TurnSpoken]:
        """Transcribe and record a caller turn in its own task: a barge-in or a hang-up that cancels the reply
        does not lose what the caller said (the run waits for pending turns before it ends)."""
        task = asyncio.ensure_future(self._caller_turn(utterance, speculative, timings))
        self._pending_turns.add(task)
        task.add_done_callback(self._pending_turns.discard)
        return task

    async def _caller_turn(self, utterance: _Utterance, speculative: asyncio.Task[str] | None,
                           timings: dict[str, float]) -> TurnSpoken:
        started = time.monotonic()
        try:
            text = await (speculative or self.ctx.engines.transcribe(utterance.pcm(), self.ctx.vocabulary))
        except Exception as exc:
            self._emit(ErrorRaised(ErrorCode.STT.value, str(exc), self._offset()))
            text = ""
        timings["stt_ms"] = round((time.monotonic() - started) * 1000, 1)
        turn = TurnSpoken(Speaker.CALLER, text, self._offset(utterance.started), self._offset(utterance.last_voice),
                          timings)
        self._caller_said(turn)
        return turn

    def _caller_said(self, turn: TurnSpoken) -> None:
        """Record a caller turn; if it is the message the receptionist asked for, take it (even as last words)."""
        self._emit(turn)
        if turn.text and self.outcome is Outcome.ABANDONED:
            self.outcome = Outcome.ANSWERED
        if takes_message(self._expect, turn.text):
            self._taken = read_message(turn.text, self.call.caller_number, self.ctx.default_region)
            self._emit(self._taken.event(time.time()))
            self._expect, self.outcome = Expect.ANYTHING, Outcome.MESSAGE_TAKEN

    async def _answer_audio(self, heard: asyncio.Task[TurnSpoken], last_voice: float) -> None:
        turn = await asyncio.shield(heard)
        await self._reply(self._plan(turn.text), turn, last_voice)

    async def _last_words(self) -> None:
        """At the end of the call: finish pending caller turns, and hear an utterance cut by the hang-up."""
        utterance, self._utterance = self._utterance, None
        if utterance is not None and utterance.voiced * 0.02 >= MIN_LAST_WORDS_S:
            self._hear(utterance, None, {})
        if self._pending_turns:
            await asyncio.wait(set(self._pending_turns), timeout=LAST_WORDS_TIMEOUT_S)

    def _start_reply(self, plan: ReplyPlan) -> None:
        self._reply_task = asyncio.ensure_future(self._reply(plan, None, None))

    async def _reply(self, plan: ReplyPlan, turn: TurnSpoken | None, last_voice: float | None) -> None:
        reply, start = Reply(), self._offset()
        try:
            await self.replier.speak(plan, turn.text if turn else "", reply)
            await self.replier.mouth.drained()
        finally:
            self._finish_reply(reply, start, turn, last_voice)
        if plan.end_call:
            self._end_call()

    def _finish_reply(self, reply: Reply, start: float, turn: TurnSpoken | None, last_voice: float | None) -> None:
        self._last_activity = time.monotonic()
        first = self.replier.mouth.first_audio_at
        self.replier.mouth.first_audio_at = None
        if turn is not None:
            reply.timings.update(turn.timings)
        if last_voice is not None and first is not None:
            reply.timings["voice_to_voice_ms"] = round((first - last_voice) * 1000, 1)
        if reply.error is not None:
            self._emit(ErrorRaised(reply.error[0].value, reply.error[1], self._offset()))
        if reply.sentences:
            self._emit(TurnSpoken(Speaker.RECEPTIONIST, reply.text, start, self._offset(), reply.timings))

    def _end_call(self) -> None:
        self._ending = True
        self._hung_up_at = time.monotonic()
        self._hangup()

    def _raise_reply_error(self) -> None:
        """A reply that failed (TTS down, a bug) ends the call at the run's one error boundary."""
        task = self._reply_task
        if task is not None and task.done() and not task.cancelled() and (exc := task.exception()):
            self._reply_task = None
            raise exc

    def _check_clock(self) -> str:
        now = time.monotonic()
        if self._hung_up_at is not None:
            return "receptionist hung up" if now - self._hung_up_at > 5 else ""
        busy = (self._reply_task is not None and not self._reply_task.done()) or self._utterance is not None
        if busy or self._ending:
            return ""
        if now - self.answered > self.ctx.call.max_call_s:
            self._say_and_end(TIME_LIMIT)
        elif now - self._last_activity > self.ctx.call.no_input_timeout_s:
            self._no_input()
        return ""

    def _no_input(self) -> None:
        if self._prompted:
            self._say_and_end("")
        else:
            self._prompted = True
            self._last_activity = time.monotonic()
            self._start_reply(ReplyPlan(Intent.EMPTY, text=STILL_THERE))

    def _say_and_end(self, text: str) -> None:
        self._ending = True
        goodbye = f"{text} {self.ctx.profile.goodbye_text}".strip()
        self._start_reply(ReplyPlan(Intent.GOODBYE, text=goodbye, end_call=True))

    async def _stop_reply(self) -> None:
        self._drop_speculation()
        task, self._reply_task = self._reply_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
