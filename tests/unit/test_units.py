"""The systemd units: hardened alike, no core dumps (a dump would hold decrypted calls and the master key)."""

from __future__ import annotations

import configparser
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
