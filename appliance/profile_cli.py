"""`receptionist profile show|check|import|versions|restore`: the stored business profile from the shell.

The store holds the profile's versions (the newest is live); a running appliance answers from a version stored here
from its next call, as it polls the store every `POLL_S` seconds (`appliance.live_profile`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from appliance.config import Settings, load_settings
from appliance.errors import ConfigError
from appliance.live_profile import POLL_S, LiveProfile, ProfileSaved
from appliance.reception.profile import parse_profile, read_profile_text
from appliance.storage.store import CallStore

AUTHOR = "cli"
T = TypeVar("T")


def add_profile_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    """Add `profile` and its actions to the command's sub-parsers."""
    p = sub.add_parser("profile", help="the business profile the receptionist answers from: show it, check a file, "
                                       "import one, list the stored versions, restore one")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func, helptext in (
        ("show", _show, "print the live profile (TOML), or --version N's"),
        ("check", _check, "check a profile file without storing it: every problem with its key"),
        ("import", _import, "check a profile file and make it the live version (the file stays as it is)"),
        ("versions", _versions, "list the stored versions, newest (live) first: when, and who wrote each"),
        ("restore", _restore, "make stored version N live again (stored as a new version)"),
    ):
        a = actions.add_parser(name, help=helptext, description=helptext)
        a.add_argument("--config", type=Path, default=None, help=config_help)
        a.set_defaults(func=func)
        if name in ("check", "import"):
            a.add_argument("file", type=Path, metavar="FILE", help="a profile TOML file")
        elif name == "restore":
            a.add_argument("version", type=int, metavar="N", help="a version number from 'profile versions'")
        elif name == "show":
            a.add_argument("--version", type=int, default=None, metavar="N", help="an older version's number")


def _show(args: argparse.Namespace) -> int:
    version = args.version
    text = _with_profile(load_settings(args.config), lambda live: live.text(version))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def _check(args: argparse.Namespace) -> int:
    profile = parse_profile(read_profile_text(args.file), args.file, args.file.parent)
    brands = ", ".join(f"{b.id} ({b.name}, {len(b.team)} in the team)" for b in profile.brands)
    print(f"{args.file} is a valid business profile: {len(profile.brands)} brand(s): {brands}")
    return 0


def _import(args: argparse.Namespace) -> int:
    text = read_profile_text(args.file)
    parse_profile(text, args.file, args.file.parent)  # its problems named by the file
    settings = load_settings(args.config)
    saved = _with_profile(settings, lambda live: asyncio.run(live.save(text, AUTHOR)))
    _report(saved, f"{args.file} is already the live profile (version {saved.version}); nothing stored")
    return 0


def _versions(args: argparse.Namespace) -> int:
    versions = _with_profile(load_settings(args.config), LiveProfile.versions)
    if not versions:
        print("no business profile is stored yet: the appliance imports its profile file when it starts "
              "(or run: receptionist profile import FILE)")
        return 0
    print(f"{'version':>7}  {'saved':<16}  {'by':<20}  note")
    for row in versions:
        saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created_at"]))
        notes = (["live"] if row["live"] else []) + ([f"restored from {row['restored_from']}"]
                                                     if row["restored_from"] else [])
        print(f"{row['version']:>7}  {saved:<16}  {row['source']:<20}  {', '.join(notes)}".rstrip())
    return 0


def _restore(args: argparse.Namespace) -> int:
    version = args.version
    saved = _with_profile(load_settings(args.config), lambda live: asyncio.run(live.restore(version, AUTHOR)))
    _report(saved, f"version {version} is already the live profile; nothing stored")
    return 0


def _report(saved: ProfileSaved, unchanged: str) -> None:
    if not saved.ok:
        raise ConfigError(f"{saved.problems}\nthe live profile stays version {saved.version}")
    print(f"stored as profile version {saved.version}; a running appliance answers from it from the next call "
          f"(it checks every {POLL_S:.0f} s)" if saved.changed else unchanged)


def _with_profile(settings: Settings, use: Callable[[LiveProfile], T]) -> T:
    """Run `use` on the live profile of the configured store, closing the store after."""
    store = CallStore.open(settings)
    try:
        return use(LiveProfile(store, settings.business.profile))
    finally:
        store.close()
