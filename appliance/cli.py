"""The `receptionist` command: init, run, simulate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from importlib import resources
from pathlib import Path

from appliance import __version__
from appliance.config import CONFIG_ENV, default_config_path, load_settings
from appliance.errors import ApplianceError
from models.errors import ModelError
from sip.config import SipError

_LOGGER = logging.getLogger(__name__)


def init(data_dir: Path, force: bool = False) -> list[Path]:
    """Create the data folder with a commented config and a sample business profile; never overwrite
    existing files unless force is set. Returns the files written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for template, name in (("config_template.toml", "config.toml"), ("business_template.toml", "business.toml")):
        target = data_dir / name
        if target.exists() and not force:
            continue
        target.write_text(resources.files("appliance").joinpath(template).read_text(encoding="utf-8"),
                          encoding="utf-8")
        written.append(target)
    return written


def _cmd_init(args: argparse.Namespace) -> int:
    written = init(Path(args.data_dir), args.force)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{args.data_dir}: config.toml and business.toml already exist (use --force to replace them)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from appliance.service import serve  # noqa: PLC0415 - heavy: only for this command

    settings = load_settings(args.config)
    asyncio.run(serve(settings))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from appliance.simulate import simulate  # noqa: PLC0415 - heavy: only for this command

    if not args.text and not args.wav:
        raise ApplianceError("nothing to simulate: give --text \"...\" or --wav FILE (each repeatable)")
    settings = load_settings(args.config)
    return asyncio.run(simulate(settings, args.text, [Path(w) for w in args.wav], args.profile,
                                Path(args.save_audio) if args.save_audio else None))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(prog="receptionist", description="Self-hosted AI receptionist appliance.")
    parser.add_argument("--version", action="version", version=f"receptionist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = f"config file (default: ${CONFIG_ENV} or {default_config_path()})"
    p = sub.add_parser("init", help="create a data folder with a commented config and a sample profile")
    p.add_argument("--data-dir", default="data", help="folder to create (default: data)")
    p.add_argument("--force", action="store_true", help="replace existing config and profile files")
    p.set_defaults(func=_cmd_init)
    p = sub.add_parser("run", help="answer calls over SIP and serve the panel's health page")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("simulate", help="run a call from typed text or WAV files, no SIP; prints each turn")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--profile", type=Path, default=None, help="business profile to try (default: the config's)")
    p.add_argument("--text", action="append", default=[], help="a caller turn as text (repeatable)")
    p.add_argument("--wav", action="append", default=[], help="a caller turn as a WAV file (repeatable)")
    p.add_argument("--save-audio", default=None, help="write the receptionist's audio to this WAV file")
    p.set_defaults(func=_cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (ApplianceError, ModelError, SipError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
