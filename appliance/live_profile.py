"""The business profile in use: the store's live (newest) version, built once per version into the brands' run
contexts, so a call start only picks one (no file read, no parse).

The store is the profile's source of truth; the profile file is how an installer brings one in. The file is read
at start-up and whenever it changes (polled every `POLL_S`): a valid file that differs from the live version and
was written after it becomes a new version (source "file"); an invalid one is refused with the file, the key and
what is expected, and the live version stays. A file older than the live version (the panel or the CLI saved
one since) is not read back in: that is logged, and nothing ever writes the file, so there is no edit loop.
A version stored by another process (`receptionist profile import`, a panel process) is picked up by the same
poll. Saves through `save` (the panel's) are validated by the same loader and built before they are stored, so
the next call uses them; calls in progress keep the profile they started with.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.call.context import Reception, RunContext
from appliance.errors import ApplianceError, NotFoundError
from appliance.reception.profile import Profile, parse_profile, read_profile_text
from appliance.storage.profiles import StoredProfile
from appliance.storage.store import CallStore

_LOGGER = logging.getLogger(__name__)
POLL_S = 2.0
FILE = "file"  # the source of versions imported from the profile file

Build = Callable[[Profile], Awaitable[Reception]]  # a profile made ready for calls (phrases synthesized ahead)


@dataclass(frozen=True)
class ProfileSaved:
    """What saving a profile did: the live version afterwards, and whether it is new, or why it was refused."""

    version: int  # the live version's number after the save (0: none stored)
    changed: bool = False  # a new version was stored (False when the text was already live, or refused)
    problems: str = ""  # why it was refused, in the loader's words: the key and what is expected

    @property
    def ok(self) -> bool:
        """Whether the profile was accepted (stored, or already live)."""
        return not self.problems


class LiveProfile:
    """The live business profile of one store, as the run contexts calls are answered from."""

    def __init__(self, store: CallStore, path: Path) -> None:
        self.store, self.path = store, path  # path: the profile file (`[business] profile`)
        self.reception: Reception | None = None
        self.version = 0  # the stored version `reception` was built from
        self._build: Build | None = None
        self._stamp = _stamp(path)
        self._refused = 0  # a stored version that could not be built (logged once)
        self._lock = asyncio.Lock()  # one change at a time: the poll, a save, a restore

    # --- start-up ---

    def import_file(self) -> None:
        """At start-up: store the profile file as a new version if it is newer. A missing or invalid file is an
        error (ConfigError) only when the store holds no version to answer with."""
        if (found := self._newer_file()) is not None:
            self._store(found[0], FILE)

    def current(self) -> Profile:
        """The profile the appliance answers from once it has read the file; nothing is stored (for `simulate`)."""
        if (found := self._newer_file()) is not None:
            return found[1]
        live = self.store.profiles.live()
        assert live is not None  # _newer_file raised if there were none
        return self._parse(live)

    async def start(self, build: Build) -> None:
        """Answer calls from the live version from now on (it is built first; a bad one raises)."""
        self._build = build
        live = await asyncio.to_thread(self.store.profiles.live)
        if live is None:
            raise ApplianceError(f"no business profile is stored: fix {self.path} and start again")
        self._use(await build(self._parse(live)), live.version)

    def for_called(self, called: str | Sequence[str]) -> RunContext:
        """The run context of the brand answering a call to this number (the switchboard's pick)."""
        if self.reception is None:
            raise ApplianceError("the appliance is not answering calls yet; the profile is read when it starts")
        return self.reception.for_called(called)

    # --- following changes ---

    async def watch(self) -> None:
        """Poll the profile file and the store until cancelled; a change applies to the next call."""
        while True:
            await asyncio.sleep(POLL_S)
            try:
                await self.refresh()
            except Exception:  # the poll must outlive any surprise; calls go on with the profile in use
                _LOGGER.exception("checking the business profile for changes failed; calls use version %d",
                                  self.version)

    async def refresh(self, *, read_file: bool = False) -> None:
        """Import the profile file if it changed (or if `read_file`), then answer calls from the live version."""
        async with self._lock:
            stamp = _stamp(self.path)
            if read_file or stamp != self._stamp:
                self._stamp = stamp
                await self._import_changed_file()
            await self._follow_store()

    async def _import_changed_file(self) -> None:
        try:
            if (found := await asyncio.to_thread(self._file_text)) is not None:
                await self._adopt(*found, FILE)
        except ApplianceError as exc:
            _LOGGER.error("the changed business profile was not applied (calls use version %d): %s", self.version,
                          exc)

    async def _follow_store(self) -> None:
        """Build the live version if another process stored it (the CLI, a panel process)."""
        number = await asyncio.to_thread(self.store.profiles.live_number)
        if self._build is None or number in (self.version, self._refused):
            return
        stored = await asyncio.to_thread(self.store.profiles.get, number)
        try:
            reception = await self._build(self._parse(stored))
        except ApplianceError as exc:
            self._refused = number
            _LOGGER.error("profile version %d (by %s) cannot be used; calls use version %d: %s", number,
                          stored.source, self.version, exc)
            return
        self._use(reception, number)

    # --- the panel's face ---

    def text(self, version: int | None = None) -> str:
        """The live profile's TOML text (or an older version's)."""
        stored = self._stored(version) if version else self.store.profiles.live()
        if stored is None:
            raise NotFoundError("no business profile is stored yet: it is read from the profile file at start-up")
        return stored.text

    def versions(self) -> list[dict[str, Any]]:
        """Every stored version, newest (live) first: version, source, created_at, restored_from, live."""
        return self.store.profiles.history()

    async def save(self, text: str, author: str, *, restored_from: int | None = None) -> ProfileSaved:
        """Validate a profile text with the loader and make it the live version, written by `author` ('cli',
        'panel:<user>'); the problems in words if it is refused (the live version then stays)."""
        async with self._lock:
            live = await asyncio.to_thread(self.store.profiles.live)
            if live is not None and live.text == text:
                return ProfileSaved(live.version)
            try:
                profile = parse_profile(text, f"the profile saved by {author}", self.path.parent)
                version = await self._adopt(text, profile, author, restored_from)
            except ApplianceError as exc:
                return ProfileSaved(live.version if live else 0, problems=str(exc))
            return ProfileSaved(version, changed=True)

    async def restore(self, version: int, author: str) -> ProfileSaved:
        """Make an older version live again, stored as a new version (its text checked by today's loader)."""
        return await self.save(self._stored(version).text, author, restored_from=version)

    # --- inside ---

    def _newer_file(self) -> tuple[str, Profile] | None:
        """`_file_text`, but a missing or invalid file is logged (and None) when the store has a version."""
        try:
            return self._file_text()
        except ApplianceError as exc:
            if not (live := self.store.profiles.live_number()):
                raise
            _LOGGER.error("%s\ncalls are answered from the stored profile (version %d) until the file is fixed",
                          exc, live)
            return None

    def _file_text(self) -> tuple[str, Profile] | None:
        """The profile file's text and profile if it is to be imported: valid (else ConfigError), different from the
        live version and written after it. A file older than the live version is logged and left alone."""
        text = read_profile_text(self.path)
        profile = parse_profile(text, self.path, self.path.parent)
        live = self.store.profiles.live()
        if live is None:
            return text, profile
        if live.text == text:
            return None
        if _modified(self.path) <= live.created_at:
            _LOGGER.warning("%s is older than the live business profile (version %d, saved by %s on %s): calls use "
                            "the stored one, and the file is read again only when it changes; to use the file "
                            "as it is, run: receptionist profile import %s", self.path, live.version, live.source,
                            time.strftime("%Y-%m-%d %H:%M", time.localtime(live.created_at)), self.path)
            return None
        return text, profile

    async def _adopt(self, text: str, profile: Profile, source: str, restored_from: int | None = None) -> int:
        """Build (when answering calls) and store a validated profile text, then answer calls from it."""
        reception = await self._build(profile) if self._build is not None else None
        version = await asyncio.to_thread(self._store, text, source, restored_from)
        if reception is not None:
            self._use(reception, version)
        return version

    def _store(self, text: str, source: str, restored_from: int | None = None) -> int:
        version = self.store.profiles.add(text, source, restored_from=restored_from)
        _LOGGER.info("business profile version %d stored (source: %s)", version, source)
        return version

    def _stored(self, version: int) -> StoredProfile:
        try:
            return self.store.profiles.get(version)
        except KeyError:
            raise NotFoundError(f"no stored profile version {version}; see the list of versions") from None

    def _parse(self, stored: StoredProfile) -> Profile:
        return parse_profile(stored.text, f"stored profile version {stored.version}", self.path.parent)

    def _use(self, reception: Reception, version: int) -> None:
        self.reception, self.version = reception, version
        _LOGGER.info("business profile version %d in use: %d brand(s)", version, len(reception.profile.brands))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # gone since it was read: as if older, so it is not imported
        return 0.0
