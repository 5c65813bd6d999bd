"""A whole working session of the appliance, for the zero-egress test to watch from outside (run it inside a
network namespace with only loopback, under strace):

    python -m tests.e2e.egress_session FOLDER

It starts `receptionist run`, places a real SIP call that asks a question and leaves, reads the panel's health
page, runs retention and a backup, stops the appliance, and prints one JSON line of what happened."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.e2e.support import RECEPTIONIST, ROOT, espeak_wav, place_call, start_appliance


def _command(*args: str) -> int:
    return subprocess.run([*RECEPTIONIST, *args], cwd=ROOT, capture_output=True, text=True, check=False).returncode


def _panel_health(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        return int(response.status)


def main() -> None:
    folder = Path(sys.argv[1])
    appliance = start_appliance(folder / "data")
    config = str(appliance.data_dir / "config.toml")
    try:
        question = espeak_wav("What are your opening hours?", folder / "question.wav")
        call = place_call(appliance.uri(), folder / "call", "--say", str(question))
        health = _panel_health(appliance.web_port)
        retention = _command("retention", "run", "--config", config)
        backup = _command("backup", "--config", config, "--out", str(folder / "backup.bin"))
    finally:
        stopped = appliance.stop()
    print(json.dumps({"answered": bool(call.get("answered")), "turns": len(call.get("turns", [])),
                      "health": health, "retention": retention, "backup": backup, "stopped": stopped}))


if __name__ == "__main__":
    main()
