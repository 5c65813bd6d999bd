"""Call records in SQLite (sqlite-utils): the one place that reads and writes them, encrypted at rest.

Every caller's number, name, address and words are sealed by `appliance.storage.crypto.Vault` under the caller's own
data key (one per contact; the contact's id is the key's id) and bound to their table, row and column, so an
edited or swapped ciphertext fails to decrypt instead of reading as garbage. Helpers hold the details: callers
and their E.164 blind index (`contacts`), transcripts bound to speakers and sealed as a whole (`transcripts`),
messages bound to urgency and status (`messages`), unanswered questions (`gaps`), the schema 2 upgrade
(`upgrade`). Every method returns decrypted plain dicts.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from appliance.call.events import (
    Backchannel,
    CallEnded,
    CallEvent,
    CallStarted,
    DtmfPressed,
    ErrorRaised,
    Interrupted,
    KnowledgeGap,
    MessageTaken,
    TransferFailed,
    Transferring,
    TurnSpoken,
)
from appliance.config import Settings
from appliance.errors import ApplianceError, ErrorCode
from appliance.phone import DEFAULT_REGION, PhoneNumber, check_region
from appliance.storage import brands, calllist, contacts, gaps, messages, transcripts
from appliance.storage.crypto import (
    MasterKey,
    Reader,
    Vault,
    Writer,
    create_key_check,
    load_master_key,
    verify_master_key,
)
from appliance.storage.keys import locate_or_create_master_key
from appliance.storage.locks import hold_shared_lock
from appliance.storage.private import connect_private
from appliance.storage.profiles import ProfileVersions
from appliance.storage.schema import (
    WalBusyError,
    apply_pragmas,
    atomic,
    checkpoint,
    dict_rows,
    key_settings,
    migrate,
    schema_version,
)
from appliance.storage.sealing import Key, Sealer, stream_aad
from appliance.storage.upgrade import UpgradeToV2

__all__ = ["DEFAULT_KEY_FILE", "RECORDINGS", "CallStore", "Key"]

_LOGGER = logging.getLogger(__name__)
DEFAULT_KEY_FILE = "master.key"
RECORDINGS = "recordings"  # the data folder's recordings/, beside the database (Settings.recordings_dir)
_EVENT_KINDS: dict[type, str] = {ErrorRaised: "error", Interrupted: "interrupted", Backchannel: "backchannel",
                                  DtmfPressed: "dtmf", Transferring: "transfer", TransferFailed: "transfer-failed"}
_Logged = ErrorRaised | Interrupted | Backchannel | DtmfPressed | Transferring | TransferFailed


class CallStore:
    """Thread-safe, encrypted store of calls, their turns and events, and the callers behind them."""

    wal_wait_s = 5.0  # how long erasures and purges wait for readers of an older snapshot

    def __init__(self, path: Path | str, key_path: Path | str | None = None, *, master: MasterKey | None = None,
                 region: str = DEFAULT_REGION) -> None:
        """Open or create the database (`key_path` defaults to master.key beside it); refuse a missing or wrong key.

        `region` reads national numbers (`[business] default_region`); opening a version-1 database upgrades it."""
        if str(path) == ":memory:" and master is None:
            raise ValueError("an in-memory call store needs an explicit master key")
        self.region = check_region(region)
        self._lock = threading.Lock()
        self._folder_lock: int | None = None  # the data folder's lock, held shared by a store of the settings
        self.db = sqlite_utils.Database(connect_private(path))
        self.key_path = Path(key_path) if key_path else Path(path).parent / DEFAULT_KEY_FILE  # and its ledger
        folder = None if str(path) == ":memory:" else Path(path).parent / RECORDINGS
        try:
            self._sealer = Sealer(self.db, self._unlock(self.key_path, master, folder))
        except BaseException:
            self.db.conn.close()
            raise
        self.profiles = ProfileVersions(self._sealer, self._lock)  # the business profile's versions, newest live

    @classmethod
    def open(cls, settings: Settings) -> CallStore:
        """The store of a Settings object (database file, master key); no key rotation runs until it is closed."""
        folder_lock = hold_shared_lock(settings.data_dir)
        try:
            store = cls(settings.database_path, settings.storage.master_key, region=settings.business.default_region)
        except BaseException:
            os.close(folder_lock)
            raise
        store._folder_lock = folder_lock
        return store

    def _unlock(self, key_path: Path, master: MasterKey | None, recordings: Path | None) -> Vault:
        """Check the master key before anything is written, then migrate; set up a new database's key check."""
        key_check, pending = self._stored_keys()
        vault = None
        if key_check is not None:
            if master is None:
                master = load_master_key(key_path, key_check, pending=pending)
            verify_master_key(master, key_check)
            vault = Vault(master, key_check)
        apply_pragmas(self.db)
        self._migrate(vault, recordings)  # without a key check yet, the database holds nothing sealed
        if vault is None:
            master = master or locate_or_create_master_key(key_path)
            key_check = create_key_check(master)
            with atomic(self.db):
                self.db.execute("INSERT INTO settings (key, value) VALUES ('key_check', ?)", [key_check])
            vault = Vault(master, key_check)
        return vault

    def _migrate(self, vault: Vault | None, recordings: Path | None) -> None:
        """Apply pending migrations; after an upgrade, remove replaced files and fold old data out of the WAL."""
        before = schema_version(self.db)
        upgrade = UpgradeToV2(vault, self.region, recordings)
        if migrate(self.db, upgrade) == before or before == 0:
            return  # nothing upgraded, or a new database with nothing to upgrade
        upgrade.remove_replaced()
        try:
            checkpoint(self.db, self.wal_wait_s)  # the plaintext addresses and merged callers' keys it replaced
        except WalBusyError:
            _LOGGER.warning("the upgraded database's old contents stay in its -wal file until the next checkpoint")

    def _stored_keys(self) -> tuple[bytes | None, bytes | None]:
        try:
            return (None, None) if schema_version(self.db) == 0 else key_settings(self.db)
        except sqlite3.DatabaseError as exc:
            raise ApplianceError(f"the call database cannot be read: {exc}; restore it from a backup",
                                 code=ErrorCode.STORE) from exc

    # --- writing a call ---------------------------------------------------------------------------------

    def open_call(self, call_id: str, started: CallStarted) -> str:
        """Write the call's row as soon as it is answered, so a crash still leaves a record."""
        caller_name, source, codec, call_ref = started.caller_name, started.source, started.codec, started.sip_call_id
        with self._lock, atomic(self.db):
            number = PhoneNumber.parse(started.caller, self.region)
            key = contacts.contact_for(self._sealer, started.caller, number, caller_name, started.at)
            sealed = [self._sealer.seal(key, text, "calls", call_id, column)
                      for column, text in zip(calllist.CALL_TEXT, (started.caller, caller_name, source), strict=True)]
            calllist.insert(self.db, [call_id, key[0], *sealed, started.called, codec, call_ref, started.at,
                                      started.at if started.answered else None,
                                      brands.brand_id(self.db, started.brand, started.at)])
            transcripts.seal_digest(self._sealer, key, call_id, transcripts.GENESIS)
        return call_id

    def record(self, call_id: str, event: CallEvent) -> None:
        """Store one event of a call's run."""
        with self._lock, atomic(self.db):
            if isinstance(event, TurnSpoken):
                transcripts.append_turn(self._sealer, call_id, event)
            elif isinstance(event, CallEnded):
                self._close(call_id, event)
            elif isinstance(event, _Logged):
                self._add_event(call_id, event)
            elif isinstance(event, MessageTaken):
                messages.insert_message(self._sealer, call_id, vars(event), event.urgency, event.at)
            elif isinstance(event, KnowledgeGap):
                gaps.record_gap(self._sealer, call_id, event)

    def _add_event(self, call_id: str, event: _Logged) -> None:
        at = (data := dict(vars(event))).pop("at")
        seq = self._next_seq("call_events", call_id)
        sealed = self._sealer.seal(self._sealer.key_of_call(call_id), json.dumps(data), "call_events",
                                   f"{call_id}:{seq}", "data")
        self.db.execute("INSERT INTO call_events (call_id, seq, at_s, kind, data) VALUES (?, ?, ?, ?, ?)",
                        [call_id, seq, at, _EVENT_KINDS[type(event)], sealed])
        if isinstance(event, ErrorRaised):
            self.db.execute("UPDATE calls SET error_code = ? WHERE id = ?", [event.code, call_id])
        elif isinstance(event, Transferring | TransferFailed):  # a failed transfer leaves no destination
            where = event.target if isinstance(event, Transferring) else None
            self.db.execute("UPDATE calls SET destination = ? WHERE id = ?", [where, call_id])

    def _close(self, call_id: str, ended: CallEnded) -> None:
        answered = self.db.execute("SELECT COALESCE(answered_at, started_at) FROM calls WHERE id = ?",
                                   [call_id]).fetchone()[0]
        duration = round(ended.at - answered, 3)
        self.db.execute("UPDATE calls SET ended_at = ?, duration_s = ?, billing_minutes = ?, outcome = ?, "
                        "end_reason = ? WHERE id = ?",
                        [ended.at, duration, math.ceil(max(duration, 0) / 60), ended.outcome.value, ended.reason,
                         call_id])

    def _next_seq(self, table: str, call_id: str) -> int:
        row = self.db.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table} WHERE call_id = ?", [call_id]).fetchone()
        return int(row[0]) + 1

    # --- reading ----------------------------------------------------------------------------------------

    def call(self, call_id: str) -> dict[str, Any]:
        """One call with its turns and events, decrypted; TranscriptTamperedError if its turns fail their digest."""
        with self._lock:
            key = self._sealer.key_of_call(call_id)
            row = calllist.open_call_row(self._sealer, key, dict_rows(self.db, "SELECT * FROM calls WHERE id = ?",
                                                                      [call_id])[0])
            row["turns"] = transcripts.open_turns(self._sealer, key, call_id)
            row["events"] = dict_rows(self.db, "SELECT * FROM call_events WHERE call_id = ? ORDER BY seq", [call_id])
            for event in row["events"]:
                event["data"] = self._sealer.open(key, event["data"], "call_events", f"{call_id}:{event['seq']}",
                                                  "data")
        return row

    def recent_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest calls, newest first, with decrypted caller numbers and names."""
        with self._lock:
            return calllist.newest(self._sealer, limit)

    def seal_stream(self, call_id: str, reader: Reader, writer: Writer) -> int:
        """Encrypt a stream (a recording) under the call's caller key, bound to the call; returns bytes written."""
        key = self._sealer.key_of_call(call_id)
        return self._sealer.vault.encrypt_stream(*key, reader, writer, stream_aad(call_id))

    def open_stream(self, call_id: str, reader: Reader) -> Iterator[bytes]:
        """Decrypt a call's stream chunk by chunk (raises DecryptionError at the first bad chunk)."""
        return self._sealer.vault.decrypt_stream(*self._sealer.key_of_call(call_id), reader, stream_aad(call_id))

    # --- callers and data rights ------------------------------------------------------------------------

    def find_contacts(self, number: str) -> list[str]:
        """The ids of every contact with this number in any form (by blind index), oldest first."""
        with self._lock:
            return contacts.find_contacts(self._sealer, PhoneNumber.parse(number, self.region))

    def find_contact(self, number: str) -> str | None:
        """The (oldest) contact id of a caller's number, or None if that number never called."""
        return next(iter(self.find_contacts(number)), None)

    def known_name(self, number: str) -> str | None:
        """The name to greet a returning caller by (`contacts.known_name`), or None; for the call layer's port."""
        with self._lock:
            return contacts.known_name(self._sealer, PhoneNumber.parse(number, self.region))

    def knowledge_gaps(self, brand: str | None = None, *, contact_id: str | None = None) -> list[dict[str, Any]]:
        """Unanswered questions (of a brand, a contact, or all) with their count and last asked, most asked first."""
        with self._lock:
            return gaps.open_gaps(self._sealer, brand, contact_id)

    def contact_ids(self) -> list[str]:
        """Every contact's id, oldest first."""
        with self._lock:
            return [str(row[0]) for row in self.db.execute("SELECT id FROM contacts ORDER BY first_seen, id")]

    def contact(self, contact_id: str) -> dict[str, Any]:
        """One contact with its number, name and notes decrypted (no blind index)."""
        with self._lock:
            return contacts.open_contact(self._sealer, contact_id)

    def call_ids(self, contact_id: str) -> list[str]:
        """The ids of a contact's calls, oldest first."""
        with self._lock:
            return [str(row[0]) for row in self.db.execute(
                "SELECT id FROM calls WHERE contact_id = ? ORDER BY started_at, id", [contact_id])]

    def correct_contact(self, contact_id: str, *, name: str | None = None, notes: str | None = None) -> None:
        """Replace a contact's name and/or notes (None leaves a field as it is)."""
        with self._lock, atomic(self.db):
            contacts.correct(self._sealer, contact_id, {"name": name, "notes": notes})

    def add_summary(self, call_id: str, text: str, at: float) -> None:
        """Store (or replace) a call's summary."""
        with self._lock, atomic(self.db):
            sealed = self._sealer.seal(self._sealer.key_of_call(call_id), text, "summaries", call_id, "text")
            self.db.execute("INSERT OR REPLACE INTO summaries (call_id, text, created_at) VALUES (?, ?, ?)",
                            [call_id, sealed, at])

    def summary(self, call_id: str) -> str | None:
        """A call's summary, or None."""
        with self._lock:
            row = self.db.execute("SELECT text FROM summaries WHERE call_id = ?", [call_id]).fetchone()
            return None if row is None else self._sealer.open(self._sealer.key_of_call(call_id), row[0], "summaries",
                                                              call_id, "text")

    def add_message(self, call_id: str, fields: dict[str, str | None], *, urgency: str = "normal",
                    at: float) -> str:
        """Store a message taken on a call (`fields`: name, callback_number, reason, notes, for_member); its id."""
        with self._lock, atomic(self.db):
            return messages.insert_message(self._sealer, call_id, fields, urgency, at)

    def messages(self, contact_id: str) -> list[dict[str, Any]]:
        """A contact's messages, oldest first, decrypted (DecryptionError if an urgency or status was altered)."""
        with self._lock:
            return messages.open_messages(self._sealer, contact_id)

    def set_message_status(self, message_id: str, status: str) -> None:
        """Change a message's status (one of appliance.storage.messages.STATUSES), re-sealing its text under it."""
        with self._lock, atomic(self.db):
            messages.set_status(self._sealer, message_id, status)

    def erase_contact(self, contact_id: str, *, actor: str = "cli", detail: str = "",
                      before_commit: Callable[[], None] | None = None) -> int:
        """Delete a contact, all about them and their data key, audited; returns their calls (see erase_caller)."""
        with self._lock:
            with atomic(self.db):
                calls = self.db.execute("SELECT COUNT(*) FROM calls WHERE contact_id = ?", [contact_id]).fetchone()[0]
                self.db.execute("DELETE FROM contacts WHERE id = ?", [contact_id])  # cascades to calls, turns, ...
                self.db.execute("DELETE FROM data_keys WHERE key_id = ?", [contact_id])
                self._audit(actor, "erase", contact_id, f"{calls} calls{detail}")
                if before_commit is not None:
                    before_commit()
            self._sealer.vault.forget(contact_id)
            checkpoint(self.db, self.wal_wait_s)  # no copy of the wrapped key may stay in the -wal file
        return int(calls)

    def audit(self, action: str, subject: str | None, *, actor: str = "cli", detail: str | None = None) -> None:
        """Write one audit-log row; `subject` is an opaque id (a contact id), never a number or a name."""
        with self._lock, atomic(self.db):
            self._audit(actor, action, subject, detail)

    def _audit(self, actor: str, action: str, subject: str | None, detail: str | None) -> None:
        self.db.execute("INSERT INTO audit_log (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
                        [time.time(), actor, action, subject, detail])

    # --- maintenance ------------------------------------------------------------------------------------

    def mark_interrupted(self) -> int:
        """Calls left in progress by a crash: mark them interrupted at start-up."""
        # The call ended at its last known moment (its last turn), not at this start-up.
        with self._lock, atomic(self.db):
            cursor = self.db.execute(
                "UPDATE calls SET outcome = 'interrupted', ended_at = answered_at + last_s, duration_s = last_s, "
                "billing_minutes = CAST((last_s + 59.999) / 60 AS INTEGER) FROM (SELECT c.id AS cid, "
                "COALESCE(MAX(t.end_s), 0) AS last_s FROM calls c LEFT JOIN turns t ON t.call_id = c.id "
                "WHERE c.outcome = 'in-progress' GROUP BY c.id) WHERE calls.id = cid")
            return int(cursor.rowcount)

    def purge(self, statements: list[tuple[str, list[Any]]]) -> list[int]:
        """Run deleting statements (retention) in one transaction, re-sealing the digest of each call that lost
        turns but stays, then checkpoint; returns each statement's row count."""
        with self._lock, atomic(self.db):
            before = self._turn_counts()
            counts = [int(self.db.execute(sql, params).rowcount) for sql, params in statements]
            after = self._turn_counts()
            for call_id in self.db.execute("SELECT id FROM calls").fetchall():
                if before.get(call_id[0], 0) != after.get(call_id[0], 0):
                    transcripts.reseal_digest(self._sealer, self._sealer.key_of_call(call_id[0]), call_id[0])
        self.checkpoint()
        return counts

    def _turn_counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT call_id, COUNT(*) FROM turns GROUP BY call_id").fetchall())

    def write(self, statements: list[tuple[str, list[Any]]]) -> list[int]:
        """Run statements of the storage layer's own modules in one transaction; returns each's row count."""
        with self._lock, atomic(self.db):
            return [int(self.db.execute(sql, params).rowcount) for sql, params in statements]

    def rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """Plain (never encrypted) columns for the storage layer's own modules."""
        with self._lock:
            return dict_rows(self.db, sql, params)

    @contextmanager
    def reading(self) -> Iterator[Sealer]:
        """The sealer under the store's lock, for the storage package's own read modules (the panel's reads)."""
        with self._lock:
            yield self._sealer

    @contextmanager
    def writing(self) -> Iterator[Sealer]:
        """The sealer under the store's lock in one transaction, for the storage package's own modules."""
        with self._lock, atomic(self.db):
            yield self._sealer

    def checkpoint(self) -> None:
        """Fold the WAL into the database file and truncate it (after deletions); WalBusyError if it cannot."""
        with self._lock:
            checkpoint(self.db, self.wal_wait_s)

    def close(self) -> None:
        """Close the database and let go of the data folder's lock."""
        with self._lock:
            self.db.conn.close()
            if self._folder_lock is not None:
                os.close(self._folder_lock)
                self._folder_lock = None
