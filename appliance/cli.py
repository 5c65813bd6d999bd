"""The appliance's commands: init, simulate, profile, models, export, erase, correct, retention, gaps, backup, restore,
keys, check (`run`, which also serves the panel, is added by the console above: `receptionist.cli`)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import resource
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeAlias

from appliance import __version__
from appliance.certs import box_addresses, box_names, make_certificate
from appliance.clock import Clock, clock_from_env, parse_moment
from appliance.config import CONFIG_ENV, default_config_path, load_settings
from appliance.errors import ApplianceError
from appliance.models_cli import add_models_commands
from appliance.profile_cli import add_profile_commands
from appliance.storage.crypto import create_master_key
from appliance.storage.recordings import export_audio, sweep_recordings
from appliance.storage.store import DEFAULT_KEY_FILE, CallStore

_LOGGER = logging.getLogger(__name__)
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what `build_parser` extensions get
CALLER_HELP = ("the caller's phone number, or - to read it from standard input: a number given here stays in the "
               "shell history and other users can see it in ps")


def init(data_dir: Path, force: bool = False) -> list[Path]:
    """Create the data folder with a commented config, a sample business profile, the master key (mode 0600) and
    the panel's self-signed certificate; never overwrite existing files unless force is set, and never the keys.
    Returns the files written."""
    data_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for template, name in (("config_template.toml", "config.toml"), ("business_template.toml", "business.toml")):
        target = data_dir / name
        if target.exists() and not force:
            continue
        target.write_text(resources.files("appliance").joinpath(template).read_text(encoding="utf-8"),
                          encoding="utf-8")
        written.append(target)
    key = data_dir / DEFAULT_KEY_FILE
    if not key.exists():
        create_master_key(key)
        written.append(key)
    certificate, tls_key = data_dir / "panel.crt", data_dir / "panel.key"  # the template's [web] certificate and key
    if not certificate.exists() and not tls_key.exists():
        written += [certificate, tls_key]
        make_certificate(certificate, tls_key, box_names(), box_addresses())
    return written


def _cmd_init(args: argparse.Namespace) -> int:
    written = init(Path(args.data_dir), args.force)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"{args.data_dir}: config.toml and business.toml already exist (use --force to replace them)")
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from appliance.simulate import simulate  # noqa: PLC0415 - heavy: only for this command

    if not args.text and not args.wav:
        raise ApplianceError("nothing to simulate: give --text \"...\" or --wav FILE (each repeatable)")
    settings = load_settings(args.config)
    return asyncio.run(simulate(settings, args.text, [Path(w) for w in args.wav], args.profile,
                                Path(args.save_audio) if args.save_audio else None, called=args.called,
                                clock=Clock(parse_moment(args.at)) if args.at else clock_from_env()))


def _cmd_export(args: argparse.Namespace) -> int:
    from appliance.storage.datarights import export_all, export_caller  # noqa: PLC0415 - only for this command

    settings = load_settings(args.config)
    out = Path(args.out)
    if out.exists():
        raise ApplianceError(f"{out} already exists; choose another file name")
    number = None if args.all else _caller(args.caller)
    store = CallStore.open(settings)
    try:
        archive = export_all(store) if number is None else export_caller(store, number)
        audio = export_audio(store, archive, settings.recordings_dir, out.with_name(f"{out.stem}-recordings"))
    finally:
        store.close()
    _write_private(out, json.dumps(archive, indent=2, ensure_ascii=False) + "\n")
    calls = sum(len(contact["calls"]) for contact in archive["contacts"])
    print(f"warning: {out} (and any {out.stem}-recordings folder) is outside the appliance: erasing a caller does "
          "not reach it; delete it when it is no longer needed", file=sys.stderr)
    print(f"exported {len(archive['contacts'])} caller(s), {calls} call(s) and {audio} recording(s) to {out}")
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    from appliance.storage.datarights import erase_caller  # noqa: PLC0415 - only for this command

    settings, number = load_settings(args.config), _caller(args.caller)
    store = CallStore.open(settings)
    try:
        calls = erase_caller(store, number)  # rows, key, recording files, ledger line: one operation
    finally:
        store.close()
    print(f"erased the caller and {calls} call(s)" if calls else "no stored calls for that number; nothing erased")
    return 0


def _cmd_correct(args: argparse.Namespace) -> int:
    from appliance.storage.datarights import correct_contact  # noqa: PLC0415 - only for this command

    if args.name is None and args.notes is None:
        raise ApplianceError("nothing to correct: give --name \"...\" and/or --notes \"...\"")
    settings, number = load_settings(args.config), _caller(args.caller)
    store = CallStore.open(settings)
    try:
        correct_contact(store, number, name=args.name, notes=args.notes)
    finally:
        store.close()
    print("corrected the caller's " + " and ".join(f for f in ("name", "notes") if getattr(args, f) is not None))
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    from appliance.storage.backup import sweep_backup_leftovers  # noqa: PLC0415 - only for this command
    from appliance.storage.retention import run_retention  # noqa: PLC0415 - only for this command

    settings = load_settings(args.config)
    sweep_backup_leftovers(settings.data_dir)  # unsealed database copies left by killed backups
    store = CallStore.open(settings)
    try:
        deleted = run_retention(store, time.time(), settings.retention.windows())
        deleted["recording_files"] = sweep_recordings(store, settings.recordings_dir)
    finally:
        store.close()
    print("deleted: " + ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in deleted.items()))
    return 0


def _cmd_gaps(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    store = CallStore.open(settings)
    try:
        gaps = store.knowledge_gaps(args.brand)
    finally:
        store.close()
    if not gaps:
        which = f" for brand {args.brand}" if args.brand else ""
        print(f"no knowledge gaps{which}: the profile answered every question callers asked")
        return 0
    print(f"{'asked':>5}  {'last asked':<16}  {'brand':<12}  question")
    for gap in gaps:
        last = time.strftime("%Y-%m-%d %H:%M", time.localtime(gap["last_asked"]))
        print(f"{gap['count']:>5}  {last:<16}  {gap['brand']:<12}  {gap['question']}")
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from appliance.storage.backup import create_backup  # noqa: PLC0415 - only for this command

    written = create_backup(load_settings(args.config), Path(args.out))
    print(f"wrote the encrypted backup {written}; it needs the master key to restore (kept apart from it)")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from appliance.storage.backup_format import describe  # noqa: PLC0415 - only for this command
    from appliance.storage.restore import restore_backup  # noqa: PLC0415 - only for this command

    settings = load_settings(args.config)
    restored = restore_backup(settings, Path(args.source), Path(args.data_dir), Path(args.key) if args.key else None)
    print(f"restored {restored.database} and {restored.recordings} recording(s); erased again from the ledger: "
          f"{restored.erased} caller(s)")
    print(describe(restored.origin, time.time()))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from appliance.storage.check import check_store  # noqa: PLC0415 - only for this command

    store = CallStore.open(load_settings(args.config))
    try:
        report = check_store(store)
    finally:
        store.close()
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def _cmd_keys(args: argparse.Namespace) -> int:
    from appliance.storage.rotation import (  # noqa: PLC0415 - only for this command
        confirm_master_key,
        erasures_since_rotation,
        recover_rotation,
        rotate_master_key,
    )

    settings = load_settings(args.config)
    key = settings.storage.master_key
    if args.action == "due":
        erased = erasures_since_rotation(settings)
        print(f"{erased} caller(s) erased since the last key rotation: a rotation is due" if erased else
              "no caller erased since the last key rotation: no rotation is due")
        return 0 if erased else 1
    if args.action == "confirm":
        confirm_master_key(settings)
        print(f"deleted the previous master key {key}.old (if it was there)")
    elif args.action == "recover":
        aside = recover_rotation(settings)
        print(f"rolled back the interrupted key rotation: the previous master key is back in {key}; the new one is "
              f"kept at {aside} (delete it once the appliance starts)" if aside else
              "no interrupted key rotation: the master key opens the database; nothing was changed")
    else:
        old = rotate_master_key(settings)
        print(f"new master key in {key}; the previous one is kept at {old} because backups made before now need it "
              f"(restore --key {old}). Make a new backup, then run 'receptionist keys confirm' to delete it")
    return 0


def _caller(value: str) -> str:
    """The caller's number: the argument, or for '-' one line of standard input (kept out of shell history and ps)."""
    if value != "-":
        return value
    number = getpass.getpass("caller's number (not shown): ") if sys.stdin.isatty() else sys.stdin.readline()
    if not number.strip():
        raise ApplianceError("--caller -: no phone number on standard input; type it when asked, or pipe it in "
                             "(e.g. --caller - < number.txt, from a file only you can read)")
    return number.strip()


