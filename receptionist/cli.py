"""The `receptionist` command: `run` composes the appliance and its panel in one process, `users` and `certs`
manage the panel's accounts and certificate (`receptionist.accounts_cli`), `selftest` measures the box
(`bench.selftest`); every other command (init, simulate, profile, models, export, erase, correct, retention, gaps,
backup, restore, keys) is the appliance's own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from appliance import cli
from appliance.config import Settings, default_config_path, load_settings
from appliance.errors import ApplianceError
from receptionist.accounts_cli import add_commands


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    return cli.main(argv, cli.build_parser(_add_run, _add_selftest, add_commands))

# The project folder: the self-test drives a real SIP call with the latency benchmark's test caller, which live
# beside the packages (bench/, tests/e2e/), as scripts/setup.sh installs them.
ROOT = Path(__file__).resolve().parents[1]
# A stop that takes longer than this has hung: the threads' stacks go to standard error (the journal) and the
# process exits with 1. Below the unit's TimeoutStopSec (20 s), so the journal tells where, not just "killed".
STOP_LIMIT_S = 15.0
_LOGGER = logging.getLogger(__name__)


def _add_run(sub: cli.SubParsers, config_help: str) -> None:
    p = sub.add_parser("run", help="answer calls over SIP and serve the panel (HTTPS)")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_run)


def _add_selftest(sub: cli.SubParsers, config_help: str) -> None:
    p = sub.add_parser("selftest", help="measure this box with the configured models (speech recognition, first "
                                        "LLM token, voice, voice-to-voice on a loopback call; about a minute) and "
                                        "say which model tier it can carry within the latency targets")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--turns", type=int, default=10, help="timed turns of the loopback call (default: 10)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the results here")
    p.set_defaults(func=_cmd_selftest)


def _cmd_selftest(args: argparse.Namespace) -> int:
    if not (ROOT / "bench" / "selftest.py").is_file() or not (ROOT / "tests" / "e2e" / "caller.py").is_file():
        raise ApplianceError(f"the self-test needs bench/ and tests/e2e/ in {ROOT}, beside the receptionist "
                             "package; run it from the project folder scripts/setup.sh installed")
    config = (args.config or default_config_path()).resolve()  # the self-test runs in the project folder
    command = [sys.executable, "-m", "bench.selftest", "--config", str(config), "--turns", str(args.turns)]
    if args.json:
        command += ["--json", str(args.json.resolve())]
    return subprocess.run(command, cwd=ROOT, check=False).returncode  # the test call runs its own processes too


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(_run(load_settings(args.config)))
    except BaseException:
        faulthandler.dump_traceback_later(STOP_LIMIT_S, exit=True)  # the error is printed; the exit has a limit
        raise
    _leave_now()


def _leave_now() -> NoReturn:
    """End the stopped service at once, with exit code 0: its calls, store and files are closed by now.
    The interpreter's own ending is skipped: it destroys the native libraries' objects (CTranslate2, ONNX Runtime,
    llama.cpp, PJSIP), it hung once in CI after a clean stop (the main thread alone, in no Python code), and
    nothing it does matters to what the service wrote."""
    _LOGGER.info("stopped")
    logging.shutdown()
    with contextlib.suppress(OSError):  # a journal or pipe already gone changes nothing now
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)


async def _run(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; the stop then hangs up calls before the panel goes. SIGUSR1 writes every
    thread's stack to standard error and goes on."""
    from web.server import serve  # noqa: PLC0415 - heavy (models, SIP, uvicorn): only for this command

    faulthandler.register(signal.SIGUSR1, all_threads=True)
    await serve(settings, _stop_on_signals())


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM. Plain signal handlers, not the loop's: the loop learns of a signal through
    the same pipe that carries every audio frame's wake-up, and a signal that finds it full is lost."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping(_signum: int, _frame: object) -> None:
        if not stop.is_set():
            faulthandler.dump_traceback_later(STOP_LIMIT_S, exit=True)  # a C thread: works even if Python hangs
            loop.call_soon_threadsafe(_stopping, stop)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)
    return stop


def _stopping(stop: asyncio.Event) -> None:
    if not stop.is_set():
        _LOGGER.info("stopping (if it takes over %.0f s, the threads' stacks are written and it exits)", STOP_LIMIT_S)
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
