"""Transfer mechanics over real SIP (`sip_transfers_cases.py`), run in a process of their own: they drive a
SipEndpoint inside the test process, and pjsua2 allows one library per process with four call slots. In the
long test session those slots were found taken by something the endpoint no longer tracked (PJ_ETOOMANY on a
dial, and a caller never answered), while the same cases pass every time in a fresh process; see
docs/hardening.md. A process of their own keeps the cases honest about the endpoint, not about the session."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.e2e.support import ROOT

pytestmark = [pytest.mark.sip, pytest.mark.skipif(shutil.which("sipp") is None, reason="needs sipp (setup --dev)")]


def test_transfer_mechanics_in_a_process_of_their_own() -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "--strict-markers", "tests/e2e/sip_transfers_cases.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-2000:]
