"""The systemd units: hardened alike, no core dumps (a dump would hold decrypted calls and the master key)."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"


def _service(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(path)
    return parser["Service"]


@pytest.mark.parametrize("unit", sorted(UNITS.glob("*.service")), ids=lambda path: path.name)
def test_every_service_writes_no_core_dump_and_private_files(unit: Path) -> None:
    service = _service(unit)
    assert service.get("LimitCORE") == "0"
    assert service.get("UMask") == "0077"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
@pytest.mark.parametrize("unit", ["receptionist.service"])
def test_the_service_exposure_is_at_most_2_5(unit: str) -> None:
    """systemd's own rating of the sandbox (issue: from 5.8 MEDIUM to at most 2.5)."""
    done = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(UNITS / unit)],
                          capture_output=True, text=True, check=False)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) <= 2.5, done.stdout


def test_the_service_has_no_capabilities_and_filters_system_calls() -> None:
    service = _service(UNITS / "receptionist.service")
    assert service.get("CapabilityBoundingSet") == ""
    assert service.get("SystemCallFilter") is not None
    assert service.get("SystemCallErrorNumber") == "EPERM"
