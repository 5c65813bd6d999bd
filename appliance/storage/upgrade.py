"""Schema version 2's data step: callers re-indexed by E.164 and merged, every field bound as version 2 binds it.

It runs inside the migration's transaction when the store first opens a version-1 database with its master key
(`schema.migrate`), so it commits whole or not at all, and a crash leaves the database as it was for the next
start to upgrade again. It:

- re-indexes each contact by the blind index of its number's E.164 form (`appliance.phone`, default region);
- merges contacts whose numbers are the same E.164 number into the oldest (first seen, then id). A contact's id
  is its data key's id and every field is bound to its table, row and column, so each row of a merged contact
  (calls, turns, events, summaries, messages, SMS) is opened under its key and sealed again under the survivor's,
  its recording files are re-encrypted into new files, and then its data key is deleted (crypto-shredding).
  The survivor is always the oldest, so a restored older backup merges the same way before the erasure ledger
  (which names survivors) is applied to it;
- seals every turn again bound to its speaker, every message bound to its urgency and status, each call's
  transcript digest, and each call's source address (until now in clear).

New recording files are written and synced before the commit and the rows point at them only once it commits;
`replaced` lists the files they replace, for the store to remove after the commit. A crash leaves one set or the
other without a row, and `sweep_recordings` removes it.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from appliance.phone import PhoneNumber
from appliance.storage import messages, transcripts
from appliance.storage.contacts import stored_number
from appliance.storage.crypto import ChunkReader, DecryptionError, Vault
from appliance.storage.schema import dict_rows, refuse_sealed_rows
from appliance.storage.sealing import Key, Sealer, stream_aad

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Caller:
    id: str
    first_seen: float
    number: str | None
    phone: PhoneNumber | None


class UpgradeToV2:
    """The data step of schema version 2, for `schema.migrate`."""

    def __init__(self, vault: Vault | None, region: str, recordings: Path | None) -> None:
        self._vault, self._region, self._recordings = vault, region, recordings
        self.replaced: list[Path] = []

    def __call__(self, db: sqlite_utils.Database) -> None:
        """Upgrade every sealed row (a database without a key check yet has none)."""
        if self._vault is None:
            refuse_sealed_rows(db)
            return
        sealer = Sealer(db, self._vault)
        moved = self._reindex(sealer)
        for row in dict_rows(db, "SELECT id, contact_id FROM calls", []):
            self._reseal_call(sealer, row["id"], row["contact_id"], moved.get(row["contact_id"], row["contact_id"]))
        for row in dict_rows(db, "SELECT * FROM messages", []):
            _reseal_message(sealer, row, moved.get(row["contact_id"], row["contact_id"]))
        for merged, survivor in moved.items():
            _absorb(sealer, merged, survivor)

    def _reindex(self, sealer: Sealer) -> dict[str, str]:
        """Index each number by its E.164 form; returns merged contact ids -> the surviving contact's id."""
        groups: dict[str, list[_Caller]] = {}
        for caller in self._callers(sealer):
            if caller.phone is not None:
                groups.setdefault(caller.phone.canonical, []).append(caller)
        sealer.db.execute("UPDATE contacts SET number_index = NULL")  # free every index before any is reused
        moved: dict[str, str] = {}
        for members in groups.values():
            survivor, *merged = sorted(members, key=lambda caller: (caller.first_seen, caller.id))
            moved.update((caller.id, survivor.id) for caller in merged)
            assert survivor.phone is not None and survivor.number is not None  # grouped by their number
            number = sealer.seal(sealer.key(survivor.id), stored_number(survivor.number, survivor.phone),
                                 "contacts", survivor.id, "number")
            sealer.db.execute("UPDATE contacts SET number_index = ?, number = ? WHERE id = ?",
                              [sealer.vault.blind_index(survivor.phone), number, survivor.id])
        return moved

    def _callers(self, sealer: Sealer) -> list[_Caller]:
        callers = []
        for row in dict_rows(sealer.db, "SELECT id, first_seen, number FROM contacts", []):
            number = sealer.open(sealer.key(row["id"]), row["number"], "contacts", row["id"], "number")
            phone = None if number is None else PhoneNumber.parse(number, self._region)
            callers.append(_Caller(row["id"], row["first_seen"], number, phone))
        return callers

    def _reseal_call(self, sealer: Sealer, call_id: str, owner: str, survivor: str) -> None:
        """A call's fields sealed as version 2 binds them, under its (surviving) caller's key."""
        old, new = sealer.key(owner), sealer.key(survivor)
        row = dict_rows(sealer.db, "SELECT caller_number, caller_name, source_v1 FROM calls WHERE id = ?",
                        [call_id])[0]
        fields = {column: sealer.open(old, row[column], "calls", call_id, column)
                  for column in ("caller_number", "caller_name")}
        fields["source"] = row["source_v1"]
        sealed = [sealer.seal(new, text, "calls", call_id, column) for column, text in fields.items()]
        sealer.db.execute("UPDATE calls SET contact_id = ?, caller_number = ?, caller_name = ?, source = ? "
                          "WHERE id = ?", [survivor, *sealed, call_id])
        _reseal_turns(sealer, call_id, old, new)
        transcripts.reseal_digest(sealer, new, call_id)
        if owner != survivor:
            _move_call_rows(sealer, call_id, old, new)
            self._reencrypt_recordings(sealer, call_id, old, new)

    def _reencrypt_recordings(self, sealer: Sealer, call_id: str, old: Key, new: Key) -> None:
        folder = self._recordings
        for row in dict_rows(sealer.db, "SELECT id, path FROM recordings WHERE call_id = ?", [call_id]):
            source = None if folder is None else folder / Path(row["path"]).name
            if source is None or not source.is_file():
                continue  # an in-memory database, or a file already gone: nothing to re-encrypt
            assert folder is not None
            target = folder / f"{uuid.uuid4().hex}.rec"
            try:
                _reencrypt(sealer.vault, source, target, stream_aad(call_id), (old, new))
            except DecryptionError:
                _LOGGER.warning("recording %s fails its integrity check; it is left as it was", row["id"])
                continue
            sealer.db.execute("UPDATE recordings SET path = ? WHERE id = ?", [target.name, row["id"]])
            self.replaced.append(source)

    def remove_replaced(self) -> None:
        """After the commit: delete the recording files that re-encrypted copies replaced."""
        for path in self.replaced:
            path.unlink(missing_ok=True)
        self.replaced.clear()


