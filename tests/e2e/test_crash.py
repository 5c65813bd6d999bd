"""`kill -9` of the running appliance in the middle of calls, a short run of the bench (`python -m bench.crash`
runs 50 rounds): every call answered before a kill is stored afterwards, ended or `interrupted`, the store is
whole (`receptionist check`), and each restart is healthy and answers a new call."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from bench.crash import run_rounds
from tests.e2e.support import have_espeak

pytestmark = pytest.mark.sip

ROUNDS, CALLS = 2, 2


def test_calls_survive_a_kill_9_of_the_appliance(tmp_path: Path) -> None:
    if not have_espeak():
        pytest.fail("espeak-ng is missing: run scripts/setup.sh --dev")
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.randrange(2**32))
    print(f"crash seed {seed}: replay with CRASH_TEST_SEED={seed} or python -m bench.crash --seed {seed}")
    totals = run_rounds(tmp_path, ROUNDS, CALLS, seed)
    assert totals.failures == [], "\n".join(totals.failures)
    assert (totals.rounds, totals.answered, sum(totals.outcomes.values())) == (ROUNDS, ROUNDS * CALLS,
                                                                               ROUNDS * CALLS)
    assert "in-progress" not in totals.outcomes
