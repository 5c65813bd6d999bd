"""The call log as the panel reads it: newest first, a page at a time, searched and filtered.

A number search goes through the blind index (`contacts.find_contacts`), so `+15550199887`, `15550199887` and
`tel:+15550199887` find the same caller. Names are sealed, so a name search opens every caller's name and the
names they gave in messages (one decryption each) and matches them in memory: honest and fine for the thousands
of callers a small business has, not for millions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from appliance.phone import PhoneNumber
from appliance.storage import contacts, messages, transcripts
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Key, Sealer

CALL_TEXT = ("caller_number", "caller_name", "source")
MAX_PER_PAGE = 200
_LISTED = ("SELECT c.*, k.wrapped AS _wrapped, b.name AS brand, s.text AS _summary, "
           "EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = c.id) AS recorded, "
           "(SELECT COUNT(*) FROM messages m WHERE m.call_id = c.id) AS message_count FROM calls c "
           "JOIN data_keys k ON k.key_id = c.contact_id LEFT JOIN brands b ON b.id = c.brand_id "
           "LEFT JOIN summaries s ON s.call_id = c.id")


@dataclass(frozen=True)
class CallQuery:
    """Which calls to list: a page, and any of a number (any form), a name, a time range (Unix seconds), a brand,
    an outcome and a duration range (seconds)."""

    page: int = 1
    per_page: int = 25
    number: str | None = None
    name: str | None = None
    since: float | None = None
    until: float | None = None
    brand: str | None = None
    outcome: str | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    contact_id: str | None = None  # one caller's calls (their page)


def insert(db: sqlite_utils.Database, values: list[object]) -> None:
    """A new call's row, in progress: id, contact id, the sealed caller number, name and source, the number called,
    codec, SIP Call-ID, started and answered (None: refused) times, and brand id."""
    db.execute("INSERT INTO calls (id, contact_id, caller_number, caller_name, source, called, codec, sip_call_id, "
               "started_at, answered_at, outcome, brand_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in-progress', ?)",
               values)


def open_call_row(sealer: Sealer, key: Key, row: dict[str, Any]) -> dict[str, Any]:
    """A calls row with its caller's number, name and address opened (and without its transcript digest)."""
    row.pop(transcripts.DIGEST, None)  # checked with the turns, when a call is read with them
    for column in CALL_TEXT:
        row[column] = sealer.open(key, row[column], "calls", row["id"], column)
    return row


def newest(sealer: Sealer, limit: int) -> list[dict[str, Any]]:
    """The newest calls, newest first, with decrypted caller numbers and names."""
    return [_listed(sealer, row) for row in
            dict_rows(sealer.db, f"{_LISTED} ORDER BY c.started_at DESC, c.id LIMIT ?", [limit])]


def one(sealer: Sealer, call_id: str) -> dict[str, Any]:
    """One call as listed (brand, summary, whether recorded, how many messages); KeyError if there is none."""
    rows = dict_rows(sealer.db, f"{_LISTED} WHERE c.id = ?", [call_id])
    if not rows:
        raise KeyError(f"no stored call {call_id}")
    return _listed(sealer, rows[0])


def list_calls(sealer: Sealer, query: CallQuery, region: str) -> dict[str, Any]:
    """One page of the calls matching `query`, newest first, with the total and the number of pages."""
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = max(query.page, 1)
    callers = _callers(sealer, query, region)
    where, params = _where(query, callers)
    total = int(sealer.db.execute(f"SELECT COUNT(*) FROM calls c LEFT JOIN brands b ON b.id = c.brand_id "
                                  f"WHERE {where}", params).fetchone()[0])
    rows = dict_rows(sealer.db, f"{_LISTED} WHERE {where} ORDER BY c.started_at DESC, c.id LIMIT ? OFFSET ?",
                     [*params, per_page, (page - 1) * per_page])
    return {"calls": [_listed(sealer, row) for row in rows], "total": total, "page": page, "per_page": per_page,
            "pages": max(math.ceil(total / per_page), 1)}


def _listed(sealer: Sealer, row: dict[str, Any]) -> dict[str, Any]:
    key = (row["contact_id"], bytes(row.pop("_wrapped")))
    summary = row.pop("_summary")
    row["summary"] = sealer.open(key, summary, "summaries", row["id"], "text")
    row["recorded"] = bool(row["recorded"])
    return open_call_row(sealer, key, row)


def _callers(sealer: Sealer, query: CallQuery, region: str) -> list[str] | None:
    """The contact ids a number and/or name search allows (None: any caller)."""
    found: list[str] | None = None
    if query.number and query.number.strip():
        found = contacts.find_contacts(sealer, PhoneNumber.parse(query.number, region))
    if query.name and query.name.strip():
        named = named_contacts(sealer, query.name)
        found = named if found is None else [contact for contact in found if contact in named]
    return found


def named_contacts(sealer: Sealer, needle: str) -> list[str]:
    """The ids of contacts whose name, or a name they gave in a message, contains `needle` (any case)."""
    wanted = needle.strip().casefold()
    rows = dict_rows(sealer.db, "SELECT c.id, c.name, k.wrapped FROM contacts c "
                     "JOIN data_keys k ON k.key_id = c.id ORDER BY c.first_seen, c.id", [])
    found = []
    for row in rows:
        key = (row["id"], bytes(row["wrapped"]))
        names = [sealer.open(key, row["name"], "contacts", row["id"], "name")]
        names += [message["name"] for message in messages.open_messages(sealer, row["id"])]
        if any(wanted in name.casefold() for name in names if name):
            found.append(row["id"])
    return found


def _where(query: CallQuery, callers: list[str] | None) -> tuple[str, list[Any]]:
    """The WHERE clause of a query and its parameters (the callers found by a search, if any)."""
    clauses, params = ["1 = 1"], list[Any]()
    if query.contact_id is not None:
        clauses.append("c.contact_id = ?")
        params.append(query.contact_id)
    if callers is not None:
        clauses.append(f"c.contact_id IN ({', '.join('?' * len(callers))})" if callers else "0 = 1")
        params += callers
    for clause, value in (("c.started_at >= ?", query.since), ("c.started_at < ?", query.until),
                          ("b.name = ?", query.brand or None), ("c.outcome = ?", query.outcome or None),
                          ("c.duration_s >= ?", query.min_duration_s), ("c.duration_s <= ?", query.max_duration_s)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params
