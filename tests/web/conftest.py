"""Fixtures of the panel tests: the real app over a real data folder (store, accounts) with a clock tests move."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from appliance.cli import init
from appliance.config import load_settings
from appliance.service import Appliance
from tests.web.signin import FakeClock, PanelClient, accounts, signed_in
from web.app import create_app


@pytest.fixture
def appliance(tmp_path: Path) -> Iterator[Appliance]:
    """An opened appliance (store and accounts; no models, no SIP) on a new data folder."""
    init(tmp_path)
    opened = Appliance(load_settings(tmp_path / "config.toml"))
    opened.open()
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FakeClock:
    """The accounts' clock: sessions and codes follow it; tests advance it instead of sleeping."""
    return FakeClock()


@pytest.fixture
def app(appliance: Appliance, clock: FakeClock) -> FastAPI:
    """The real panel app on the appliance, its accounts on the test clock."""
    built = create_app(appliance)
    accounts(built).clock = clock
    return built


@pytest.fixture
def signed_in_as(app: FastAPI) -> Callable[[str], PanelClient]:
    """A factory: `signed_in_as("admin")` is an HTTPS client signed in as a new admin (`.csrf` is its token)."""
    return lambda role: signed_in(app, role)
