"""The call log: the event bus's first subscriber, writing every call event to the encrypted store, and the
call's summary when it ends.

It runs on its own bus thread, so writes reach the database in order and off the asyncio loop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from appliance.call.events import CallEnded, CallEvent, CallStarted, Recorded
from appliance.storage.recordings import save_recording
from appliance.storage.store import CallStore


class CallLog:
    """Writes a call's events as they come: the row at answer, turns and events, the end and its summary, the
    recording."""

    def __init__(self, store: CallStore, recordings_dir: Path,
                 summarize: Callable[[list[CallEvent]], str] | None = None) -> None:
        self.store, self.recordings_dir, self.summarize = store, recordings_dir, summarize
        self._calls: dict[str, list[CallEvent]] = {}  # events of calls in progress, for their summaries

    def __call__(self, call_id: str, event: CallEvent) -> None:
        if isinstance(event, CallStarted):
            self.store.open_call(call_id, event)
        elif isinstance(event, Recorded):
            save_recording(self.store, call_id, event.wav, self.recordings_dir)
            return
        else:
            self.store.record(call_id, event)
        if self.summarize is not None:
            self._remember(call_id, event)

    def _remember(self, call_id: str, event: CallEvent) -> None:
        events = self._calls.setdefault(call_id, [])
        events.append(event)
        if isinstance(event, CallEnded) and self.summarize is not None:
            del self._calls[call_id]
            self.store.add_summary(call_id, self.summarize(events), event.at)
