"""The live business profile on a real store: the file imported at start-up and when it changes, an invalid file
refused with the live version kept, saves and restores through the face, versions stored by another process, and
the next call (a real CallRun, from the run context the switchboard picks) answering from the new version."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from importlib import resources
from pathlib import Path

import pytest

from appliance.call.context import Reception, build_reception
from appliance.call.events import CallStarted, Speaker, TurnSpoken
from appliance.call.inputs import CallerText, Inputs
from appliance.call.run import CallRun
from appliance.clock import Clock
from appliance.config import Settings
from appliance.errors import ApplianceError, ConfigError, NotFoundError
from appliance.live_profile import LiveProfile
from appliance.reception.profile import Profile
from appliance.storage.store import CallStore
from models import Synthesizer
from tests.unit.test_callrun import OPEN_HOURS, FakeEngines, FakeLine, Harness, converse

TEMPLATE = resources.files("appliance").joinpath("business_template.toml").read_text(encoding="utf-8")
BIKES = TEMPLATE.replace("Maple Street Dental", "Spoke & Chain Bikes").replace("95 dollars", "40 dollars")
BAD = TEMPLATE.replace('timezone = "America/New_York"', 'timezone = "Mars/Olympus"')


class WarmChat:
    """The LLM's prompt warm-up, which is all a profile change asks of it."""

    def warm(self, prompt: str) -> None:
        """Nothing to warm in a fake."""


def load_voice(model: Path, config: Path | None) -> Synthesizer:
    """A brand's own voice: this stage test has none, so a named voice file must be missing."""
    raise ApplianceError(f"voice file {model} not found (brands.voice)")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    written = tmp_path / "business.toml"
    written.write_text(TEMPLATE, encoding="utf-8")
    return written


@pytest.fixture
def engines() -> FakeEngines:
    return FakeEngines(None, WarmChat(), None)  # type: ignore[arg-type]


async def started(store: CallStore, path: Path, engines: FakeEngines) -> LiveProfile:
    """What the appliance does at start-up, with fake engines: import the file if newer, build the live version."""
    live = LiveProfile(store, path)
    live.import_file()
    await live.start(lambda profile: build(engines, profile))
    return live


async def build(engines: FakeEngines, profile: Profile) -> Reception:
    """The appliance's way to make a profile ready for calls (run contexts, phrases synthesized ahead)."""
    return await build_reception(Settings(), engines, profile, load_voice, Clock(OPEN_HOURS))


async def next_call(live: LiveProfile, engines: FakeEngines, question: str = "How much is a cleaning?") -> list[str]:
    """A call answered from the run context the switchboard would pick: what the receptionist says."""
    ctx = live.for_called("reception")
    inputs: Inputs = asyncio.Queue()
    line, events = FakeLine(inputs), []
    run = CallRun(ctx, CallStarted("c1", "5550100", "reception", time.time()), line, events.append)
    h = Harness(run, inputs, line.playout, events, line.hangups, line)
    h.inputs.put_nowait(CallerText(question))

    async def hang_up_after_the_answer() -> None:
        while len(h.turns(Speaker.RECEPTIONIST)) < 2:
            await asyncio.sleep(0.01)
        h.caller_hangs_up()

    hanging = asyncio.ensure_future(hang_up_after_the_answer())
    await converse(h)
    await hanging
    return [e.text for e in events if isinstance(e, TurnSpoken) and e.speaker is Speaker.RECEPTIONIST]


def rewrite(path: Path, text: str) -> None:
    """An installer's edit, a moment after whatever the store holds (file times are as fine as the clock)."""
    path.write_text(text, encoding="utf-8")
    later = time.time() + 1
    os.utime(path, (later, later))


async def test_the_file_is_imported_once_and_calls_answer_from_the_store(store: CallStore, path: Path,
                                                                         engines: FakeEngines) -> None:
    live = await started(store, path, engines)
    assert [(v["version"], v["source"]) for v in live.versions()] == [(1, "file")]
    greeting, answer = await next_call(live, engines)
    assert "Maple Street Dental" in greeting and "95 dollars" in answer
    await started(store, path, engines)  # a restart with the same file stores nothing
    assert store.profiles.live_number() == 1


