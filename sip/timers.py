"""Deadlines for the PJSIP thread: actions due at a monotonic time, run from the thread's own loop."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

Action = Callable[[], None]


class Timers:
    """Pending actions by due time. Used by one thread only; an action checks, when it runs, whether it still
    applies (there is no cancelling), so it must capture keys, never pjsua2 objects."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Action]] = []
        self._order = itertools.count()

    def at(self, when: float, action: Action) -> None:
        """Run `action` once `now` passed to run_due reaches `when`."""
        heapq.heappush(self._due, (when, next(self._order), action))

    def run_due(self, now: float) -> None:
        """Run every action due by `now`, earliest first (actions may add new ones)."""
        while self._due and self._due[0][0] <= now:
            heapq.heappop(self._due)[2]()

    def clear(self) -> None:
        """Forget every pending action (at shutdown)."""
        self._due.clear()

    def __len__(self) -> int:
        return len(self._due)
