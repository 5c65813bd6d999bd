"""The returning-caller port: how a run learns the stored name of its caller without touching the database.

The appliance hands the switchboard a `KnownName` (backed by `CallStore.known_name`); the run calls it in a
worker thread, because the store is synchronous, and waits at most NAME_WAIT_S: a slow or failing lookup means
a plain greeting, never a late one. Names are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)
KnownName = Callable[[str], str | None]  # a caller's number as it arrived -> the name they go by, or None
NAME_WAIT_S = 0.05  # the longest the greeting waits for the name


async def name_in_time(known_name: KnownName | None, number: str, wait_s: float = NAME_WAIT_S) -> str | None:
    """The caller's stored name, looked up off the loop; None when there is no lookup, no name, or no answer
    within `wait_s` (the thread finishes on its own; its answer is dropped)."""
    if known_name is None:
        return None
    try:
        return await asyncio.wait_for(asyncio.to_thread(known_name, number), wait_s)
    except TimeoutError:
        _LOGGER.info("the caller's stored name took over %.0f ms: greeted without it", wait_s * 1000)
    except Exception as exc:  # a broken lookup must not cost the caller the greeting
        _LOGGER.warning("the caller's stored name could not be looked up (%s): greeted without it",
                        type(exc).__name__)  # the type only: a message could quote stored data
    return None
