"""A stop that hangs ends anyway: after `STOP_LIMIT_S` the threads' stacks are written and the process exits 1."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.support import ROOT

HANGING_STOP = """
import asyncio, os, signal, time
from receptionist import cli
cli.STOP_LIMIT_S = 0.5

async def main():
    stop = cli._stop_on_signals()
    os.kill(os.getpid(), signal.SIGTERM)
    await stop.wait()
    time.sleep(30)  # a shutdown that never ends

asyncio.run(main())
"""


def test_a_hung_stop_writes_the_stacks_and_exits() -> None:
    done = subprocess.run([sys.executable, "-c", HANGING_STOP], capture_output=True, text=True, timeout=20,
                          cwd=ROOT, check=False)
    assert done.returncode == 1
    assert "Timeout (0:00:00.500000)!" in done.stderr and "most recent call first" in done.stderr
    assert "in main" in done.stderr  # where it hung
