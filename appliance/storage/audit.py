"""The audit log: who did what to which record, when and from where.

Rows go into the `audit_log` table (at, actor, action, subject, detail). The schema has no column for where a
request came from, so the source address is kept at the end of the detail (`...; from 192.0.2.7`) until the
panel's sign-in work gives it a column of its own. A subject is an opaque id (a contact, call or recording id),
never a number or a name.
"""

from __future__ import annotations

from typing import Any

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


def record(store: CallStore, *, actor: str, action: str, subject: str | None = None, detail: str | None = None,
           source: str | None = None) -> None:
    """Write one audit row now."""
    text = with_source(detail, source)
    store.audit(action, subject, actor=actor, detail=None if text is None else text[:MAX_DETAIL])


def read(store: CallStore, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Audit rows, newest first."""
    with store.reading() as sealer:
        return dict_rows(sealer.db, "SELECT id, at, actor, action, subject, detail FROM audit_log "
                         "ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", [limit, offset])
