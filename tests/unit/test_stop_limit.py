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


STOP_WITH_A_FULL_PIPE = """
import asyncio, os, signal, threading, time
from receptionist import cli

async def main():
    loop = asyncio.get_running_loop()
    stop = cli._stop_on_signals()

    def busy():  # a call's audio frames: each wakes the loop through its self-pipe, which fills while it is stalled
        for _ in range(20000):
            loop.call_soon_threadsafe(lambda: None)
        os.kill(os.getpid(), signal.SIGTERM)

    worker = threading.Thread(target=busy)
    worker.start()
    time.sleep(1.0)  # the loop is stalled meanwhile
    worker.join()
    await asyncio.wait_for(stop.wait(), 5)
    print("stopped")

asyncio.run(main())
"""


def test_a_stop_signal_is_not_lost_when_the_loop_was_stalled() -> None:
    done = subprocess.run([sys.executable, "-c", STOP_WITH_A_FULL_PIPE], capture_output=True, text=True, timeout=30,
                          cwd=ROOT, check=False)
    assert done.returncode == 0 and "stopped" in done.stdout, done.stderr[-2000:]


HANGING_FINALIZER = """
import logging, sys, time
from receptionist import cli

class NativeModel:  # a library object whose destructor hangs when the interpreter ends
    def __del__(self):
        time.sleep(30)

MODEL = NativeModel()
logging.basicConfig(level=logging.INFO)
print("served", flush=False)  # still buffered when it leaves
cli._leave_now()
"""


def test_a_stopped_service_ends_without_the_libraries_destructors() -> None:
    done = subprocess.run([sys.executable, "-c", HANGING_FINALIZER], capture_output=True, text=True, timeout=10,
                          cwd=ROOT, check=False)
    assert done.returncode == 0
    assert done.stdout == "served\n" and "INFO:receptionist.cli:stopped" in done.stderr
