"""A whole working session of the appliance, for the zero-egress test to watch from outside (run it inside a
network namespace with only loopback, under strace):

    python -m tests.e2e.egress_session FOLDER

It starts `receptionist run`, places a real SIP call that asks a question and leaves, signs in to the panel
over HTTPS as a staff member and reads the call log, runs retention and a backup, stops the appliance, and
prints one JSON line of what happened."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.e2e.support import (
    RECEPTIONIST,
    ROOT,
    RunningAppliance,
    espeak_wav,
    panel_context,
    place_call,
    start_appliance,
)

PASSWORD = "violet tractor moonbeam"


def _command(*args: str, stdin: str = "") -> int:
    return subprocess.run([*RECEPTIONIST, *args], input=stdin, cwd=ROOT, capture_output=True, text=True,
                          check=False).returncode


def _panel_calls(appliance: RunningAppliance, config: str) -> int:
    """Sign in as a staff member (no second factor for staff) and read the call log; the calls listed."""
    assert _command("users", "add", "--role", "staff", "sam", "--config", config, stdin=f"{PASSWORD}\n") == 0
    base = f"https://127.0.0.1:{appliance.web_port}"
    with httpx.Client(base_url=base, verify=panel_context(appliance.data_dir), timeout=10) as browser:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/signin").text)
        assert token is not None
        signed_in = browser.post("/signin", data={"username": "sam", "password": PASSWORD,
                                                  "csrf_token": token.group(1)})
        assert signed_in.status_code == 303, signed_in.text
        return len(browser.get("/api/calls").json()["calls"])


def main() -> None:
    folder = Path(sys.argv[1])
    appliance = start_appliance(folder / "data")
    config = str(appliance.data_dir / "config.toml")
    try:
        question = espeak_wav("What are your opening hours?", folder / "question.wav")
        call = place_call(appliance.uri(), folder / "call", "--say", str(question))
        listed = _panel_calls(appliance, config)
        retention = _command("retention", "run", "--config", config)
        backup = _command("backup", "--config", config, "--out", str(folder / "backup.bin"))
    finally:
        stopped = appliance.stop()
    print(json.dumps({"answered": bool(call.get("answered")), "turns": len(call.get("turns", [])),
                      "listed": listed, "retention": retention, "backup": backup, "stopped": stopped}))


if __name__ == "__main__":
    main()
