"""The business profile's versions in the store: every saved profile text, who wrote it and when; the newest is live.

A profile is no caller's data, but it names the team with their direct lines and lists blocked callers' numbers,
so its text is sealed like the rest: under the box's own data key (`PROFILE_KEY`, a data_keys row that belongs to
no contact, made with the first version and re-wrapped by `keys rotate` with every other key), bound to its
version and to who wrote it. Versions are never changed: a restore stores the old text again as a new version.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from appliance.storage.schema import atomic, dict_rows
from appliance.storage.sealing import Key, Sealer

PROFILE_KEY = "profile"  # the data key of every version (contacts' keys are 32 hex digits: never this)
_TABLE = "profile_versions"
SOURCE_MAX = 80


@dataclass(frozen=True)
class StoredProfile:
    """One stored version of the business profile."""

    version: int
    text: str
    source: str  # who wrote it: "file", "cli", "panel:<user>"
    created_at: float
    restored_from: int | None = None


class ProfileVersions:
    """The stored versions of the business profile, on one store's database (its lock held for each operation)."""

    def __init__(self, sealer: Sealer, lock: threading.Lock) -> None:
        self._sealer, self._lock = sealer, lock

    def add(self, text: str, source: str, *, restored_from: int | None = None, at: float | None = None) -> int:
        """Store a (validated) profile text as the new live version; returns its number."""
        if not source.strip() or len(source) > SOURCE_MAX or not source.isprintable():
            raise ValueError(f"a profile version's source must be one line of 1 to {SOURCE_MAX} characters, e.g. "
                             "'cli' or 'panel:ann'")
        db, now = self._sealer.db, time.time() if at is None else at
        with self._lock, atomic(db):
            key = self._key(now)
            version = int(db.execute(f"SELECT COALESCE(MAX(version), 0) + 1 FROM {_TABLE}").fetchone()[0])
            sealed = self._sealer.seal(key, text, _TABLE, str(version), "text", context={"source": source})
            db.execute(f"INSERT INTO {_TABLE} (version, text, source, restored_from, created_at) VALUES "
                       "(?, ?, ?, ?, ?)", [version, sealed, source, restored_from, now])
        return version

    def live_number(self) -> int:
        """The live (newest) version's number, 0 when none is stored: cheap enough to ask before every use."""
        with self._lock:
            return int(self._sealer.db.execute(f"SELECT COALESCE(MAX(version), 0) FROM {_TABLE}").fetchone()[0])

    def live(self) -> StoredProfile | None:
        """The live version, or None when no profile is stored yet."""
        number = self.live_number()
        return self.get(number) if number else None

    def get(self, version: int) -> StoredProfile:
        """One version with its text (KeyError if there is none; DecryptionError if it or its source was altered)."""
        with self._lock:
            rows = dict_rows(self._sealer.db, f"SELECT * FROM {_TABLE} WHERE version = ?", [version])
            if not rows:
                raise KeyError(f"no stored profile version {version}")
            row = rows[0]
            text = self._sealer.open(self._sealer.key(PROFILE_KEY), row["text"], _TABLE, str(version), "text",
                                     context={"source": row["source"]})
        return StoredProfile(version, str(text), row["source"], row["created_at"], row["restored_from"])

    def history(self) -> list[dict[str, Any]]:
        """Every version without its text, newest first: version, source, created_at, restored_from, live."""
        with self._lock:
            rows = dict_rows(self._sealer.db, f"SELECT version, source, created_at, restored_from FROM {_TABLE} "
                             "ORDER BY version DESC", [])
        return [{**row, "live": n == 0} for n, row in enumerate(rows)]

    def _key(self, now: float) -> Key:
        """The profile's data key, made with the first version (in the caller's transaction)."""
        try:
            return self._sealer.key(PROFILE_KEY)
        except KeyError:
            key = (PROFILE_KEY, self._sealer.vault.new_data_key(PROFILE_KEY))
            self._sealer.db.execute("INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?)",
                                    [*key, now])
            return key
