"""The call log as a bus subscriber: a call's events reach the store in order, and its summary is stored,
encrypted, when it ends."""

from __future__ import annotations

from pathlib import Path

from appliance.bus import EventBus
from appliance.call.events import CallEnded, CallStarted, MessageTaken, Outcome, Speaker, TurnSpoken
from appliance.reception.summary import summarize
from appliance.storage.calllog import CallLog
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER


def test_a_call_through_the_bus_is_logged_with_its_summary(store: CallStore, db_path: Path, tmp_path: Path) -> None:
    bus = EventBus()
    bus.subscribe(CallLog(store, tmp_path / "recordings", summarize), name="call-log", backlog=None)
    for event in (CallStarted("c1", NUMBER, "desk", 100.0, "Zed Canary"),
                  TurnSpoken(Speaker.CALLER, "Please take a message", 0.5, 1.5),
                  TurnSpoken(Speaker.RECEPTIONIST, "Please tell me ...", 1.6, 3.0, intent="take-message"),
                  MessageTaken("Zed", NUMBER, "Zed here, my filling broke", "normal", 104.0),
                  CallEnded(Outcome.MESSAGE_TAKEN, "caller hung up", 110.0)):
        bus.publish("c1", event)
    bus.close()
    call = store.call("c1")
    assert call["outcome"] == "message-taken" and [t["seq"] for t in call["turns"]] == [1, 2]
    summary = store.summary("c1")
    assert summary is not None and summary.startswith("Zed Canary (") and "my filling broke" in summary
    store.checkpoint()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))
    assert b"filling broke" not in raw  # the summary is stored encrypted
