"""The appliance's face, opened on a real data folder without models or SIP: stored calls and messages, live
events, the data folder's lock, and clear errors for what is missing or not there yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.call.events import CallEvent, DtmfPressed
from appliance.cli import init
from appliance.config import load_settings
from appliance.errors import ApplianceError, NotFoundError
from appliance.service import Appliance
from appliance.storage.locks import ServiceRunningError, exclusive_lock
from appliance.storage.store import CallStore
from tests.store.conftest import NUMBER, add_call


@pytest.fixture
def appliance(tmp_path: Path) -> Iterator[Appliance]:
    init(tmp_path)
    settings = load_settings(tmp_path / "config.toml")
    store = CallStore.open(settings)
    add_call(store, "a1", NUMBER)
    store.add_message("a1", {"name": "Ana", "callback_number": NUMBER, "reason": "a cleaning"}, at=1100.0)
    store.close()
    opened = Appliance(settings)
    opened.open()
    yield opened
    opened.close()


def test_calls_and_messages_come_from_the_store(appliance: Appliance) -> None:
    [listed] = appliance.calls(10)
    assert listed["id"] == "a1" and listed["caller_number"] == NUMBER
    assert [turn["seq"] for turn in appliance.call("a1")["turns"]] == [1, 2]
    [message] = appliance.messages(listed["contact_id"])
    assert message["name"] == "Ana" and message["reason"] == "a cleaning"


def test_unknown_ids_are_not_found(appliance: Appliance) -> None:
    with pytest.raises(NotFoundError, match="no stored call nope"):
        appliance.call("nope")
    with pytest.raises(NotFoundError, match="no stored caller nope"):
        appliance.messages("nope")
    with pytest.raises(NotFoundError, match="no call is in progress"):
        appliance.hangup("c1")


async def test_what_needs_a_started_appliance_says_so(appliance: Appliance) -> None:
    assert appliance.health()["status"] == "starting" and appliance.health()["active_calls"] == 0
    with pytest.raises(NotFoundError, match="no call is in progress"):
        appliance.transfer("c1", "sip:desk@example.com")
    with pytest.raises(ApplianceError, match="not answering calls yet"):
        await appliance.reload()
    await appliance.stop()  # never started: nothing to hang up


def test_live_events_reach_subscribers_until_they_unsubscribe(appliance: Appliance) -> None:
    seen: list[tuple[str, CallEvent]] = []

    def failing(call_id: str, event: CallEvent) -> None:
        raise RuntimeError("a broken subscriber")

    appliance.subscribe(failing)
    unsubscribe = appliance.subscribe(lambda call_id, event: seen.append((call_id, event)))
    event = DtmfPressed("5", 1.0)
    appliance.bus.publish("c1", event)  # what the switchboard does for every event of a call
    unsubscribe()
    unsubscribe()  # twice is harmless
    appliance.bus.publish("c1", DtmfPressed("6", 2.0))
    appliance.bus.close()  # delivers what is queued
    assert seen == [("c1", event)]


def test_the_open_appliance_holds_the_data_folder(appliance: Appliance) -> None:
    data_dir = appliance.settings.data_dir
    with pytest.raises(ServiceRunningError), exclusive_lock(data_dir):
        pass
    appliance.close()
    with exclusive_lock(data_dir):
        pass
    with pytest.raises(ApplianceError, match="not running"):
        appliance.calls()


async def test_the_panel_edits_the_profile_through_the_face(appliance: Appliance) -> None:
    sample = appliance.settings.business.profile.read_text()
    assert appliance.profile_versions() == [] and appliance.health()["profile_version"] == 0  # read at start-up
    refused = await appliance.save_profile(sample.replace("[hours]", "[hours]\nfunday = ['08:00-17:00']"), "panel:ann")
    assert not refused.ok and "hours: Value error" in refused.problems and "funday" in refused.problems
    saved = await appliance.save_profile(sample.replace("95 dollars", "99 dollars"), "panel:ann")
    assert (saved.ok, saved.changed, saved.version) == (True, True, 1)
    assert "99 dollars" in appliance.profile_text()
    assert (await appliance.save_profile(sample, "panel:bo")).version == 2
    restored = await appliance.restore_profile_version(1, "panel:ann")
    assert restored.version == 3 and "99 dollars" in appliance.profile_text() and sample == appliance.profile_text(2)
    assert [(v["version"], v["source"], v["restored_from"], v["live"]) for v in appliance.profile_versions()] == [
        (3, "panel:ann", 1, True), (2, "panel:bo", None, False), (1, "panel:ann", None, False)]
    appliance.close()
    with pytest.raises(ApplianceError, match="not running"):
        appliance.profile_text()
