"""The call log: the event bus's first subscriber, writing every call event to the encrypted store, and the
call's summary when it ends.

It runs on its own bus thread, so writes reach the database in order and off the asyncio loop. When the disk is
full, a write fails without harming the call: it waits in memory, in order, with every write after it, and is
tried again with the next event and every `retry_s` until there is room (bounded by `max_waiting` writes and
`max_waiting_bytes` of recordings; beyond that, new writes are dropped, and logged).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from appliance.call.events import CallEnded, CallEvent, CallStarted, Recorded
from appliance.storage.recordings import save_recording
from appliance.storage.space import disk_full_message, is_disk_full
from appliance.storage.store import CallStore

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Write:
    """One write to the store, ready to run (again): what it stores (an event's type) and its size in memory."""

    what: str
    run: Callable[[], object]
    size: int = 0


class CallLog:
    """Writes a call's events as they come: the row at answer, turns and events, the end and its summary, the
    recording."""

    retry_s = 15.0  # while the disk is full, how often waiting writes are tried again
    max_waiting = 20_000  # writes kept in memory while the disk is full (a turn or an event each)
    max_waiting_bytes = 256 * 2**20  # recordings kept in memory while the disk is full

    def __init__(self, store: CallStore, recordings_dir: Path,
                 summarize: Callable[[list[CallEvent]], str] | None = None) -> None:
        self.store, self.recordings_dir, self.summarize = store, recordings_dir, summarize
        self._calls: dict[str, list[CallEvent]] = {}  # events of calls in progress, for their summaries
        self._waiting: deque[_Write] = deque()  # in order; not empty only while the disk is full
        self._lock = threading.Lock()  # the bus thread and the retry timer
        self._timer: threading.Timer | None = None
        self.dropped = 0

    def __call__(self, call_id: str, event: CallEvent) -> None:
        writes = self._writes(call_id, event)
        with self._lock:
            for write in writes:
                self._hold(write)
            self._flush()

    def _writes(self, call_id: str, event: CallEvent) -> list[_Write]:
        what = type(event).__name__
        if isinstance(event, Recorded):
            return [_Write(what, partial(save_recording, self.store, call_id, event.wav, self.recordings_dir),
                           len(event.wav))]
        writes = [_Write(what, partial(self.store.open_call, call_id, event) if isinstance(event, CallStarted)
                         else partial(self.store.record, call_id, event))]
        summary = self._remember(call_id, event)
        if summary is not None and isinstance(event, CallEnded):
            writes.append(_Write("summary", partial(self.store.add_summary, call_id, summary, event.at)))
        return writes

    def _remember(self, call_id: str, event: CallEvent) -> str | None:
        """Keep a call's events; at its end, its summary (made here, so a retried write stores the same one)."""
        if self.summarize is None:
            return None
        events = self._calls.setdefault(call_id, [])
        events.append(event)
        if not isinstance(event, CallEnded):
            return None
        del self._calls[call_id]
        return self.summarize(events)

    def _hold(self, write: _Write) -> None:
        waiting_bytes = sum(w.size for w in self._waiting)
        if len(self._waiting) >= self.max_waiting or waiting_bytes + write.size > self.max_waiting_bytes:
            self.dropped += 1
            _LOGGER.error("a call's %s was not stored: the data folder's disk is full and %d write(s) (%d MB of "
                          "recordings) already wait in memory; free space there", write.what, len(self._waiting),
                          waiting_bytes // 2**20)
            return
        self._waiting.append(write)

    def _flush(self) -> None:
        """Run the waiting writes in order; stop at the first that finds the disk full (it stays first)."""
        was_full = self._timer is not None
        while self._waiting:
            write = self._waiting[0]
            try:
                write.run()
            except Exception as exc:
                if is_disk_full(exc, self.recordings_dir.parent):
                    self._full(was_full)
                    return
                _LOGGER.exception("a call's %s could not be stored; it is skipped", write.what)
            self._waiting.popleft()
        if was_full:
            self._timer = None
            _LOGGER.warning("the data folder has room again: every waiting call record is written")

    def _full(self, was_full: bool) -> None:
        if not was_full:
            _LOGGER.error(disk_full_message(str(self.recordings_dir.parent)))
        self._timer = threading.Timer(self.retry_s, self._retry)
        self._timer.daemon = True
        self._timer.start()

    def _retry(self) -> None:
        with self._lock:
            self._flush()

    def close(self) -> int:
        """Try the waiting writes once more (the appliance is stopping); returns how many are lost."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._flush()
            if self._timer is not None:
                self._timer.cancel()
                _LOGGER.error("%d call record(s) could not be written before stopping: the data folder's disk is "
                              "full; free space there before starting again", len(self._waiting))
            return len(self._waiting)
