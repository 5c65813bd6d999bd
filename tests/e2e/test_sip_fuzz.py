"""PROTOS c07-sip against the full running appliance, a sample of it (the whole suite: `python -m bench.protos`):
every 10th case over UDP and 50 over TCP, then an unknown method, an oversized message and a header flood.
After each, an OPTIONS probe is answered within 500 ms; afterwards the appliance is alive, grew by less than
10 MB, answers a genuine call, and never wrote the cases' caller number to its log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.protos import ARCHIVE, CALLER_NUMBER, Case, Prober, read_cases, rss_mb, run_extras, run_tcp, run_udp
from tests.e2e.support import RunningAppliance, place_call

pytestmark = [pytest.mark.sip,
              pytest.mark.skipif(not ARCHIVE.exists(), reason=f"the PROTOS fixture is not at {ARCHIVE}")]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return read_cases(tmp_path_factory.mktemp("protos"))


@pytest.fixture
def prober(appliance: RunningAppliance) -> Iterator[Prober]:
    probing = Prober(("127.0.0.1", appliance.sip_port))
    yield probing
    probing.close()


def test_the_appliance_survives_a_protos_sample_and_still_answers(appliance: RunningAppliance, cases: list[Case],
                                                                  prober: Prober, tmp_path: Path) -> None:
    assert len(cases) == 4527
    run_udp(cases[:20], prober)  # PJSIP's pools grow once; the baseline is taken after
    before = rss_mb(appliance.process.pid)
    udp = run_udp(cases[::10], prober)
    tcp = run_tcp(cases[5::90][:50], prober)
    extra = run_extras(prober)
    assert appliance.process.poll() is None, appliance.log.read_text()[-3000:]
    assert (udp.sent, tcp.sent, extra.sent) == (453, 50, 3)
    assert udp.missed == [] and tcp.missed == [] and extra.missed == []
    assert rss_mb(appliance.process.pid) - before < 10.0
    assert place_call(appliance.uri(), tmp_path / "call", "--hangup-in-greeting", "1.0")["answered"]
    log = appliance.log.read_text()
    assert CALLER_NUMBER not in log
    assert "Error processing" in log or "error" in log.lower()  # the malformed packets were logged, redacted