async def test_a_changed_file_applies_to_the_next_call(store: CallStore, path: Path, engines: FakeEngines) -> None:
    live = await started(store, path, engines)
    rewrite(path, BIKES)
    await live.refresh()  # one poll of the watcher
    assert live.version == 2 and store.profiles.live() is not None
    greeting, answer = await next_call(live, engines)
    assert "Spoke & Chain Bikes" in greeting and "40 dollars" in answer
    await live.refresh()  # nothing changed since: nothing stored
    assert store.profiles.live_number() == 2


async def test_an_invalid_file_is_refused_and_the_live_version_stays(store: CallStore, path: Path,
                                                                     engines: FakeEngines,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    live = await started(store, path, engines)
    rewrite(path, BAD)
    with caplog.at_level(logging.ERROR):
        await live.refresh()
    assert f"{path} has 1 problem(s):" in caplog.text and "timezone: Value error, unknown time zone" in caplog.text
    assert store.profiles.live_number() == 1 and live.version == 1
    assert "Maple Street Dental" in (await next_call(live, engines))[0]
    await started(store, path, engines)  # a restart with the bad file answers from the store, and says so
    assert "until the file is fixed" in caplog.text


async def test_no_stored_profile_and_a_bad_or_missing_file_fails_as_before(store: CallStore, path: Path) -> None:
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(ConfigError, match="timezone"):
        LiveProfile(store, path).import_file()
    with pytest.raises(ConfigError, match="not found; run 'receptionist init'"):
        LiveProfile(store, path.with_name("nowhere.toml")).import_file()


async def test_the_panel_saves_and_the_next_call_uses_it(store: CallStore, path: Path, engines: FakeEngines,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    live = await started(store, path, engines)
    refused = await live.save(BAD, "panel:ann")
    assert not refused.ok and not refused.changed and refused.version == 1
    assert "the profile saved by panel:ann has 1 problem(s):" in refused.problems
    assert "timezone: Value error, unknown time zone 'Mars/Olympus'" in refused.problems
    voiced = await live.save(TEMPLATE.replace("[recording]", 'voice = "voices/none.onnx"\n\n[recording]'), "panel:ann")
    assert not voiced.ok and "none.onnx not found" in voiced.problems  # built before stored: never a dead version
    saved = await live.save(BIKES, "panel:ann")
    assert (saved.ok, saved.changed, saved.version) == (True, True, 2)
    assert "Spoke & Chain Bikes" in (await next_call(live, engines))[0]
    assert (await live.save(BIKES, "panel:bo")).changed is False
    assert live.text() == BIKES and live.text(1) == TEMPLATE and path.read_text() == TEMPLATE  # the file is input
    with caplog.at_level(logging.WARNING):
        restarted = await started(store, path, engines)  # the file is older than the panel's version: not read
    assert restarted.version == 2 and "is older than the live business profile (version 2" in caplog.text


async def test_restore_stores_the_old_text_again(store: CallStore, path: Path, engines: FakeEngines) -> None:
    live = await started(store, path, engines)
    await live.save(BIKES, "panel:ann")
    restored = await live.restore(1, "panel:bo")
    assert (restored.changed, restored.version) == (True, 3)
    assert live.versions()[0] == {"version": 3, "source": "panel:bo", "created_at": live.versions()[0]["created_at"],
                                  "restored_from": 1, "live": True}
    assert "Maple Street Dental" in (await next_call(live, engines))[0]
    with pytest.raises(NotFoundError, match="no stored profile version 7"):
        await live.restore(7, "panel:bo")


async def test_a_version_stored_by_another_process_is_followed(store: CallStore, path: Path, engines: FakeEngines,
                                                               db_path: Path, key_path: Path) -> None:
    live = await started(store, path, engines)
    other = CallStore(db_path, key_path)  # `receptionist profile import` while the appliance runs
    try:
        other.profiles.add(BIKES, "cli")
    finally:
        other.close()
    await live.refresh()
    assert live.version == 2 and "Spoke & Chain Bikes" in (await next_call(live, engines))[0]


def test_the_panels_questions_need_no_models(store: CallStore, path: Path) -> None:
    live = LiveProfile(store, path)  # a panel process: the store only
    with pytest.raises(NotFoundError, match="no business profile is stored yet"):
        live.text()
    saved = asyncio.run(live.save(BIKES, "panel:ann"))
    assert saved.changed and live.text() == BIKES
    with pytest.raises(ApplianceError, match="not answering calls yet"):
        live.for_called("reception")
