"""The scenario suite played fast: every scripted call through the real conversation code (see `fast.py`).

A scenario for a feature not built yet (`needs`) is a strict xfail: the suite stays green while it fails, and
turns red once the feature makes it pass, so that its `needs` is removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.scenarios.conftest import Result
from tests.scenarios.fast import FastRunner
from tests.scenarios.scenario import CallRecord, Exchange, Scenario, Step, check, load_scenarios, summary, transcript

SCENARIOS = load_scenarios()
COVERED = ("hours", "facts", "transfer-name", "transfer-role", "transfer-need", "transfer-outcome", "warm-transfer",
           "message", "call-handling", "brands", "statement")


def _param(scenario: Scenario) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"not built yet: {scenario.needs}")] if scenario.needs else []
    return pytest.param(scenario, id=scenario.id, marks=marks)


@pytest.fixture(scope="module")
def runner() -> Iterator[FastRunner]:
    """One runner for the module: the LLM and the brands' contexts are made once."""
    fast = FastRunner()
    yield fast
    fast.close()


@pytest.mark.parametrize("scenario", [_param(s) for s in SCENARIOS])
def test_scenario(scenario: Scenario, runner: FastRunner, scenario_results: list[Result]) -> None:
    record = runner.play(scenario)
    failures = check(scenario, record)
    scenario_results.append((scenario, record, failures))
    assert not failures, "\n".join([*failures, transcript(record)])


def test_the_suite_covers_the_issue() -> None:
    counts = Counter(s.category for s in SCENARIOS)
    assert len(SCENARIOS) >= 40
    assert set(COVERED) <= set(counts), counts
    phrasings = {c: counts[c] for c in ("transfer-name", "transfer-role", "transfer-need")}
    assert min(phrasings.values()) >= 3, phrasings
    assert {s.called for s in SCENARIOS} >= {"reception", "bikes"}
    assert counts["statement"] >= 10  # callers who tell rather than ask, each scored for non-sequiturs too


def test_every_transfer_names_a_member_of_the_called_brand() -> None:
    runner_profile = FastRunner.load_profile()
    for scenario in SCENARIOS:
        team = {m.id for m in runner_profile.brand_for(scenario.called).team}
        assert not scenario.transfer_to or scenario.transfer_to in team, scenario.id


def test_a_statement_is_scored_for_a_non_sequitur_and_for_its_next_step() -> None:
    told = Scenario("told", "statement", "t.toml", (Step("My tooth hurts."),), reply_has=("message",))
    mourned = CallRecord(exchanges=[Exchange("My tooth hurts.", ["I'm sorry for your loss."])])
    helped = CallRecord(exchanges=[Exchange("My tooth hurts.", ["I'm sorry to hear that. I can take a message."])])
    assert check(told, mourned) == ["the call lacks 'message'", "a non-sequitur: 'sorry for your loss'"]
    assert check(told, helped) == []
    lines = summary([(told, mourned, check(told, mourned)), (told, helped, [])], "test")
    assert lines[1] == "statements (2): 1 with no non-sequitur (50 %), 1 offer the right next step (50 %)"
