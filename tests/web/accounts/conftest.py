"""The sign-in and account tests start from a data folder as `scripts/setup.sh` leaves it: no calls, no users."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.cli import init
from appliance.config import Settings, load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A new data folder: no panel account exists."""
    init(tmp_path)
    return load_settings(tmp_path / "config.toml")
