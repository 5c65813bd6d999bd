"""Callers' data rights: export everything about one caller (or everyone), erase a caller, correct their details.

These are what the CLI calls now and the panel will call later; each writes an audit-log row whose subject is the
opaque contact id, never a number or a name. The export is plain JSON (version 1):

    {"format": "receptionist-export", "version": 1, "exported_at": <unix seconds>,
     "contacts": [
       {"id", "number", "name", "notes", "first_seen", "last_seen",
        "calls": [
          {"id", "caller_number", "caller_name", "called", "trunk", "source", "codec", "sip_call_id",
           "started_at", "answered_at", "ended_at", "duration_s", "billing_minutes", "destination", "outcome",
           "end_reason", "error_code",
           "turns": [{"seq", "speaker", "text", "start_s", "end_s", "timings": {name: ms}}],
           "events": [{"seq", "at_s", "kind", "data": {...}}],
           "summary": <text or null>,
           "messages": [{"id", "name", "callback_number", "reason", "notes", "urgency", "status", "assignee",
                         "created_at"}]}],
        "messages": [<messages not taken on a call, same shape>]}]}

Times are Unix seconds; turn and event offsets (`start_s`, `end_s`, `at_s`) are seconds from the answer.
"""

from __future__ import annotations

import json
import time
from typing import Any

from appliance.errors import ApplianceError, ErrorCode
from appliance.store import CallStore

EXPORT_FORMAT = "receptionist-export"
EXPORT_VERSION = 1
_INTERNAL = ("call_id", "contact_id")


class CallerNotFoundError(ApplianceError):
    """No stored data belongs to that phone number."""

    code = ErrorCode.STORE


def export_caller(store: CallStore, number: str) -> dict[str, Any]:
    """Everything stored about the caller with this number (an empty contact list if there is none)."""
    contact_id = store.find_contact(number)
    contacts = [] if contact_id is None else [_contact(store, contact_id)]
    store.audit("export", contact_id, detail="caller" if contact_id else "caller: no stored data")
    return _archive(contacts)


def export_all(store: CallStore) -> dict[str, Any]:
    """Everything stored about every caller."""
    contacts = [_contact(store, contact_id) for contact_id in store.contact_ids()]
    store.audit("export", None, detail=f"all: {len(contacts)} contacts")
    return _archive(contacts)


def erase_caller(store: CallStore, number: str) -> int:
    """Erase every row about this caller and destroy their data key; returns the number of calls erased."""
    contact_id = store.find_contact(number)
    if contact_id is None:
        store.audit("erase", None, detail="caller: no stored data")
        return 0
    return store.erase_contact(contact_id)  # audited in the same transaction


def correct_contact(store: CallStore, number: str, name: str | None = None, notes: str | None = None) -> None:
    """Correct the stored name and/or notes of the caller with this number."""
    contact_id = store.find_contact(number)
    if contact_id is None:
        raise CallerNotFoundError("no stored data belongs to that number; nothing to correct")
    store.correct_contact(contact_id, name=name, notes=notes)
    changed = ", ".join(field for field, value in (("name", name), ("notes", notes)) if value is not None)
    store.audit("correct", contact_id, detail=changed or "nothing")


def _archive(contacts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": time.time(), "contacts": contacts}


def _contact(store: CallStore, contact_id: str) -> dict[str, Any]:
    contact = store.contact(contact_id)
    messages = [_public(message) | {"call_id": message["call_id"]} for message in store.messages(contact_id)]
    contact["calls"] = [_call(store, call_id, messages) for call_id in store.call_ids(contact_id)]
    contact["messages"] = [_public(message) for message in messages if message["call_id"] is None]
    return contact


def _call(store: CallStore, call_id: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    call = _public(store.call(call_id))
    call["turns"] = [_public(turn, "id") for turn in call["turns"]]
    call["events"] = [_public(event, "id") | {"data": json.loads(event["data"] or "{}")} for event in call["events"]]
    call["summary"] = store.summary(call_id)
    call["messages"] = [_public(message) for message in messages if message["call_id"] == call_id]
    return call


def _public(row: dict[str, Any], *extra: str) -> dict[str, Any]:
    """A row without the store's internal link columns."""
    return {key: value for key, value in row.items() if key not in _INTERNAL and key not in extra}
