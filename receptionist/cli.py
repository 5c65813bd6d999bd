"""The `receptionist` command: `run` composes the appliance and its panel in one process, `users` and `certs`
manage the panel's accounts and certificate (`receptionist.accounts_cli`); every other command (init, simulate,
profile, export, erase, correct, retention, gaps, backup, restore, keys) is the appliance's own."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from appliance import cli
from appliance.config import Settings, load_settings
from receptionist.accounts_cli import add_commands


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    return cli.main(argv, cli.build_parser(_add_run, add_commands))


def _add_run(sub: cli.SubParsers, config_help: str) -> None:
    p = sub.add_parser("run", help="answer calls over SIP and serve the panel (HTTPS)")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_run)


def _cmd_run(args: argparse.Namespace) -> int:
    asyncio.run(_run(load_settings(args.config)))
    return 0


async def _run(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; the stop then hangs up calls before the panel goes."""
    from web.server import serve  # noqa: PLC0415 - heavy (models, SIP, uvicorn): only for this command

    await serve(settings, _stop_on_signals())


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


if __name__ == "__main__":
    sys.exit(main())
