"""The call event bus: every call's events go out to every subscriber, none of which can stall a call.

Each subscriber gets its own worker thread and queue, so events reach it in the order they were published, and
a slow or failing subscriber delays nobody else: `publish` only enqueues. The call log (the store writer) is
the first subscriber; the panel's live view, notifications and metrics subscribe the same way. A subscriber
that falls more than `backlog` events behind loses the newest ones (logged, counted) rather than memory; the
call log subscribes with no limit, since it must not lose events.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.call.events import CallEvent

_LOGGER = logging.getLogger(__name__)
Handler = Callable[[str, CallEvent], None]
DEFAULT_BACKLOG = 1000


@dataclass
class _Subscriber:
    name: str
    handler: Handler
    backlog: int | None
    queue: queue.SimpleQueue[tuple[str, CallEvent] | None] = field(default_factory=queue.SimpleQueue)
    pending: int = 0
    dropped: int = 0
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    def offer(self, item: tuple[str, CallEvent]) -> None:
        with self.lock:
            if self.backlog is not None and self.pending >= self.backlog:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    _LOGGER.warning("event subscriber %s is behind: %d event(s) dropped", self.name, self.dropped)
                return
            self.pending += 1
        self.queue.put(item)

    def work(self) -> None:
        while (item := self.queue.get()) is not None:  # None: stop
            call_id, event = item
            try:
                self.handler(call_id, event)
            except Exception:
                self.failures += 1
                _LOGGER.exception("event subscriber %s failed on %s", self.name, type(event).__name__)
            with self.lock:
                self.pending -= 1


class EventBus:
    """Publish call events; subscribers receive them on their own threads."""

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._retired: list[_Subscriber] = []  # unsubscribed, maybe still delivering what was queued
        self._lock = threading.Lock()

    def subscribe(self, handler: Handler, *, name: str = "",
                  backlog: int | None = DEFAULT_BACKLOG) -> Callable[[], None]:
        """Call handler(call_id, event) for every event from now on; returns the function that unsubscribes."""
        sub = _Subscriber(name or getattr(handler, "__qualname__", "subscriber"), handler, backlog)
        sub.thread = threading.Thread(target=sub.work, name=f"bus-{sub.name}"[:15], daemon=True)
        sub.thread.start()
        with self._lock:
            self._subscribers = [*self._subscribers, sub]
        return lambda: self._remove(sub)

    def publish(self, call_id: str, event: CallEvent) -> None:
        """Hand the event to every subscriber's queue; never blocks on a subscriber."""
        for sub in self._subscribers:
            sub.offer((call_id, event))

    def _remove(self, sub: _Subscriber) -> None:
        with self._lock:
            if sub not in self._subscribers:
                return
            self._subscribers = [s for s in self._subscribers if s is not sub]
            self._retired.append(sub)
        sub.queue.put(None)

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued, then stop every subscriber's thread (waits up to timeout for each)."""
        with self._lock:
            subs, self._subscribers = self._subscribers, []
            retired, self._retired = self._retired, []
        for sub in subs:
            sub.queue.put(None)
        for sub in subs + retired:
            if sub.thread is not None:
                sub.thread.join(timeout)
                if sub.thread.is_alive():
                    _LOGGER.error("event subscriber %s did not finish within %.0f s", sub.name, timeout)
