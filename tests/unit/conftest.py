"""Shared fixtures for the pure tests: the sample profile that `receptionist init` writes."""

import tomllib
from importlib import resources

import pytest

from appliance.reception.profile import BusinessProfile


@pytest.fixture
def profile() -> BusinessProfile:
    text = resources.files("appliance").joinpath("business_template.toml").read_text(encoding="utf-8")
    return BusinessProfile.model_validate(tomllib.loads(text))


@pytest.fixture
def clinic() -> BusinessProfile:
    return BusinessProfile.model_validate({
        "name": "Maple Street Dental", "timezone": "America/New_York", "front_desk": "desk",
        "hours": {d: ["08:00-12:00", "13:00-17:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
        "team": [
            {"id": "desk", "name": "Front desk", "target": "200"},
            {"id": "ann", "name": "Ann Lee", "role": "billing", "department": "accounts", "target": "201"},
            {"id": "okafor", "name": "Dr. Chidi Okafor", "role": "dentist", "target": "202",
             "hours": {"monday": ["08:00-12:00"]}},
            {"id": "oncall", "name": "Sam Rivera", "role": "on-call dentist", "target": "+15550199"},
        ],
        "routes": [
            {"need": "insurance claims", "words": ["invoice", "bill", "payment", "insurance"], "to": "ann"},
            {"need": "emergency", "words": ["bleeding", "swollen", "severe pain"], "to": "oncall", "when": "closed",
             "urgent_only": False},
        ],
    })
