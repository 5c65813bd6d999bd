"""Sealing and opening the fields of one database's rows under their caller's data key.

The store and its helper modules (contacts, transcripts, messages, the schema upgrade) reach the Vault only
through a `Sealer`; none of them holds a key or a cipher. A contact's id is its data key's id.
"""

from __future__ import annotations

import sqlite_utils

from appliance.storage.crypto import Context, Vault

Key = tuple[str, bytes]  # a data key's id and its wrapped bytes


class Sealer:
    """One database's data keys and the vault that seals its fields with them."""

    def __init__(self, db: sqlite_utils.Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def key(self, contact_id: str) -> Key:
        """The data key of a contact; KeyError if there is none."""
        row = self.db.execute("SELECT wrapped FROM data_keys WHERE key_id = ?", [contact_id]).fetchone()
        if row is None:
            raise KeyError(f"no stored contact {contact_id}")
        return contact_id, bytes(row[0])

    def key_of_call(self, call_id: str) -> Key:
        """The data key of a call's caller; KeyError if there is no such call."""
        row = self.db.execute("SELECT k.key_id, k.wrapped FROM calls c JOIN data_keys k ON k.key_id = c.contact_id "
                              "WHERE c.id = ?", [call_id]).fetchone()
        if row is None:
            raise KeyError(f"no stored call {call_id}")
        return str(row[0]), bytes(row[1])

    def seal(self, key: Key, text: str | None, table: str, row_id: str, column: str, *,
             context: Context | None = None) -> bytes | None:
        """One field sealed under `key`, bound to its table, row, column and context; None stays None."""
        return self.vault.encrypt_field(*key, text, table=table, row_id=row_id, column=column, context=context)

    def open(self, key: Key, blob: bytes | None, table: str, row_id: str, column: str, *,
             context: Context | None = None) -> str | None:
        """One field opened (DecryptionError if it or its binding was altered); None stays None."""
        return self.vault.decrypt_field(*key, blob, table=table, row_id=row_id, column=column, context=context)


def stream_aad(call_id: str) -> bytes:
    """What a call's recording is bound to besides its caller's key."""
    return b"recording\x00" + call_id.encode()
