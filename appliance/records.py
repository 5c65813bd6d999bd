"""What the panel reads and changes in the stored records: the call log, a call's detail and recording, the
message inbox, and one caller's page with their data rights (correct, export, erase).

`Appliance.records` is this object. Everything sensitive it does is audited here, in one place: playing or
downloading a recording (and asking for a recording that is not the call's), correcting, exporting and
erasing a caller. `actor` is the panel user's name and `source` the address the request came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from appliance.errors import NotFoundError
from appliance.storage import audit, calllist, contacts, datarights, inbox
from appliance.storage.brands import brand_names
from appliance.storage.calllist import CallQuery
from appliance.storage.exportzip import export_zip
from appliance.storage.recordings import open_recording, recordings_of
from appliance.storage.sealing import Sealer
from appliance.storage.store import CallStore

__all__ = ["CallQuery", "Records"]


class Records:
    """The stored records as the panel sees them (`store` gives the open call store, or raises if it is closed)."""

    def __init__(self, store: Callable[[], CallStore], recordings_dir: Path) -> None:
        self._store, self.recordings_dir = store, recordings_dir

    # --- calls ---

    def calls(self, query: CallQuery) -> dict[str, Any]:
        """One page of the call log, newest first: {calls, total, page, per_page, pages}."""
        store = self._store()
        with store.reading() as sealer:
            return calllist.list_calls(sealer, query, store.region)

    def brands(self) -> list[str]:
        """The brands stored calls were answered for (the call log's brand filter)."""
        with self._store().reading() as sealer:
            return brand_names(sealer)

    def call(self, call_id: str, *, transcript: bool) -> dict[str, Any]:
        """One call's metadata, summary, messages and recordings; with `transcript`, its turns and events too."""
        store = self._store()
        try:
            with store.reading() as sealer:
                detail = calllist.one(sealer, call_id)
                detail["messages"] = inbox.for_call(sealer, call_id)
            detail["recordings"] = recordings_of(store, call_id)
            if transcript:
                full = store.call(call_id)
                detail["turns"], detail["events"] = full["turns"], full["events"]
        except KeyError:
            raise NotFoundError(f"no stored call {call_id}") from None
        return detail

    def recording(self, call_id: str, recording_id: str, *, actor: str, source: str | None,
                  download: bool = False) -> Iterator[bytes]:
        """A call's recording as WAV chunks, decrypted while read; audited, and a refusal is audited too."""
        store = self._store()
        action = "download" if download else "play"
        try:
            chunks = open_recording(store, call_id, recording_id, self.recordings_dir)
        except (KeyError, FileNotFoundError):
            audit.record(store, actor=actor, action=f"{action}-refused", subject=recording_id,
                         detail=f"not a recording of call {call_id}", source=source)
            raise NotFoundError(f"call {call_id} has no recording {recording_id}") from None
        audit.record(store, actor=actor, action=action, subject=recording_id, detail=f"call {call_id}",
                     source=source)
        return chunks

    # --- the message inbox ---

    def inbox(self, view: str, page: int = 1, per_page: int = 25) -> dict[str, Any]:
        """One page of a view of the inbox ("new", "assigned" or "done"), newest first."""
        if view not in inbox.VIEWS:
            raise ValueError(f"'{view}' is not an inbox view; use one of {', '.join(inbox.VIEWS)}")
        with self._store().reading() as sealer:
            return inbox.list_messages(sealer, view, page, per_page)

    def inbox_counts(self) -> dict[str, int]:
        """How many messages are new, assigned and done."""
        with self._store().reading() as sealer:
            return inbox.counts(sealer)

    def team(self) -> list[dict[str, Any]]:
        """The panel users a message can be assigned to: [{id, username}]."""
        with self._store().reading() as sealer:
            return inbox.panel_users(sealer)

    def assign(self, message_id: str, user_id: int | None) -> None:
        """Give a message to a panel user, or to nobody (None)."""
        self._change(lambda sealer: inbox.assign(sealer, message_id, user_id), message_id)

    def add_note(self, message_id: str, text: str, *, actor: str) -> None:
        """Add a team note to a message (sealed like its other fields)."""
        self._change(lambda sealer: inbox.add_note(sealer, message_id, actor, text), message_id)

    def finish(self, message_id: str, done: bool = True) -> None:
        """Mark a message done, or open it again."""
        self._change(lambda sealer: inbox.finish(sealer, message_id, done), message_id)

    def _change(self, change: Callable[[Sealer], None], message_id: str) -> None:
        try:
            with self._store().writing() as sealer:
                change(sealer)
        except KeyError:
            raise NotFoundError(f"no stored message {message_id}") from None

    # --- callers and their data rights ---

    def caller(self, contact_id: str, page: int = 1) -> dict[str, Any]:
        """One caller: number, name, notes, a page of their calls, their messages and unanswered questions, and
        the contacts an export or erasure covers (every contact with their number)."""
        store = self._store()
        try:
            with store.reading() as sealer:
                contact = contacts.open_contact(sealer, contact_id)
                contact["calls"] = calllist.list_calls(sealer, CallQuery(page=page, contact_id=contact_id),
                                                       store.region)
                contact["messages"] = inbox.for_contact(sealer, contact_id)
        except KeyError:
            raise NotFoundError(f"no stored caller {contact_id}") from None
        contact["knowledge_gaps"] = store.knowledge_gaps(contact_id=contact_id)
        contact["covers"] = self._covered(contact)
        return contact

    def correct_caller(self, contact_id: str, *, name: str | None, notes: str | None, actor: str,
                       source: str | None) -> None:
        """Correct a caller's name and/or notes (None leaves one as it is); audited."""
        self.caller(contact_id)  # NotFoundError for an unknown caller
        datarights.correct_contacts(self._store(), [contact_id], name, notes, actor=actor, source=source)

    def erase_preview(self, contact_id: str) -> dict[str, int]:
        """What erasing this caller would destroy, counted (over every contact with their number)."""
        return datarights.erasure_preview(self._store(), self.caller(contact_id)["covers"])

    def export_caller(self, contact_id: str, *, actor: str, source: str | None) -> Iterator[bytes]:
        """The caller's export (JSON v1 and WAV files) as ZIP chunks; audited before the first byte."""
        covers = self.caller(contact_id)["covers"]
        return export_zip(self._store(), covers, self.recordings_dir, actor=actor, source=source)

    def erase_caller(self, contact_id: str, *, actor: str, source: str | None) -> int:
        """Erase the caller (every contact with their number): rows, recording files and keys; audited. Returns
        the calls erased."""
        covers = self.caller(contact_id)["covers"]
        return datarights.erase_contacts(self._store(), covers, actor=actor, source=source)

    def _covered(self, contact: dict[str, Any]) -> list[str]:
        found = self._store().find_contacts(contact["number"]) if contact["number"] else []
        return found if contact["id"] in found else [contact["id"], *found]

