"""The scenario suite's summary: after the run, the success rate and every failure with its transcript."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scenarios.scenario import CallRecord, Scenario, summary

Result = tuple[Scenario, CallRecord, list[str]]  # a played scenario, what the call did, why it failed
_RESULTS = pytest.StashKey[list[Result]]()


@pytest.fixture(scope="session")
def scenario_results(request: pytest.FixtureRequest) -> Iterator[list[Result]]:
    """Where each played scenario's record and failures go, for the summary."""
    results = request.config.stash.setdefault(_RESULTS, [])
    yield results


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the suite's summary when scenarios were played."""
    results = config.stash.get(_RESULTS, [])
    if results:
        terminalreporter.section("scenario suite")
        for line in summary(results, "fast: typed turns, real policy and LLM"):
            terminalreporter.write_line(line)
