"""The call log: the event bus's first subscriber, writing every call event to the encrypted store.

It runs on its own bus thread, so writes reach the database in order and off the asyncio loop.
"""

from __future__ import annotations

from pathlib import Path

from appliance.call.events import CallEvent, CallStarted, Recorded
from appliance.storage.recordings import save_recording
from appliance.storage.store import CallStore


class CallLog:
    """Writes a call's events as they come: the row at answer, turns and events, the end, the recording."""

    def __init__(self, store: CallStore, recordings_dir: Path) -> None:
        self.store, self.recordings_dir = store, recordings_dir

    def __call__(self, call_id: str, event: CallEvent) -> None:
        if isinstance(event, CallStarted):
            self.store.open_call(call_id, event)
        elif isinstance(event, Recorded):
            save_recording(self.store, call_id, event.wav, self.recordings_dir)
        else:
            self.store.record(call_id, event)
