"""The appliance registers at a PBX or trunk as an account, with digest authentication (SIPp as registrar)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.support import free_port, start_appliance

pytestmark = [pytest.mark.sip, pytest.mark.skipif(shutil.which("sipp") is None, reason="needs sipp (setup --dev)")]
SCENARIO = Path(__file__).parent / "sipp" / "registrar.xml"


def registrar(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """SIPp answering one REGISTER: a digest challenge, then 200 OK for user 200 / s3cret, 403 otherwise."""
    return subprocess.Popen(
        ["sipp", "-sf", str(SCENARIO), "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-timeout", "40s", "-nostdin"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(("secret", "expected"), [("s3cret", "registered 200@"), ("wrong", "failed: 403")])
def test_registers_with_the_password_from_its_file(tmp_path: Path, secret: str, expected: str) -> None:
    port = free_port()
    sipp = registrar(port, tmp_path)
    (tmp_path / "sip-200.secret").write_text(secret + "\n")
    block = (f'[[sip.registrations]]\nregistrar = "sip:127.0.0.1:{port}"\nuser = "200"\n'
             f'password_file = "{tmp_path / "sip-200.secret"}"\n')
    appliance = start_appliance(tmp_path / "data", append=block)
    try:
        deadline = time.monotonic() + 20
        while expected not in appliance.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = appliance.log.read_text()
        assert expected in log, log[-2000:]
        assert secret not in log  # the password never reaches the log
    finally:
        assert appliance.stop() == 0
        sipp.kill()
        sipp.wait()
