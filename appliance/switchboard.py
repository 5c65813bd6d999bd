"""Connects the SIP endpoint to call runs: PJSIP callbacks only enqueue; runs live on the asyncio loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from appliance.callrun import SHUTDOWN, CallRun, Inputs
from appliance.frames import CallEvent, CallStarted, DtmfPressed
from appliance.storage.recordings import CallRecorder, save_recording
from appliance.storage.store import CallStore
from appliance.wiring import RunContext
from sip.events import CallInfo

_LOGGER = logging.getLogger(__name__)
EventHook = Callable[[str, CallEvent], None]


class Switchboard:
    """A SipListener that starts one CallRun per answered call and records its events."""

    def __init__(self, ctx: RunContext, store: CallStore, loop: asyncio.AbstractEventLoop,
                 hangup: Callable[[str], None], recordings_dir: Path) -> None:
        self.ctx, self.store, self.loop, self._hangup = ctx, store, loop, hangup
        self.recordings_dir = recordings_dir
        self._recorders: dict[str, CallRecorder] = {}
        self.closing = False  # set before the endpoint hangs up every call at shutdown
        self._inputs: dict[str, Inputs] = {}
        self._record_ids: dict[str, str] = {}
        self._answered: dict[str, float] = {}
        self.runs: dict[str, asyncio.Task[None]] = {}
        self.hooks: list[EventHook] = []
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    # --- SipListener: these run on PJSIP threads ---

    def on_call_started(self, call: CallInfo) -> None:
        """Create the call's input queue and start its run on the loop."""
        inputs: Inputs = asyncio.Queue()
        self._inputs[call.key] = inputs
        if self.ctx.profile.recording.enabled:
            recorder = self._recorders[call.key] = CallRecorder()
            call.playout.sent_log = recorder.sent
        self.loop.call_soon_threadsafe(self._start, call, inputs)

    def on_audio(self, key: str, frame: bytes) -> None:
        """Hand one caller frame to the run."""
        inputs = self._inputs.get(key)
        if inputs is not None:
            self.loop.call_soon_threadsafe(inputs.put_nowait, frame)
            if (recorder := self._recorders.get(key)) is not None:
                recorder.received.append(frame)

    def on_dtmf(self, key: str, digit: str) -> None:
        """Record a key press."""
        self.loop.call_soon_threadsafe(self._dtmf, key, digit)

    def on_call_ended(self, key: str, reason: str) -> None:
        """Tell the run the line is gone."""
        inputs = self._inputs.pop(key, None)
        if inputs is not None:
            self.loop.call_soon_threadsafe(inputs.put_nowait, SHUTDOWN if self.closing else None)

    # --- on the loop ---

    def _start(self, call: CallInfo, inputs: Inputs) -> None:
        run = CallRun(self.ctx, call, lambda: self._hangup(call.key), lambda e: self._emit(call, e))
        self.runs[call.key] = asyncio.ensure_future(self._run(call, run, inputs))

    async def _run(self, call: CallInfo, run: CallRun, inputs: Inputs) -> None:
        try:
            outcome = await run.run(inputs)
            _LOGGER.info("call %s ended: %s", call.key, outcome.value)  # no caller number in server logs
        finally:
            if (recorder := self._recorders.pop(call.key, None)) is not None and call.key in self._record_ids:
                self._submit(self._save_recording, self._record_ids[call.key], recorder)
            self.runs.pop(call.key, None)
            self._record_ids.pop(call.key, None)
            self._answered.pop(call.key, None)

    def _save_recording(self, record_id: str, recorder: CallRecorder) -> None:
        if recorder.seconds > 0:
            save_recording(self.store, record_id, recorder.wav(), self.recordings_dir)

    def _dtmf(self, key: str, digit: str) -> None:
        if key in self._record_ids:
            self._emit_key(key, DtmfPressed(digit, round(time.monotonic() - self._answered[key], 3)))

    def _emit(self, call: CallInfo, event: CallEvent) -> None:
        if isinstance(event, CallStarted):
            record_id = self._record_ids[call.key] = uuid.uuid4().hex
            self._answered[call.key] = time.monotonic()
            self._submit(functools.partial(self.store.open_call, sip_call_id=call.sip_call_id,
                                           caller_name=call.caller_name, source=call.source, codec=call.codec),
                         record_id, event)
        else:
            self._submit(self.store.record, self._record_ids[call.key], event)
        for hook in self.hooks:
            hook(call.key, event)

    def _emit_key(self, key: str, event: CallEvent) -> None:
        self._submit(self.store.record, self._record_ids[key], event)
        for hook in self.hooks:
            hook(key, event)

    def _submit(self, write: Callable[..., object], *args: object) -> None:
        """Queue a write on the single writer thread: writes reach the database in order, off the loop."""
        future = self.loop.run_in_executor(self._writer, write, *args)
        future.add_done_callback(_log_failure)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for runs to end and for every pending write to reach the database."""
        if self.runs:
            await asyncio.wait(list(self.runs.values()), timeout=timeout)
        await self.loop.run_in_executor(self._writer, lambda: None)
        self._writer.shutdown(wait=True)


def _log_failure(future: asyncio.Future[object]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        _LOGGER.error("cannot store a call event: %s", exc)
