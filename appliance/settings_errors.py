"""Turn pydantic validation errors into messages that name the file, the key and what is expected."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


def describe_validation_error(path: Path | str, exc: ValidationError) -> str:
    """One line per bad key: `file: key: what is wrong`."""
    lines = [f"{path} has {exc.error_count()} problem(s):"]
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the commented sample config"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)
