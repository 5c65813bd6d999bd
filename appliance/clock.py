"""The wall clock the receptionist reads (opening hours, who can be reached): the real one, or one started at a
chosen moment, to try how the box answers on a holiday or at night (`RECEPTIONIST_CLOCK`, `simulate --at`)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from appliance.errors import ConfigError

CLOCK_ENV = "RECEPTIONIST_CLOCK"


class Clock:
    """Real time, shifted so that it read `start` when it was made (no shift without a start)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._shift = 0.0 if start is None else start.timestamp() - time.time()
        self.shifted = start is not None

    def now(self) -> datetime:
        """The current moment (timezone-aware, UTC)."""
        return datetime.fromtimestamp(time.time() + self._shift, UTC)


def parse_moment(text: str) -> datetime:
    """'2026-12-25T10:00-05:00', or '2026-12-25 10:00' (read as UTC); a clear error otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"'{text}' is not a moment; write it like 2026-12-25T10:00-05:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def clock_from_env() -> Clock:
    """The real clock, or one started at $RECEPTIONIST_CLOCK (for trying after-hours behaviour and for tests)."""
    start = os.environ.get(CLOCK_ENV, "").strip()
    return Clock(parse_moment(start) if start else None)