def _reseal_turns(sealer: Sealer, call_id: str, old: Key, new: Key) -> None:
    for turn in dict_rows(sealer.db, "SELECT id, seq, speaker, text FROM turns WHERE call_id = ?", [call_id]):
        row_id = f"{call_id}:{turn['seq']}"
        text = sealer.open(old, turn["text"], "turns", row_id, "text")
        sealed = sealer.seal(new, text, "turns", row_id, "text", context=transcripts.speaker_context(turn["speaker"]))
        sealer.db.execute("UPDATE turns SET text = ? WHERE id = ?", [sealed, turn["id"]])


def _move_call_rows(sealer: Sealer, call_id: str, old: Key, new: Key) -> None:
    """A merged caller's events and summary of one call, sealed again under the survivor's key."""
    for event in dict_rows(sealer.db, "SELECT id, seq, data FROM call_events WHERE call_id = ?", [call_id]):
        row_id = f"{call_id}:{event['seq']}"
        data = sealer.seal(new, sealer.open(old, event["data"], "call_events", row_id, "data"), "call_events",
                           row_id, "data")
        sealer.db.execute("UPDATE call_events SET data = ? WHERE id = ?", [data, event["id"]])
    for summary in dict_rows(sealer.db, "SELECT text FROM summaries WHERE call_id = ?", [call_id]):
        text = sealer.seal(new, sealer.open(old, summary["text"], "summaries", call_id, "text"), "summaries",
                           call_id, "text")
        sealer.db.execute("UPDATE summaries SET text = ? WHERE call_id = ?", [text, call_id])


def _reseal_message(sealer: Sealer, row: dict[str, Any], survivor: str) -> None:
    """A message sealed again bound to its urgency and status, under its (surviving) caller's key."""
    message_id = str(row["id"])
    texts = messages.open_texts(sealer, sealer.key(str(row["contact_id"])), row, None)
    texts["reason"] = texts["reason"] or ""  # always sealed, so the binding holds for every message
    bound = messages.context(str(row["urgency"]), str(row["status"]))
    sealed = messages.seal_texts(sealer, sealer.key(survivor), message_id, texts, bound)
    sealer.db.execute("UPDATE messages SET contact_id = ?, name = ?, callback_number = ?, reason = ?, notes = ? "
                      "WHERE id = ?", [survivor, *sealed, message_id])


def _absorb(sealer: Sealer, merged: str, survivor: str) -> None:
    """Move what is left of a merged contact into the survivor, then destroy the merged contact's data key."""
    old, new = sealer.key(merged), sealer.key(survivor)
    for sms in dict_rows(sealer.db, "SELECT id, body FROM sms_messages WHERE contact_id = ?", [merged]):
        body = sealer.seal(new, sealer.open(old, sms["body"], "sms_messages", sms["id"], "body"), "sms_messages",
                           sms["id"], "body")
        sealer.db.execute("UPDATE sms_messages SET contact_id = ?, body = ? WHERE id = ?", [survivor, body, sms["id"]])
    mine = dict_rows(sealer.db, "SELECT * FROM contacts WHERE id IN (?, ?) ORDER BY id = ?", [merged, survivor,
                                                                                          survivor])
    texts = [{c: sealer.open(key, row[c], "contacts", row["id"], c) for c in ("name", "notes")}
             for key, row in zip((old, new), mine, strict=True)]
    name = texts[1]["name"] or texts[0]["name"]
    notes = "\n".join(note for note in (texts[1]["notes"], texts[0]["notes"]) if note) or None
    sealer.db.execute("UPDATE contacts SET name = ?, notes = ?, first_seen = ?, last_seen = ? WHERE id = ?",
                      [sealer.seal(new, name, "contacts", survivor, "name"),
                       sealer.seal(new, notes, "contacts", survivor, "notes"),
                       min(row["first_seen"] for row in mine), max(row["last_seen"] for row in mine), survivor])
    sealer.db.execute("DELETE FROM data_keys WHERE key_id = ?", [merged])  # cascades to the emptied contact row
    sealer.vault.forget(merged)


def _reencrypt(vault: Vault, source: Path, target: Path, aad: bytes, keys: tuple[Key, Key]) -> None:
    """Decrypt a recording under the old key and encrypt it under the new into `target` (synced); no plaintext
    file."""
    old, new = keys
    temp = target.with_suffix(".tmp")
    try:
        with source.open("rb") as reader, os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600),
                                                    "wb") as out:
            vault.encrypt_stream(*new, ChunkReader(vault.decrypt_stream(*old, reader, aad)), out, aad)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    temp.rename(target)