def _write_private(path: Path, text: str) -> None:
    """Write an export readable by its owner only (it holds callers' data in plain text); never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ApplianceError(f"{path} already exists; choose another file name") from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


def build_parser(*more: Callable[[SubParsers, str], None]) -> argparse.ArgumentParser:
    """The argument parser of every sub-command; each of `more` adds commands (given the config option's help)."""
    parser = argparse.ArgumentParser(prog="receptionist", description="Self-hosted AI receptionist appliance.")
    parser.add_argument("--version", action="version", version=f"receptionist {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_help = f"config file (default: ${CONFIG_ENV} or {default_config_path()})"
    p = sub.add_parser("init", help="create a data folder with a commented config and a sample profile")
    p.add_argument("--data-dir", default="data", help="folder to create (default: data)")
    p.add_argument("--force", action="store_true", help="replace existing config and profile files")
    p.set_defaults(func=_cmd_init)
    for add in more:
        add(sub, config_help)
    p = sub.add_parser("simulate", help="run a call from typed text or WAV files, no SIP; prints each turn")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--profile", type=Path, default=None, help="a business profile file to try (default: what "
                   "the appliance answers from: the stored live version, or the profile file if it is newer)")
    p.add_argument("--text", action="append", default=[], help="a caller turn as text (repeatable)")
    p.add_argument("--wav", action="append", default=[], help="a caller turn as a WAV file (repeatable)")
    p.add_argument("--save-audio", default=None, help="write the receptionist's audio to this WAV file")
    p.add_argument("--called", default="", help="the number or SIP user called: picks the brand that answers")
    p.add_argument("--at", default="", help="pretend the call comes at this moment, e.g. 2026-12-25T10:00-05:00 "
                                            "(hours, holidays, who can be reached)")
    p.set_defaults(func=_cmd_simulate)
    add_profile_commands(sub, config_help)
    add_models_commands(sub, config_help)
    _add_data_rights(sub, config_help)
    return parser


def _add_data_rights(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    p = sub.add_parser("export", help="write everything stored about one caller (or all) to a JSON file")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--caller", metavar="NUMBER", help=CALLER_HELP)
    which.add_argument("--all", action="store_true", help="every caller")
    p.add_argument("--out", required=True, metavar="FILE", help="the JSON file to write (must not exist)")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("erase", help="erase every call and detail of one caller and destroy their key")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--caller", required=True, metavar="NUMBER", help=CALLER_HELP)
    p.set_defaults(func=_cmd_erase)
    p = sub.add_parser("correct", help="correct the stored name or notes of one caller")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--caller", required=True, metavar="NUMBER", help=CALLER_HELP)
    p.add_argument("--name", default=None, help="the caller's correct name (\"\" clears it)")
    p.add_argument("--notes", default=None, help="notes about the caller (\"\" clears them)")
    p.set_defaults(func=_cmd_correct)
    p = sub.add_parser("retention", help="delete stored data past its retention window ('retention run')")
    p.add_argument("action", choices=["run"], help="run: delete what is due now")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_retention)
    p = sub.add_parser("gaps", help="list the questions callers asked that the business profile could not "
                                    "answer: how often, when last, most asked first")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--brand", default=None, metavar="ID", help="only this brand's (its id in the profile)")
    p.set_defaults(func=_cmd_gaps)
    _add_backup_and_keys(sub, config_help)


def _add_backup_and_keys(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    p = sub.add_parser("backup", help="write one encrypted backup file (database and recordings), even while running")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the backup file to write (must not exist), or a folder to write a dated file into")
    p.set_defaults(func=_cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty data folder (nothing is kept unless all of it "
                                       "checks out); shows which box made it, its number and its age")
    p.add_argument("--config", type=Path, default=None, help=config_help + "; its erasure ledger is applied")
    p.add_argument("--from", dest="source", required=True, metavar="FILE", help="the backup file")
    p.add_argument("--data-dir", required=True, metavar="DIR", help="an empty or new folder to restore into")
    p.add_argument("--key", default=None, metavar="FILE",
                   help="the master key the backup was made with (default: the config's; e.g. master.key.old)")
    p.set_defaults(func=_cmd_restore)
    p = sub.add_parser("keys", help="'keys rotate': re-wrap every data key under a new master key (service "
                                    "stopped); 'keys confirm': delete the previous key; 'keys recover': roll "
                                    "back a rotation that was interrupted (service stopped); 'keys due': whether "
                                    "callers were erased since the last rotation (exit status 0: yes, 1: no)")
    p.add_argument("action", choices=["rotate", "confirm", "recover", "due"])
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_keys)
    p = sub.add_parser("check", help="check the call database: integrity, references, every call readable (exit "
                                     "status 0: whole, 1: damaged); safe while the appliance runs")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_cmd_check)


def _no_core_dumps() -> None:
    """A command that crashes writes no core file: it would hold decrypted calls and the master key."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    """Parse and run one command (with `parser`, the console's, if given); errors print one line and return 2."""
    args = (parser or build_parser()).parse_args(argv)
    _no_core_dumps()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except ApplianceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
