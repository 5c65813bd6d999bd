"""Shared fixtures for the store tests: a real SQLite file with its key file, and a sample call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.call.events import CallEnded, CallStarted, DtmfPressed, Outcome, Speaker, TurnSpoken
from appliance.storage.store import CallStore

NUMBER = "+15550199887"
PHRASE = "zebra canary phrase"
OTHER = "+15550100142"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "receptionist.db"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "master.key"


@pytest.fixture
def store(db_path: Path, key_path: Path) -> Iterator[CallStore]:
    opened = CallStore(db_path, key_path)
    yield opened
    opened.close()


def add_call(store: CallStore, call_id: str, caller: str = NUMBER, phrase: str = PHRASE, *, at: float = 1000.0,
             name: str = "Ana Canary", turns: int = 2) -> str:
    """A complete call: answered, `turns` turns (the first says `phrase`), a DTMF key, ended after 61 s."""
    store.open_call(call_id, CallStarted(call_id, caller, "+15550000001", at, name, "127.0.0.1:5062", "G722",
                                         f"sip-{call_id}"))
    for seq in range(turns):
        speaker = Speaker.CALLER if seq % 2 == 0 else Speaker.RECEPTIONIST
        text = f"I said the {phrase}" if seq == 0 else f"turn {seq}"
        store.record(call_id, TurnSpoken(speaker, text, seq, seq + 0.5, {"stt_ms": 12.0}))
    store.record(call_id, DtmfPressed("7", at + 3))
    store.record(call_id, CallEnded(Outcome.ANSWERED, "caller hung up", at + 61))
    return call_id


def file_bytes(db_path: Path) -> bytes:
    """The database file and its -wal and -shm files, concatenated."""
    return b"".join(Path(f"{db_path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                    if Path(f"{db_path}{suffix}").exists())


def contains(data: bytes, text: str) -> bool:
    """Whether `text` appears in `data` as UTF-8 or UTF-16 (either byte order)."""
    return any(text.encode(encoding) in data for encoding in ("utf-8", "utf-16-le", "utf-16-be"))
