"""The panel on a real data folder: a real SQLite store with calls written through the real call log (turns,
a message, a summary, a recording), real panel users of each role, the real app, and a client signed in as each
role through the real sign-in (password, then the TOTP code for owners and admins)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from appliance.call.events import (
    CallEnded,
    CallStarted,
    KnowledgeGap,
    MessageTaken,
    Outcome,
    Recorded,
    Speaker,
    TurnSpoken,
)
from appliance.call.recorder import CallRecorder
from appliance.cli import init
from appliance.config import Settings, load_settings
from appliance.reception.summary import summarize
from appliance.service import Appliance
from appliance.storage.calllog import CallLog
from appliance.storage.store import CallStore
from sip.media import FRAME_BYTES, SILENCE
from tests.web.signin import PASSWORD, FakeClock, User, accounts, client, seed_users, sign_in
from web.app import create_app

ANA = "+15550199887"  # two calls, the first recorded, with a message
BO = "+15550100142"  # one call, for the dental brand's other line
WITHHELD = "anonymous"
USERS = {"owner": 1, "admin": 2, "staff": 3, "viewer": 4, "root": 5}  # root: a role the matrix does not know
ROLES = ("owner", "admin", "staff", "viewer")
__all__ = ["PASSWORD"]


def wav(frames: int = 50) -> bytes:
    """A real stereo call recording (the call recorder's WAV) with a tone on the caller's side."""
    recorder = CallRecorder()
    tone = (np.sin(np.arange(FRAME_BYTES // 2) / 3) * 8000).astype("<i2").tobytes()
    recorder.received.extend([tone] * frames)
    recorder.sent.extend([SILENCE] * frames)
    return recorder.wav()


def write_call(log: CallLog, call_id: str, caller: str, at: float, *, name: str = "", brand: str = "dental",
               said: str = "I would like a cleaning", message: bool = False, recorded: bool = False,
               length: float = 61.0, outcome: Outcome = Outcome.ANSWERED) -> None:
    """One call through the real call log, as the switchboard's bus delivers it."""
    log(call_id, CallStarted(call_id, caller, "+15550000001", at, name, "127.0.0.1:5062", "G722", f"sip-{call_id}",
                             brand))
    log(call_id, TurnSpoken(Speaker.RECEPTIONIST, "Good morning, Smile Dental.", 0.2, 1.8, {"tts_ms": 40.0}))
    log(call_id, TurnSpoken(Speaker.CALLER, said, 2.5, 4.0, {"stt_ms": 120.0}))
    if message:
        log(call_id, MessageTaken("Ana Lopez", ANA, "wants a cleaning next week", "urgent", at + 20, "dr-lee"))
    log(call_id, KnowledgeGap("do you whiten teeth", brand, at + 30))
    log(call_id, CallEnded(Outcome.MESSAGE_TAKEN if message else outcome, "caller hung up", at + length))
    if recorded:
        log(call_id, Recorded(wav(), 1.0))


def seed(settings: Settings) -> list[User]:
    """Three callers' calls, and the panel's users: one of each role (and one of an unknown role)."""
    store = CallStore.open(settings)
    try:
        log = CallLog(store, settings.recordings_dir, summarize)
        write_call(log, "a1", ANA, 1_000_000.0, name="ANA L", message=True, recorded=True)
        write_call(log, "a2", f"tel:{ANA}", 1_100_000.0, said="Are you open on Saturday", length=20.0)
        write_call(log, "b1", BO, 1_050_000.0, name="Bo Berg", brand="bikes", recorded=True, length=300.0)
        write_call(log, "w1", WITHHELD, 1_060_000.0, outcome=Outcome.ABANDONED, length=5.0)
        return seed_users(store, list(USERS))
    finally:
        store.close()


@pytest.fixture
def users() -> dict[str, User]:
    """The seeded panel users by role (filled by `settings`)."""
    return {}


@pytest.fixture
def settings(tmp_path: Path, users: dict[str, User]) -> Settings:
    """A data folder with the seeded calls and users."""
    init(tmp_path)
    loaded = load_settings(tmp_path / "config.toml")
    users.update({user.role: user for user in seed(loaded)})
    return loaded


@pytest.fixture
def appliance(settings: Settings) -> Iterator[Appliance]:
    """The real appliance opened on the data folder (store and accounts; no models, no SIP)."""
    opened = Appliance(settings)
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
    made = create_app(appliance)
    accounts(made).clock = clock
    return made


Act = Callable[[str | None], TestClient]


@pytest.fixture
def act(app: FastAPI, users: dict[str, User]) -> Iterator[Act]:
    """A client signed in as a role's seeded user over HTTPS, sending its session's CSRF token with every request
    (None: nobody signed in, with a valid before-sign-in CSRF token); one client per role."""
    clients: dict[str | None, TestClient] = {}

    def as_role(role: str | None) -> TestClient:
        if role not in clients:
            made = client(app)
            if role is None:
                made.headers["X-CSRF-Token"] = made.get("/api/csrf").json()["csrf_token"]
            else:
                made.headers["X-CSRF-Token"] = sign_in(app, made, users[role]).csrf
            clients[role] = made
        return clients[role]

    yield as_role
    for made in clients.values():
        made.close()


def contact_of(appliance: Appliance, call_id: str) -> str:
    """The contact id of a stored call's caller."""
    return str(appliance.records.call(call_id, transcript=False)["contact_id"])


def message_of(appliance: Appliance, call_id: str) -> str:
    """The id of the message taken on a call."""
    return str(appliance.records.call(call_id, transcript=False)["messages"][0]["id"])


def recording_of(appliance: Appliance, call_id: str) -> str:
    """The id of a call's recording."""
    return str(appliance.records.call(call_id, transcript=False)["recordings"][0]["id"])
