"""The panel on a real data folder: a real SQLite store with calls written through the real call log (turns,
a message, a summary, a recording), the real app, and a client acting as each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI, HTTPException, Request
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
from web.app import create_app
from web.principal import Principal, current_principal

ANA = "+15550199887"  # two calls, the first recorded, with a message
BO = "+15550100142"  # one call, for the dental brand's other line
WITHHELD = "anonymous"
PASSWORD = "correct horse battery"
USERS = {"owner": 1, "admin": 2, "staff": 3, "viewer": 4}
ROLES = ("owner", "admin", "staff", "viewer")


class PanelAppliance(Appliance):
    """The real appliance, plus the password check the sign-in branch adds to the face (`verify_password`); here
    every user's password is PASSWORD."""

    def verify_password(self, user_id: int, password: str) -> bool:
        return user_id in USERS.values() and password == PASSWORD


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


def seed(settings: Settings) -> None:
    """Three callers' calls and the four panel users."""
    store = CallStore.open(settings)
    try:
        log = CallLog(store, settings.recordings_dir, summarize)
        write_call(log, "a1", ANA, 1_000_000.0, name="ANA L", message=True, recorded=True)
        write_call(log, "a2", f"tel:{ANA}", 1_100_000.0, said="Are you open on Saturday", length=20.0)
        write_call(log, "b1", BO, 1_050_000.0, name="Bo Berg", brand="bikes", recorded=True, length=300.0)
        write_call(log, "w1", WITHHELD, 1_060_000.0, outcome=Outcome.ABANDONED, length=5.0)
        store.write([("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (?, ?, 'x', ?, 0)",
                      [user_id, f"{role}-user", role]) for role, user_id in USERS.items()])
    finally:
        store.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    init(tmp_path)
    loaded = load_settings(tmp_path / "config.toml")
    seed(loaded)
    return loaded


@pytest.fixture
def appliance(settings: Settings) -> Iterator[PanelAppliance]:
    opened = PanelAppliance(settings)
    opened.open()
    yield opened
    opened.close()


ROLE_HEADER = "x-test-role"  # which role's user a test client acts as (the sign-in branch makes this real)


def principal_of(request: Request) -> Principal:
    """The test stand-in for sign-in: the user of the role a test client names, or 401 like the real one."""
    role = request.headers.get(ROLE_HEADER)
    if role is None:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return Principal(USERS.get(role, 99), f"{role}-user", role)


@pytest.fixture
def app(appliance: PanelAppliance) -> FastAPI:
    made = create_app(appliance)
    made.dependency_overrides[current_principal] = principal_of
    return made


Act = Callable[[str | None], TestClient]


@pytest.fixture
def act(app: FastAPI) -> Iterator[Act]:
    """A client acting as a role's user (None: nobody signed in); one client per role."""
    clients: dict[str | None, TestClient] = {}

    def as_role(role: str | None) -> TestClient:
        if role not in clients:
            headers = {} if role is None else {ROLE_HEADER: role}
            clients[role] = TestClient(app, headers=headers, follow_redirects=False).__enter__()
        return clients[role]

    yield as_role
    for made in clients.values():
        made.__exit__(None, None, None)


def contact_of(appliance: Appliance, call_id: str) -> str:
    """The contact id of a stored call's caller."""
    return str(appliance.records.call(call_id, transcript=False)["contact_id"])


def message_of(appliance: Appliance, call_id: str) -> str:
    """The id of the message taken on a call."""
    return str(appliance.records.call(call_id, transcript=False)["messages"][0]["id"])


def recording_of(appliance: Appliance, call_id: str) -> str:
    """The id of a call's recording."""
    return str(appliance.records.call(call_id, transcript=False)["recordings"][0]["id"])
