"""Callers' data rights: export everything about one caller (or everyone), erase a caller, correct their details.

These are what the CLI calls now and the panel will call later; each writes an audit-log row whose subject is the
opaque contact id, never a number or a name. A caller is named by their number in any form (`+15550199887`,
`15550199887`, `0015550199887`, `tel:+15550199887`, or a national form in the configured default region), and each
operation acts on every contact that number matches (`CallStore.find_contacts`). The export is plain JSON
(version 1):

    {"format": "receptionist-export", "version": 1, "exported_at": <unix seconds>, "notice": EXPORT_NOTICE,
     "contacts": [
       {"id", "number", "name", "notes", "first_seen", "last_seen",
        "calls": [
          {"id", "caller_number", "caller_name", "called", "trunk", "source", "codec", "sip_call_id",
           "started_at", "answered_at", "ended_at", "duration_s", "billing_minutes", "destination", "outcome",
           "end_reason", "error_code",
           "turns": [{"seq", "speaker", "text", "start_s", "end_s", "timings": {name: ms}}],
           "events": [{"seq", "at_s", "kind", "data": {...}}],
           "summary": <text or null>,
           "recording": <path of the call's WAV, relative to the export file; only when recorded>,
           "messages": [{"id", "name", "callback_number", "reason", "notes", "urgency", "status", "assignee",
                         "created_at", "for_member": <the team member's id in the profile, or null>}]}],
        "messages": [<messages not taken on a call, same shape>],
        "knowledge_gaps": [{"brand", "question", "count", "last_asked"}]}]}

The CLI writes recordings as 16 kHz stereo WAV files (caller left, receptionist right) into the folder
`<export name>-recordings/` beside the JSON file. Times are Unix seconds; turn and event offsets (`start_s`,
`end_s`, `at_s`) are seconds from the answer.

An erasure is one operation whoever calls it (the CLI, the panel): inside its transaction, before the commit, the
contact's opaque id goes into the erasure ledger (`<master key file>.erased`, one id a line, fsynced, never twice)
and their recording files are removed; then the commit, then a WAL checkpoint that must succeed (WalBusyError says
what to do otherwise). A crash after the ledger write keeps the line, and running the erasure again finishes it.
`appliance.storage.backup.restore` erases the ledger's contacts from a restored database, so restoring an older backup
does not bring an erased caller back.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError, ErrorCode
from appliance.storage.audit import from_source, with_source
from appliance.storage.store import RECORDINGS, CallStore

EXPORT_FORMAT = "receptionist-export"
EXPORT_VERSION = 1
EXPORT_NOTICE = ("This export is a plain copy outside the appliance: erasing the caller there does not reach it or "
                 "its recordings. Keep it only as long as needed, then delete it.")
_INTERNAL = ("call_id", "contact_id")


class CallerNotFoundError(ApplianceError):
    """No stored data belongs to that phone number."""

    code = ErrorCode.STORE


def export_caller(store: CallStore, number: str, *, actor: str = "cli") -> dict[str, Any]:
    """Everything stored about the caller with this number (an empty contact list if there is none)."""
    contact_ids = store.find_contacts(number)
    if not contact_ids:
        store.audit("export", None, actor=actor, detail="caller: no stored data")
    return export_contacts(store, contact_ids, actor=actor)


def export_contacts(store: CallStore, contact_ids: list[str], *, actor: str = "cli",
                    source: str | None = None) -> dict[str, Any]:
    """Everything stored about these contacts (one caller's, as `find_contacts` gives them), audited for each
    (`source`: where the request came from)."""
    contacts = [_contact(store, contact_id) for contact_id in contact_ids]
    for contact_id in contact_ids:
        store.audit("export", contact_id, actor=actor, detail=with_source("caller", source))
    return _archive(contacts)


def export_all(store: CallStore) -> dict[str, Any]:
    """Everything stored about every caller."""
    contacts = [_contact(store, contact_id) for contact_id in store.contact_ids()]
    store.audit("export", None, detail=f"all: {len(contacts)} contacts")
    return _archive(contacts)


def erase_caller(store: CallStore, number: str) -> int:
    """Erase every row and recording file of each contact with this number and destroy their data keys; returns
    the calls erased."""
    contact_ids = store.find_contacts(number)
    if not contact_ids:
        store.audit("erase", None, detail="caller: no stored data")
        store.checkpoint()  # a rerun wipes what an erasure blocked by a reader left in the -wal file
        return 0
    return erase_contacts(store, contact_ids)


def erase_contacts(store: CallStore, contact_ids: list[str], *, actor: str = "cli", source: str | None = None) -> int:
    """Erase these contacts (one caller's) as `erase_caller` does, audited; returns the calls erased."""
    return sum(store.erase_contact(contact_id, actor=actor, detail=from_source(source),
                                   before_commit=_settle_erasure(store, contact_id)) for contact_id in contact_ids)


def erasure_preview(store: CallStore, contact_ids: list[str]) -> dict[str, int]:
    """What erasing these contacts would destroy, counted: calls, transcript turns, messages, recordings and
    unanswered questions."""
    marks = ", ".join("?" * len(contact_ids)) or "NULL"
    counts = {"callers": f"SELECT COUNT(*) AS n FROM contacts WHERE id IN ({marks})",
              "calls": f"SELECT COUNT(*) AS n FROM calls WHERE contact_id IN ({marks})",
              "turns": f"SELECT COUNT(*) AS n FROM turns t JOIN calls c ON c.id = t.call_id WHERE c.contact_id IN "
                       f"({marks})",
              "messages": f"SELECT COUNT(*) AS n FROM messages WHERE contact_id IN ({marks})",
              "recordings": f"SELECT COUNT(*) AS n FROM recordings r JOIN calls c ON c.id = r.call_id WHERE "
                            f"c.contact_id IN ({marks})",
              "questions": f"SELECT COUNT(*) AS n FROM knowledge_gaps WHERE contact_id IN ({marks})"}
    return {what: int(store.rows(sql, list(contact_ids))[0]["n"]) for what, sql in counts.items()}


def _settle_erasure(store: CallStore, contact_id: str) -> Callable[[], None]:
    """What must hold before an erasure commits: the id in the ledger, then the caller's recording files gone."""
    folder = _data_dir(store)
    files = [] if folder is None else [folder / RECORDINGS / Path(row["path"]).name for row in store.rows(
        "SELECT r.path FROM recordings r JOIN calls c ON c.id = r.call_id WHERE c.contact_id = ?", [contact_id])]

    def settle() -> None:
        if folder is not None:
            record_erasure(erasure_ledger(store.key_path), contact_id)
        for path in files:
            _remove_recording(path)
    return settle


def _remove_recording(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise ApplianceError(f"cannot remove the recording {path} ({exc.strerror}); nothing was erased: fix its "
                             "permissions and run the erase again", code=ErrorCode.STORE) from exc


def erasure_ledger(key_path: Path) -> Path:
    """Where the erasure ledger of the database using this master key file lives: `<key file>.erased`."""
    return key_path.with_name(key_path.name + ".erased")


def record_erasure(ledger: Path, contact_id: str) -> None:
    """Append an erased contact's opaque id to the ledger, durably (fsynced), unless it is already there."""
    try:
        if contact_id in erased_ids(ledger):
            return
        fd = os.open(ledger, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"  # a line cut short by a crash stays apart
            os.write(fd, b"\n" * torn + contact_id.encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ApplianceError(
            f"cannot add the caller's id {contact_id} to the erasure ledger {ledger} ({exc.strerror}); nothing was "
            "erased: fix the file's permissions or free some disk space, then run the erase again",
            code=ErrorCode.STORE) from exc


def erased_ids(ledger: Path) -> set[str]:
    """The contact ids in the erasure ledger (none if it does not exist yet)."""
    try:
        text = ledger.read_text(encoding="ascii")
    except FileNotFoundError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def correct_contact(store: CallStore, number: str, name: str | None = None, notes: str | None = None) -> None:
    """Correct the stored name and/or notes of every contact with this number."""
    contact_ids = store.find_contacts(number)
    if not contact_ids:
        raise CallerNotFoundError("no stored data belongs to that number; nothing to correct. Check the number "
                                  "(a national number is read in [business] default_region)")
    correct_contacts(store, contact_ids, name, notes)


def correct_contacts(store: CallStore, contact_ids: list[str], name: str | None = None, notes: str | None = None,
                     *, actor: str = "cli", source: str | None = None) -> None:
    """Correct the stored name and/or notes of these contacts, audited (`source`: where the request came from)."""
    changed = ", ".join(field for field, value in (("name", name), ("notes", notes)) if value is not None)
    for contact_id in contact_ids:
        store.correct_contact(contact_id, name=name, notes=notes)
        store.audit("correct", contact_id, actor=actor, detail=with_source(changed or "nothing", source))


def _data_dir(store: CallStore) -> Path | None:
    """The folder of the store's database file; None for an in-memory database (tests), which has no files."""
    filename = str(store.rows("PRAGMA database_list", [])[0]["file"])
    return Path(filename).parent if filename else None


def _archive(contacts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": time.time(), "notice": EXPORT_NOTICE,
            "contacts": contacts}


def _contact(store: CallStore, contact_id: str) -> dict[str, Any]:
    contact = store.contact(contact_id)
    messages = [_public(message) | {"call_id": message["call_id"]} for message in store.messages(contact_id)]
    contact["calls"] = [_call(store, call_id, messages) for call_id in store.call_ids(contact_id)]
    contact["messages"] = [_public(message) for message in messages if message["call_id"] is None]
    contact["knowledge_gaps"] = store.knowledge_gaps(contact_id=contact_id)  # their unanswered questions
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
