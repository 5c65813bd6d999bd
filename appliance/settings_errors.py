"""Turn pydantic validation errors into messages that name the file, the key and what is expected."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


def describe_validation_error(path: Path | str, exc: ValidationError, within: tuple[str | int, ...] = ()) -> str:
    """One line per bad key: `file: key: what is wrong` (`within`: where the file's own keys sit in the model,
    left out of the key: a one-business profile is validated as `brands.0`)."""
    lines = [f"{path} has {exc.error_count()} problem(s):"]
    for err in exc.errors():
        loc = err["loc"][len(within):] if err["loc"][:len(within)] == within else err["loc"]
        key = ".".join(str(part) for part in loc) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key; check its spelling against the commented sample config"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)
