"""Messages callers leave for the team, sealed under the caller's data key and bound to their urgency and status.

A message's text columns (name, callback number, reason, notes) are sealed with the message's urgency and status
in their associated data, so an urgency or status edited in the database fails to decrypt. The reason is always
sealed (empty when there is none), so every message carries that binding. A status change goes through
`set_status`, which re-seals the text under the new status. The team member a message is for (`for_member`, their
id in the profile) is plain, like its assignee: it says nothing about the caller.
"""

from __future__ import annotations

import uuid
from typing import Any

from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Key, Sealer

TEXT = ("name", "callback_number", "reason", "notes")
STATUSES = ("new", "read", "done")  # new: nobody has looked; read: seen by the team; done: dealt with


def context(urgency: str, status: str) -> dict[str, str]:
    """What a message's sealed text is bound to besides its row and column."""
    return {"urgency": urgency, "status": status}


def insert_message(sealer: Sealer, call_id: str, fields: dict[str, Any], urgency: str, at: float) -> str:
    """Store a message taken on a call (in the caller's transaction; `fields`: the TEXT columns and for_member);
    returns its id."""
    message_id, key = uuid.uuid4().hex, sealer.key_of_call(call_id)
    texts = {**{column: fields.get(column) for column in TEXT}, "reason": fields.get("reason") or ""}
    sealed = seal_texts(sealer, key, message_id, texts, context(urgency, "new"))
    sealer.db.execute("INSERT INTO messages (id, contact_id, call_id, name, callback_number, reason, notes, "
                      "urgency, status, for_member, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
                      [message_id, key[0], call_id, *sealed, urgency, fields.get("for_member"), at])
    return message_id


def open_messages(sealer: Sealer, contact_id: str) -> list[dict[str, Any]]:
    """A contact's messages, oldest first, decrypted (DecryptionError if a text, urgency or status was altered)."""
    key = sealer.key(contact_id)
    rows = dict_rows(sealer.db, "SELECT * FROM messages WHERE contact_id = ? ORDER BY created_at, id", [contact_id])
    for row in rows:
        row.update(open_texts(sealer, key, row, context(row["urgency"], row["status"])))
    return rows


def newest_name(sealer: Sealer, contact_id: str) -> str | None:
    """The name the contact gave in their newest message that has one, or None."""
    rows = dict_rows(sealer.db, "SELECT id, name, urgency, status FROM messages WHERE contact_id = ? AND name IS NOT "
                     "NULL ORDER BY created_at DESC, id LIMIT 1", [contact_id])
    if not rows:
        return None
    row = rows[0]
    return sealer.open(sealer.key(contact_id), row["name"], "messages", row["id"], "name",
                       context=context(row["urgency"], row["status"])) or None


def set_status(sealer: Sealer, message_id: str, status: str) -> None:
    """Change a message's status and re-seal its text under it (in the caller's transaction)."""
    if status not in STATUSES:
        raise ValueError(f"'{status}' is not a message status; use one of {', '.join(STATUSES)}")
    rows = dict_rows(sealer.db, "SELECT * FROM messages WHERE id = ?", [message_id])
    if not rows:
        raise KeyError(f"no stored message {message_id}")
    row = rows[0]
    key = sealer.key(row["contact_id"])
    texts = open_texts(sealer, key, row, context(row["urgency"], row["status"]))
    sealed = seal_texts(sealer, key, message_id, texts, context(row["urgency"], status))
    sealer.db.execute("UPDATE messages SET name = ?, callback_number = ?, reason = ?, notes = ?, status = ? "
                      "WHERE id = ?", [*sealed, status, message_id])


def seal_texts(sealer: Sealer, key: Key, message_id: str, texts: dict[str, str | None],
               bound: dict[str, str]) -> list[bytes | None]:
    """The message's text columns sealed, in TEXT order."""
    return [sealer.seal(key, texts[column], "messages", message_id, column, context=bound) for column in TEXT]


def open_texts(sealer: Sealer, key: Key, row: dict[str, Any], bound: dict[str, str] | None) -> dict[str, str | None]:
    """The message's text columns opened; `bound` None opens text sealed before messages had a context."""
    return {column: sealer.open(key, row[column], "messages", row["id"], column, context=bound) for column in TEXT}
