"""One error root: every code a user or the call log can see is raised somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda c: c.name)
def test_every_error_code_is_used(code: ErrorCode) -> None:
    uses = re.compile(rf"ErrorCode\.{code.name}\b")
    assert any(uses.search(p.read_text(encoding="utf-8")) for p in (ROOT / "appliance").rglob("*.py")), (
        f"ErrorCode.{code.name} is never raised: use it or remove it")
