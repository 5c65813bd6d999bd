"""The call database's schema and its migrations, applied at start-up through `PRAGMA user_version`.

Columns holding a caller's words, numbers or address are BLOBs sealed by `appliance.storage.crypto.Vault` under
the caller's (contact's) data key; the store is the only code that reads or writes them. A contact's id is its
data key's id, so deleting the data key row destroys every ciphertext of that caller (crypto-shredding).

Version 2 encrypts `calls.source` (the caller's IP address), adds `calls.turns_digest` (appliance.storage.transcripts)
and needs the master key for its data: `migrate` takes the store's `reseal` step, run in the same transaction.
Version 3 adds `messages.for_member`, the id of the team member a message is for: plain, as it says nothing
about the caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

from appliance.errors import ApplianceError, ErrorCode

PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "secure_delete=ON")
ROTATION_PENDING = "rotation_pending"  # settings key: a key check under the new key of an unfinished key rotation
CHECKPOINT_WAIT_S = 5.0  # how long a checkpoint waits for readers of an older snapshot (a backup, the panel)
_CHECKPOINT_POLL_S = 0.05

_V1 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE brands (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, number TEXT, identity TEXT,
    recording INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE data_keys (key_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created_at REAL NOT NULL);
CREATE TABLE contacts (
    id TEXT PRIMARY KEY REFERENCES data_keys(key_id) ON DELETE CASCADE,
    number_index TEXT UNIQUE, number BLOB, name BLOB, notes BLOB,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE calls (
    id TEXT PRIMARY KEY, contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    brand_id INTEGER REFERENCES brands(id) ON DELETE SET NULL,
    caller_number BLOB, caller_name BLOB, called TEXT, trunk TEXT, source TEXT, codec TEXT, sip_call_id TEXT,
    started_at REAL NOT NULL, answered_at REAL, ended_at REAL, duration_s REAL, billing_minutes INTEGER,
    destination TEXT, outcome TEXT NOT NULL, end_reason TEXT, error_code TEXT);
CREATE INDEX calls_started_at ON calls(started_at);
CREATE INDEX calls_contact_id ON calls(contact_id);
CREATE TABLE turns (
    id INTEGER PRIMARY KEY, call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, speaker TEXT NOT NULL, text BLOB, start_s REAL, end_s REAL, timings TEXT,
    UNIQUE (call_id, seq));
CREATE TABLE call_events (
    id INTEGER PRIMARY KEY, call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, at_s REAL, kind TEXT NOT NULL, data BLOB, UNIQUE (call_id, seq));
CREATE TABLE summaries (
    call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE, text BLOB NOT NULL,
    created_at REAL NOT NULL);
CREATE TABLE users (
    id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, totp_secret BLOB, disabled INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL);
CREATE TABLE messages (
    id TEXT PRIMARY KEY, contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    call_id TEXT REFERENCES calls(id) ON DELETE CASCADE,
    name BLOB, callback_number BLOB, reason BLOB, notes BLOB,
    urgency TEXT NOT NULL DEFAULT 'normal', status TEXT NOT NULL DEFAULT 'new',
    assignee INTEGER REFERENCES users(id) ON DELETE SET NULL, created_at REAL NOT NULL);
CREATE INDEX messages_contact_id ON messages(contact_id);
CREATE INDEX messages_call_id ON messages(call_id);
CREATE TABLE recordings (
    id TEXT PRIMARY KEY, call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    path TEXT NOT NULL, bytes INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE INDEX recordings_call_id ON recordings(call_id);
CREATE INDEX recordings_created_at ON recordings(created_at);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT, detail TEXT);
CREATE TABLE sms_messages (
    id TEXT PRIMARY KEY, contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    call_id TEXT REFERENCES calls(id) ON DELETE SET NULL, direction TEXT NOT NULL, body BLOB,
    status TEXT NOT NULL, created_at REAL NOT NULL);
CREATE INDEX sms_contact_id ON sms_messages(contact_id);
CREATE INDEX sms_call_id ON sms_messages(call_id);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY, message_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
    channel TEXT NOT NULL, target TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
    created_at REAL NOT NULL, sent_at REAL);
CREATE INDEX notifications_message_id ON notifications(message_id);
"""

