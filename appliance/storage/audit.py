"""The audit log: who did what to which record, when and from where.

Rows go into the `audit_log` table (at, actor, action, subject, detail, address). Where a request came from is
in the `address` column (schema 5); rows written before it, and the data-rights operations that write through
`CallStore.audit`, keep it at the end of the detail (`...; from 192.0.2.7`), which `record` still adds so every
row reads the same. A subject is an opaque id (a contact, call or recording id, a user id), never a number or a
name.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from appliance.storage.schema import dict_rows
from appliance.storage.store import CallStore

MAX_DETAIL = 500


def from_source(source: str | None) -> str:
    """What a detail ends with to say where a request came from (nothing for the command line)."""
    return f"; from {source}" if source else ""


def with_source(detail: str | None, source: str | None) -> str | None:
    """The detail as stored: the source address appended when there is one."""
    if not source:
        return detail
    return f"{detail}{from_source(source)}" if detail else f"from {source}"


def insert(db: sqlite_utils.Database, *, at: float, actor: str, action: str, subject: str | None,
           detail: str | None, address: str | None) -> None:
    """Insert one audit row (in the caller's transaction)."""
    db.execute("INSERT INTO audit_log (at, actor, action, subject, detail, address) VALUES (?, ?, ?, ?, ?, ?)",
               [at, actor, action, subject, None if detail is None else detail[:MAX_DETAIL], address])


def record(store: CallStore, *, actor: str, action: str, subject: str | None = None, detail: str | None = None,
           source: str | None = None) -> None:
    """Write one audit row now."""
    with store.writing() as sealer:
        insert(sealer.db, at=time.time(), actor=actor, action=action, subject=subject,
               detail=with_source(detail, source), address=source)


def read(store: CallStore, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Audit rows (id, at, actor, action, subject, detail, address), newest first."""
    with store.reading() as sealer:
        return dict_rows(sealer.db, "SELECT id, at, actor, action, subject, detail, address FROM audit_log "
                         "ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", [limit, offset])
