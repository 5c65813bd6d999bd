"""The call log as a bus subscriber: a call's events reach the store in order, and its summary is stored,
encrypted, when it ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from appliance.bus import EventBus
from appliance.call.events import CallEnded, CallStarted, MessageTaken, Outcome, Speaker, TurnSpoken
from appliance.reception.profile import BusinessProfile
from appliance.reception.summary import summarize
from appliance.storage.calllog import CallLog
from appliance.storage.store import CallStore
from appliance.switchboard import Switchboard
from tests.store.conftest import NUMBER
from tests.unit.test_callrun import FakeEngines, make


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


async def test_a_blocked_caller_declined_before_answering_is_still_logged(store: CallStore, tmp_path: Path) -> None:
    """603 Decline for a blocked number: the caller is refused, and the call log keeps who rang, when, and why
    the call was not answered."""
    profile = BusinessProfile.model_validate({"name": "Maple Street Dental", "blocked": ["+1 (555) 010-0999"],
                                              "blocked_action": "decline", "numbers": ["frontdesk"]})
    bus = EventBus()
    bus.subscribe(CallLog(store, tmp_path / "recordings", summarize), name="call-log", backlog=None)
    ctx = make(profile, FakeEngines(None, None, None)).run.ctx  # type: ignore[arg-type]
    board = Switchboard(lambda _called: ctx, bus, asyncio.get_running_loop())
    assert board.screen("+12025550123", "reception", "sip-ok") == 0
    # the request URI named the brand's line and the To header another: the call is stored as to the brand's
    assert board.screen("sip:15550100999@10.0.0.2", "reception", "sip-blocked", "frontdesk") == 603
    await asyncio.sleep(0.05)  # the record is published on the loop
    await asyncio.to_thread(bus.close)
    [row] = store.recent_calls()
    assert (row["outcome"], row["sip_call_id"], row["called"]) == ("blocked", "sip-blocked", "frontdesk")
    assert row["answered_at"] is None and row["duration_s"] == 0 and row["billing_minutes"] == 0  # never answered
    summary = store.summary(str(row["id"]))
    assert summary is not None and "called from a blocked number" in summary, summary
