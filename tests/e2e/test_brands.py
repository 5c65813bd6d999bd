"""Two brands on one box, over real SIP: a call's brand is picked by its request URI's user part, or, when no
brand claims that, by its To header's (a PBX or trunk may rewrite either), and the default brand answers the rest.
SIPp places the calls with the two named apart; the stored call names the brand and its greeting."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.cli import init
from appliance.storage.store import CallStore
from tests.e2e.conftest import wait_for_end
from tests.e2e.support import RunningAppliance, free_port, start_appliance

pytestmark = pytest.mark.sip

SCENARIO = Path(__file__).parent / "sipp" / "uac_named.xml"
BIKES_GREETING = "Thank you for calling Riverside Cycle Repair."
TWO_BRANDS = f"""
[[brands]]
id = "maple"
name = "Maple Street Dental"
default = true
numbers = ["+1 555 0100", "frontdesk"]
greeting = "Thank you for calling Maple Street Dental. How can I help you today?"

[[brands]]
id = "cycles"
name = "Riverside Cycle Repair"
numbers = ["+1 555 0300", "bikes"]
greeting = "{BIKES_GREETING} How can I help?"
"""


@pytest.fixture(scope="module")
def two_brands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAppliance]:
    data = tmp_path_factory.mktemp("brands")
    init(data)
    (data / "business.toml").write_text(TWO_BRANDS)
    running = start_appliance(data)
    yield running
    assert running.stop() == 0


def call(appliance: RunningAppliance, tmp_path: Path, request_user: str, to_user: str) -> dict[str, object]:
    """Place one SIPp call naming `request_user` in its request URI and `to_user` in its To header."""
    unique = f"named-{uuid.uuid4().hex}"
    scenario = tmp_path / "named.xml"
    scenario.write_text(SCENARIO.read_text().replace("@RURI@", request_user).replace("@TO@", to_user))
    done = subprocess.run(["sipp", f"127.0.0.1:{appliance.sip_port}", "-sf", str(scenario), "-i", "127.0.0.1",
                           "-p", str(free_port()), "-mp", str(free_port()), "-m", "1", "-nostdin",
                           "-timeout", "30s", "-timeout_error", "-cid_str", f"{unique}-%u"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return wait_for_end(appliance, f"{unique}-1")


@pytest.mark.parametrize(
    ("named", "brand", "stored"),
    [
        (("bikes", "frontdesk"), "cycles", "bikes"),  # the request URI first
        (("box-contact", "+15550300"), "cycles", "+15550300"),  # a trunk: our contact, the DID dialled
        (("frontdesk", "bikes"), "maple", "frontdesk"),
        (("nobody", "unknown"), "maple", "unknown"),  # the default brand; the To header's name is kept
    ],
)
def test_the_request_uri_or_the_to_header_picks_the_brand(two_brands: RunningAppliance, tmp_path: Path,
                                                          named: tuple[str, str], brand: str, stored: str) -> None:
    record = call(two_brands, tmp_path, *named)
    turns = record["turns"]
    assert isinstance(turns, list) and turns, record
    greeting = BIKES_GREETING if brand == "cycles" else "Maple Street Dental"
    assert greeting in turns[0]["text"], record
    assert listed(two_brands, record["sip_call_id"]) == (brand, stored), record  # the name that picked the brand


def listed(appliance: RunningAppliance, sip_call_id: object) -> tuple[str, str]:
    """The brand the call log lists a call under, and the called number or user part it is stored with."""
    store = CallStore(appliance.data_dir / "receptionist.db")
    try:
        return next((str(row["brand"]), str(row["called"])) for row in store.recent_calls(50)
                    if row["sip_call_id"] == sip_call_id)
    finally:
        store.close()
