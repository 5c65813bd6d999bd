"""Change keys of one section of the config file in place, keeping its comments and layout (`models fetch`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from appliance.config import load_settings

Value = str | int | bool | None


def toml_value(value: str | int | bool) -> str:
    """A value as TOML writes it (a JSON string is a valid TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else json.dumps(value)


def _section_bounds(lines: list[str], section: str) -> tuple[int, int] | None:
    """The line range [start, end) of a section's body, or None when the file has no such section."""
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == f"[{section}]"), None)
    if start is None:
        return None
    end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    return start, end


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    """The line that sets `key`; else the one that shows it switched off (`# key = ...`, exactly one '#')."""
    setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
    switched_off = re.compile(rf"^# ?{re.escape(key)}\s*=")
    found = [i for i in range(start, end) if setting.match(lines[i])]
    found = found or [i for i in range(start, end) if switched_off.match(lines[i])]
    return found[0] if found else None


def _new_line(old: str, key: str, value: Value) -> str:
    """The line for `key`: `key = value` keeping a trailing comment, or switched off (`# key = ""`) for None."""
    if value is None:
        return f'# {key} = ""'
    match = re.match(r'^\s*#?\s*\S+\s*=\s*("(?:[^"\\]|\\.)*"|[^#\s]+)?(\s+#.*)?$', old)
    comment = match.group(2) if match and match.group(2) and not old.startswith("#") else ""
    return f"{key} = {toml_value(value)}{comment}"


def set_keys(text: str, section: str, values: dict[str, Value]) -> str:
    """The config text with `values` set in `section` (None switches a key off, so its default applies); a key
    missing from the file is added at the end of the section, a missing section at the end of the file."""
    lines = text.splitlines()
    bounds = _section_bounds(lines, section)
    if bounds is None:
        lines += ["", f"[{section}]"]
        bounds = (len(lines), len(lines))
    start, end = bounds
    for key, value in values.items():
        index = _key_line(lines, start, end, key)
        if index is not None:
            lines[index] = _new_line(lines[index], key, value)
        elif value is not None:
            last = max((i for i in range(start, end) if lines[i].strip()), default=start - 1)
            lines.insert(last + 1, _new_line("", key, value))
            end += 1
    return "\n".join(lines) + "\n"


def rewrite_config(path: Path, section: str, values: dict[str, Value]) -> None:
    """Set keys in the config file: the new text is checked (it must load) before it replaces the old one
    atomically, with the same permissions."""
    text = set_keys(path.read_text(encoding="utf-8"), section, values)
    fd, temp_name = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        shutil.copymode(path, temp)
        load_settings(temp)  # a ConfigError here names the key; the old file stays as it was
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
