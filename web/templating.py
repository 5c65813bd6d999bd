"""The panel's Jinja2 templates (autoescaped) and the filters that show times and durations to people."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"


def when(seconds: float | None) -> str:
    """A Unix time as the box's local date and time, to the minute."""
    return "" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def duration(seconds: float | None) -> str:
    """A call's length as people say it: `2 min 05 s`, `45 s`."""
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def offset(seconds: float | None) -> str:
    """An offset from the answer, as m:ss.s."""
    if seconds is None:
        return ""
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def templates() -> Jinja2Templates:
    """The panel's templates with their filters."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    found.env.filters.update(when=when, duration=duration, offset=offset)
    return found


PAGES = templates()  # one environment for every page and error page
