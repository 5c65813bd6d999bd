"""Shared fixtures for the pure tests: the sample profile that `receptionist init` writes."""

import tomllib
from importlib import resources

import pytest

from appliance.reception.profile import BusinessProfile


@pytest.fixture
def profile() -> BusinessProfile:
    text = resources.files("appliance").joinpath("business_template.toml").read_text(encoding="utf-8")
    return BusinessProfile.model_validate(tomllib.loads(text))
