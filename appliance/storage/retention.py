"""Retention: how long each kind of stored data is kept, and the job that deletes what is due.

Windows are in days by kind; None keeps that kind until it is deleted. A call's *log* is its row (caller
number and name, SIP details, timings) and its events; its *transcript* is its turns. When the log is due but
the transcript, summary or a message of the call is kept, the call row stays for them with the caller's number
and name, SIP details and events removed. A contact with nothing left and not seen within the call-log window
is deleted with its data key, and a knowledge gap a caller has not asked again within that window goes too.
Deletions run with `secure_delete` on and the WAL checkpointed after them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appliance.config import RETENTION_KINDS, RetentionSettings
from appliance.storage.store import CallStore

DAY_S = 86400.0
KINDS = RETENTION_KINDS  # defined once, with the defaults, in the config's [retention] section
DEFAULT_WINDOWS = RetentionSettings().windows()
Windows = Mapping[str, int | None]

_KEEPS_CALL = ("NOT EXISTS (SELECT 1 FROM turns t WHERE t.call_id = calls.id) "
               "AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.call_id = calls.id) "
               "AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.call_id = calls.id)")
_SQL: dict[str, list[str]] = {
    "transcripts": ["DELETE FROM turns WHERE call_id IN (SELECT id FROM calls WHERE started_at < ?)"],
    "summaries": ["DELETE FROM summaries WHERE created_at < ?"],
    "call_logs": [
        "DELETE FROM calls WHERE started_at < ? AND outcome != 'in-progress' AND " + _KEEPS_CALL,
        "DELETE FROM call_events WHERE call_id IN (SELECT id FROM calls WHERE started_at < ?)",
        "UPDATE calls SET caller_number = NULL, caller_name = NULL, sip_call_id = NULL, source = NULL, trunk = NULL "
        "WHERE started_at < ? AND (caller_number IS NOT NULL OR sip_call_id IS NOT NULL)",
        "DELETE FROM data_keys WHERE key_id IN (SELECT id FROM contacts c WHERE c.last_seen < ? "
        "AND NOT EXISTS (SELECT 1 FROM calls WHERE contact_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM messages WHERE contact_id = c.id) "
        "AND NOT EXISTS (SELECT 1 FROM sms_messages WHERE contact_id = c.id))",
        "DELETE FROM knowledge_gaps WHERE last_asked < ?",  # a caller's question, kept as long as a call log
    ],
    "sms": ["DELETE FROM sms_messages WHERE created_at < ?"],
    "recordings": ["DELETE FROM recordings WHERE created_at < ?"],
}
_ORDER = ("transcripts", "summaries", "call_logs", "sms", "recordings")  # transcripts first: freed calls go too


def cutoff(kind: str, now: float, windows: Windows = DEFAULT_WINDOWS) -> float | None:
    """The creation time before which data of `kind` is due, or None if it is kept until deleted."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of data {kind!r}; one of {', '.join(KINDS)}")
    days = windows.get(kind, DEFAULT_WINDOWS[kind])
    return None if days is None else now - days * DAY_S


def due(kind: str, created_at: float, now: float, windows: Windows = DEFAULT_WINDOWS) -> bool:
    """Whether data of `kind` created at `created_at` (Unix seconds) is past its window at `now`."""
    limit = cutoff(kind, now, windows)
    return limit is not None and created_at < limit


def run_retention(store: CallStore, now: float, windows: Windows = DEFAULT_WINDOWS) -> dict[str, int]:
    """Delete everything due at `now`; returns the number of rows deleted by kind (calls for call_logs)."""
    kinds = [kind for kind in _ORDER if cutoff(kind, now, windows) is not None]
    statements: list[tuple[str, list[Any]]] = [(sql, [cutoff(kind, now, windows)]) for kind in kinds
                                               for sql in _SQL[kind]]
    counts = store.purge(statements)
    deleted, at = dict.fromkeys(_ORDER, 0), 0
    for kind in kinds:  # each kind's first statement deletes its own rows; the rest tidy up after it
        deleted[kind], at = counts[at], at + len(_SQL[kind])
    store.audit("retention", None, actor="retention", detail=", ".join(f"{k} {v}" for k, v in deleted.items()))
    return deleted