_V2 = """
ALTER TABLE calls ADD COLUMN turns_digest BLOB;
ALTER TABLE calls RENAME COLUMN source TO source_v1;
ALTER TABLE calls ADD COLUMN source BLOB
"""

_V3 = "ALTER TABLE messages ADD COLUMN for_member TEXT"  # messages name the team member they are for
# Version 4: knowledge gaps, one row per caller, brand and question (sealed under the caller's key, found by a
# blind index of the normalised question: appliance.storage.gaps); and whether a contact's name was corrected by
# the team (else it is the SIP display name of their first call, never read out: appliance.storage.contacts).
_V4 = """
ALTER TABLE contacts ADD COLUMN name_corrected INTEGER NOT NULL DEFAULT 0;
CREATE TABLE knowledge_gaps (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE, brand TEXT NOT NULL,
    question_index TEXT NOT NULL, question BLOB NOT NULL, asked INTEGER NOT NULL, first_asked REAL NOT NULL,
    last_asked REAL NOT NULL, PRIMARY KEY (contact_id, brand, question_index));
CREATE INDEX knowledge_gaps_brand ON knowledge_gaps(brand, question_index)
"""
# Version 5: the panel's accounts (appliance.storage.accounts, .sessions). A user gains the last TOTP time step
# accepted (a code works once), counted failed sign-ins and a lock-out end. A session row is keyed by the SHA-256
# of its cookie token (the token itself is never stored), with its stage (signed in, or waiting for the second
# factor), last activity (the idle timeout; expires_at is the absolute one), where from, and a TOTP secret being
# enrolled (sealed). Recovery codes, API tokens and one-time setup links are stored as SHA-256 digests only (they
# are random, 80 bits or more). Failed sign-ins per address feed the rate limit; the audit log says from where.
_V5 = """
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
ALTER TABLE users ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until REAL;
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'signed-in';
ALTER TABLE sessions ADD COLUMN last_seen REAL NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN address TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN pending_totp BLOB;
CREATE INDEX sessions_user_id ON sessions(user_id);
CREATE TABLE recovery_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, code_hash TEXT NOT NULL, used_at REAL,
    PRIMARY KEY (user_id, code_hash));
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL, last_used REAL);
CREATE TABLE setup_links (
    token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL,
    used_at REAL, used_by INTEGER REFERENCES users(id) ON DELETE SET NULL);
CREATE TABLE signin_failures (id INTEGER PRIMARY KEY, address TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX signin_failures_address ON signin_failures(address, at);
ALTER TABLE audit_log ADD COLUMN address TEXT
"""

TABLES = ("settings", "brands", "data_keys", "contacts", "calls", "turns", "call_events", "summaries", "users",
          "messages", "recordings", "sessions", "audit_log", "sms_messages", "notifications", "knowledge_gaps",
          "recovery_codes", "api_tokens", "setup_links", "signin_failures", "profile_versions")


Reseal = Callable[[sqlite_utils.Database], None]  # a migration's data step, which needs the master key


class SchemaUpgradeError(ApplianceError):
    """A database holds sealed data that only the store, with its master key, can upgrade."""

    code = ErrorCode.STORE


def refuse_sealed_rows(db: sqlite_utils.Database) -> None:
    """The data step without a master key: only a database with no caller in it may be upgraded so."""
    if db.execute("SELECT 1 FROM contacts LIMIT 1").fetchone() is not None:
        raise SchemaUpgradeError("this call database holds callers sealed under an older schema, and upgrading "
                                 "them needs the master key: open it with the appliance (CallStore), which does "
                                 "it at start-up; nothing was changed")


