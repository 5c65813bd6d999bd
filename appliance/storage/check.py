"""Whether the call database is whole (`receptionist check`): SQLite's own integrity check, its foreign keys, and
every call readable, decrypted and matching its transcript digest. It reads only, so it runs beside the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.storage.keys import IntegrityError
from appliance.storage.store import CallStore

_RESTORE = ("stop the appliance, keep a copy of the data folder, and restore the latest backup into a new folder "
            "(receptionist restore)")


@dataclass(frozen=True)
class StoreCheck:
    """What a check found: SQLite's verdict, broken references, and calls by state (opaque ids only)."""

    integrity: list[str]  # ["ok"], or SQLite's findings
    broken_references: int
    calls: int
    in_progress: int  # answered and not ended: live calls, or calls the next start marks interrupted
    interrupted: int  # left open by a crash or power cut, closed at a later start
    unreadable: list[str]  # ids of calls that failed to decrypt or to match their transcript digest

    @property
    def ok(self) -> bool:
        """Nothing damaged."""
        return self.integrity == ["ok"] and not self.broken_references and not self.unreadable

    def lines(self) -> list[str]:
        """The report, one fact a line; a damaged store ends with what to do."""
        report = [f"database integrity: {'ok' if self.integrity == ['ok'] else '; '.join(self.integrity[:10])}",
                  f"references between records: {self.broken_references or 'ok'}"
                  + (" broken" if self.broken_references else ""),
                  f"calls: {self.calls} ({self.interrupted} interrupted by a crash, {self.in_progress} in progress)",
                  f"calls that cannot be read: {', '.join(self.unreadable) if self.unreadable else 'none'}"]
        return report + ([] if self.ok else [f"the call database is damaged: {_RESTORE}"])


def check_store(store: CallStore) -> StoreCheck:
    """Check the whole store: the database file, then each call with its turns, events and summary."""
    integrity = [str(row["integrity_check"]) for row in store.rows("PRAGMA integrity_check", [])]
    broken = len(store.rows("PRAGMA foreign_key_check", []))
    outcomes = {str(row["outcome"]): int(row["n"]) for row in
                store.rows("SELECT outcome, COUNT(*) AS n FROM calls GROUP BY outcome", [])}
    unreadable = []
    for row in store.rows("SELECT id FROM calls ORDER BY started_at, id", []):
        try:
            store.call(row["id"])
            store.summary(row["id"])
        except (IntegrityError, KeyError):
            unreadable.append(str(row["id"]))
    return StoreCheck(integrity, broken, sum(outcomes.values()), outcomes.get("in-progress", 0),
                      outcomes.get("interrupted", 0), unreadable)
