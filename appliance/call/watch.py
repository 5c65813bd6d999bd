"""The silence watch: a caller owed a reply never waits for it in silence. Pure: times and states in, a verdict
out. When it fires, the run puts the call on the keypad menu (a stage too slow, or queued behind other calls)."""

from __future__ import annotations

from sip.media import FRAME_SAMPLES, SAMPLE_RATE

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE  # 20 ms
# The watch is checked once per 20 ms frame: it may start a frame late and notice a frame late, and the menu's
# first frame leaves with the next one. Firing this much early puts that first frame out by the deadline.
LEAD_S = 3 * FRAME_S


class SilenceWatch:
    """Times how long the caller has heard nothing while a reply is being made."""

    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        self._since: float | None = None

    def overdue(self, now: float, owed: bool, playing: bool) -> bool:
        """owed: a reply is being made; playing: audio is queued for the caller. True once the caller has waited
        in silence for the deadline, less LEAD_S (the watch then starts over)."""
        if not owed or playing:
            self._since = None
            return False
        if self._since is None:
            self._since = now
        if now - self._since < self.deadline_s - LEAD_S:
            return False
        self._since = None
        return True
