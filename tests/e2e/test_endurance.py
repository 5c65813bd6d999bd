"""Endurance, the fast variant (the full run: `python -m bench.endurance`, 500 calls): 10 short calls in a row
against one running appliance, over real SIP with the real models; afterwards its file descriptors and threads
are back where they were after the warm-up, and its memory grew by little."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.endurance import endure, short_data_dir
from tests.e2e.support import start_appliance

pytestmark = pytest.mark.sip

CALLS = 10
GROWTH_MB = 25.0  # over 10 calls (the full run's bound is 50 MB over 500)


def test_ten_calls_in_a_row_leak_no_descriptor_nor_thread(questions: dict[str, Path], tmp_path: Path) -> None:
    appliance = start_appliance(short_data_dir(tmp_path / "data"))
    try:
        run = endure(appliance, [questions["parking"], questions["pet"]], tmp_path / "calls", calls=CALLS,
                     batch_size=CALLS // 2, until=time.monotonic() + 600)
    finally:
        assert appliance.stop() == 0
    assert len(run.calls) == CALLS and all(c["answered"] for c in run.calls)
    assert len(run.latencies()) == CALLS  # every question got a reply
    first, *_, last = run.samples
    print(f"\n  after the warm-up {first}, after {CALLS} calls {last}")
    assert (last.fds, last.threads) == (first.fds, first.threads)
    assert last.rss_mb - first.rss_mb < GROWTH_MB
    assert "Traceback" not in appliance.log.read_text()
