"""The message inbox: every caller's messages in three views, and the team working them.

A message is *new* until someone takes it (it has no assignee and is not done), *assigned* once it has a
panel user working it, and *done* when dealt with. The assignee is a panel user (`messages.assignee`, a foreign
key to `users`): the person who works the message in the panel. `for_member` stays what the caller asked for (the
profile's team member they could not reach), so assigning never overwrites what the caller said. Team notes are
appended to the message's sealed `notes`, one line each, under the caller's key like the other message fields.
"""

from __future__ import annotations

import math
import time
from typing import Any

from appliance.storage import messages
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Sealer

VIEWS = {"new": "m.status != 'done' AND m.assignee IS NULL", "assigned": "m.status != 'done' AND m.assignee IS NOT "
         "NULL", "done": "m.status = 'done'"}
_LISTED = ("SELECT m.*, k.wrapped AS _wrapped, u.username AS assignee_name FROM messages m "
           "JOIN data_keys k ON k.key_id = m.contact_id LEFT JOIN users u ON u.id = m.assignee")


class InboxError(ValueError):
    """A message cannot be changed that way (an unknown panel user)."""


def list_messages(sealer: Sealer, view: str, page: int, per_page: int) -> dict[str, Any]:
    """One page of a view's messages (newest first), decrypted, with the total and number of pages."""
    where = VIEWS[view]
    total = int(sealer.db.execute(f"SELECT COUNT(*) FROM messages m WHERE {where}").fetchone()[0])
    rows = dict_rows(sealer.db, f"{_LISTED} WHERE {where} ORDER BY m.created_at DESC, m.id LIMIT ? OFFSET ?",
                     [per_page, (max(page, 1) - 1) * per_page])
    return {"messages": [opened(sealer, row) for row in rows], "view": view, "total": total, "page": max(page, 1),
            "per_page": per_page, "pages": max(math.ceil(total / per_page), 1)}


def counts(sealer: Sealer) -> dict[str, int]:
    """How many messages each view holds (the header shows the new ones)."""
    return {view: int(sealer.db.execute(f"SELECT COUNT(*) FROM messages m WHERE {where}").fetchone()[0])
            for view, where in VIEWS.items()}


def for_call(sealer: Sealer, call_id: str) -> list[dict[str, Any]]:
    """The messages taken on one call, oldest first."""
    rows = dict_rows(sealer.db, f"{_LISTED} WHERE m.call_id = ? ORDER BY m.created_at, m.id", [call_id])
    return [opened(sealer, row) for row in rows]


def for_contact(sealer: Sealer, contact_id: str) -> list[dict[str, Any]]:
    """A caller's messages, newest first, with their assignees' names."""
    rows = dict_rows(sealer.db, f"{_LISTED} WHERE m.contact_id = ? ORDER BY m.created_at DESC, m.id", [contact_id])
    return [opened(sealer, row) for row in rows]


def opened(sealer: Sealer, row: dict[str, Any]) -> dict[str, Any]:
    """A listed message row with its text opened (and no key material)."""
    key = (row["contact_id"], bytes(row.pop("_wrapped")))
    row.update(messages.open_texts(sealer, key, row, messages.context(row["urgency"], row["status"])))
    return row


def assign(sealer: Sealer, message_id: str, user_id: int | None) -> None:
    """Give a message to a panel user (None: to nobody); a new message counts as read once assigned."""
    status = _status(sealer, message_id)
    if user_id is not None and sealer.db.execute("SELECT 1 FROM users WHERE id = ? AND disabled = 0",
                                                 [user_id]).fetchone() is None:
        raise InboxError("that panel user does not exist or is disabled; pick someone from the list")
    sealer.db.execute("UPDATE messages SET assignee = ? WHERE id = ?", [user_id, message_id])
    if user_id is not None and status == "new":
        messages.set_status(sealer, message_id, "read")


def add_note(sealer: Sealer, message_id: str, author: str, text: str, at: float | None = None) -> None:
    """Append one team note (a line with its time in UTC and its author) to a message's sealed notes."""
    _status(sealer, message_id)
    row = dict_rows(sealer.db, "SELECT * FROM messages WHERE id = ?", [message_id])[0]
    key, bound = sealer.key(row["contact_id"]), messages.context(row["urgency"], row["status"])
    texts = messages.open_texts(sealer, key, row, bound)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(time.time() if at is None else at))
    line = f"[{stamp}] {author}: {' '.join(text.split())}"
    texts["notes"] = f"{texts['notes']}\n{line}" if texts["notes"] else line
    sealed = messages.seal_texts(sealer, key, message_id, texts, bound)
    sealer.db.execute("UPDATE messages SET notes = ? WHERE id = ?", [sealed[messages.TEXT.index("notes")],
                                                                      message_id])


def finish(sealer: Sealer, message_id: str, done: bool) -> None:
    """Mark a message done, or open it again (read)."""
    _status(sealer, message_id)
    messages.set_status(sealer, message_id, "done" if done else "read")


def panel_users(sealer: Sealer) -> list[dict[str, Any]]:
    """The panel users a message can be assigned to (not disabled), by name."""
    return dict_rows(sealer.db, "SELECT id, username FROM users WHERE disabled = 0 ORDER BY username", [])


def _status(sealer: Sealer, message_id: str) -> str:
    row = sealer.db.execute("SELECT status FROM messages WHERE id = ?", [message_id]).fetchone()
    if row is None:
        raise KeyError(f"no stored message {message_id}")
    return str(row[0])