def _script(db: sqlite_utils.Database, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """The first schema: calls with their turns, events, summaries and messages, plus panel tables."""
    _script(db, _V1)


def _v2(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """Numbers as E.164, bound speakers, urgencies and statuses, transcript digests, calls.source encrypted."""
    _script(db, _V2)
    reseal(db)  # reads calls.source_v1 (the plaintext address) and seals it into calls.source
    db.execute("ALTER TABLE calls DROP COLUMN source_v1")


def _v3(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """Messages name the team member they are for."""
    db.execute(_V3)


def _v4(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """Knowledge gaps, and which contacts' names the team corrected."""
    _script(db, _V4)


def _v5(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """The panel's accounts: second-factor steps, lock-outs, sessions' stage and activity, recovery codes, API
    tokens, setup links, failed sign-ins per address, and the audit log's address."""
    _script(db, _V5)


def _v6(db: sqlite_utils.Database, reseal: Reseal) -> None:
    """The business profile's versions (appliance.storage.profiles), the newest being the one in use."""
    # Each version is the validated TOML text, sealed under the box's own "profile" data key (a data_keys row
    # that is no caller's, re-wrapped by key rotation like the rest): the team's names and direct lines and the
    # blocked callers' numbers stay out of the database in plain text. Who wrote it ("file", "cli",
    # "panel:<user>") is plain and bound to the sealed text.
    db.execute("CREATE TABLE profile_versions (version INTEGER PRIMARY KEY, text BLOB NOT NULL, "
               "source TEXT NOT NULL, restored_from INTEGER, created_at REAL NOT NULL)")


MIGRATIONS: list[Callable[[sqlite_utils.Database, Reseal], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]


def schema_version(db: sqlite_utils.Database) -> int:
    """The number of migrations applied to this database (0 for a new one)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@contextmanager
def atomic(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction (the connection is in autocommit mode): all of it commits, or none."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        # A full disk can fail the COMMIT itself, and SQLite may already have rolled back on its own: either way
        # the connection must leave the transaction, and the first error is the one to raise.
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


def apply_pragmas(db: sqlite_utils.Database) -> None:
    """WAL, durable commits, enforced foreign keys, and deleted data overwritten in the file."""
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")


def migrate(db: sqlite_utils.Database, reseal: Reseal = refuse_sealed_rows) -> int:
    """Apply the pending migrations, each in its own transaction with its data step; returns the schema version."""
    version = schema_version(db)
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        with atomic(db):
            if schema_version(db) >= number:  # another process applied it while this one waited for the lock
                continue
            migration(db, reseal)
            db.execute(f"PRAGMA user_version={number}")
    return len(MIGRATIONS)


class WalBusyError(ApplianceError):
    """The WAL could not be folded into the database file: another connection still reads an older snapshot."""

    code = ErrorCode.STORE


def checkpoint(db: sqlite_utils.Database, wait_s: float = CHECKPOINT_WAIT_S) -> None:
    """Fold the WAL into the database file and truncate it, retrying while readers hold older snapshots."""
    deadline = time.monotonic() + wait_s
    busy_timeout = int(db.execute("PRAGMA busy_timeout").fetchone()[0])
    db.execute("PRAGMA busy_timeout = 0")  # retried here instead, so the whole wait stays within wait_s
    try:
        while db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:  # (busy, log frames, checkpointed)
            if time.monotonic() >= deadline:
                raise WalBusyError(_busy_message(str(db.execute("PRAGMA database_list").fetchone()[2])))
            time.sleep(_CHECKPOINT_POLL_S)
    finally:
        db.execute(f"PRAGMA busy_timeout = {busy_timeout}")


def _busy_message(path: str) -> str:
    return (f"the change is saved, but {path}-wal still holds a copy of the data it replaced or deleted, because "
            "another program is reading an older snapshot of the database (a backup or export running, or the "
            "panel). Run the same command again once that has finished, or stop the appliance first; until then "
            "that copy stays on disk")


def key_settings(db: sqlite_utils.Database) -> tuple[bytes | None, bytes | None]:
    """The database's key check and, if a key rotation is unfinished, the key check of its new key."""
    rows = dict(db.execute("SELECT key, value FROM settings WHERE key IN ('key_check', ?)",
                           [ROTATION_PENDING]).fetchall())
    key_check, pending = rows.get("key_check"), rows.get(ROTATION_PENDING)
    return (None if key_check is None else bytes(key_check)), (None if pending is None else bytes(pending))


def dict_rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """The rows of a query as dicts of column name to value."""
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
