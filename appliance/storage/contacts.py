"""Callers (contacts): found by the blind index of their number's canonical form, each with its own data key.

A number is normalized by `appliance.phone` (E.164 with the configured default region), so every way the same
number arrives (`+15550199887`, `15550199887`, `0015550199887`, `tel:+15550199887`) finds the same contact. A
lookup also tries the other forms a stored caller may be indexed under (`PhoneNumber.lookup_forms`) and returns
every contact that matches, oldest first. Anonymous callers get a fresh contact per call and are never found.
"""

from __future__ import annotations

import uuid
from typing import Any

from appliance.phone import PhoneNumber
from appliance.storage import messages
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Key, Sealer

TEXT = ("number", "name", "notes")


def stored_number(raw: str, number: PhoneNumber) -> str:
    """What a contact's number column holds: E.164 when there is one, else the caller ID as it came."""
    return number.canonical if number.e164 else raw.strip()


def find_contacts(sealer: Sealer, number: PhoneNumber | None) -> list[str]:
    """The ids of every contact whose indexed number is this one, oldest first (none for anonymous)."""
    if number is None:
        return []
    indexes = sealer.vault.lookup_indexes(number)
    rows = sealer.db.execute(f"SELECT id FROM contacts WHERE number_index IN ({', '.join('?' * len(indexes))}) "
                             "ORDER BY first_seen, id", indexes)
    return [str(row[0]) for row in rows]


def contact_for(sealer: Sealer, raw: str, number: PhoneNumber | None, name: str | None, now: float) -> Key:
    """The returning caller's contact (the oldest that matches), or a new contact with its own data key."""
    found = find_contacts(sealer, number)
    if found:
        sealer.db.execute("UPDATE contacts SET last_seen = ? WHERE id = ?", [now, found[0]])
        return sealer.key(found[0])
    key_id = uuid.uuid4().hex
    key = (key_id, sealer.vault.new_data_key(key_id))
    sealer.db.execute("INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?)", [*key, now])
    index = None if number is None else sealer.vault.blind_index(number)
    sealer.db.execute(
        "INSERT INTO contacts (id, number_index, number, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
        [key_id, index, sealer.seal(key, None if number is None else stored_number(raw, number), "contacts",
                                    key_id, "number"),
         sealer.seal(key, name or None, "contacts", key_id, "name"), now, now])
    return key


def open_contact(sealer: Sealer, contact_id: str) -> dict[str, Any]:
    """One contact with its number, name and notes decrypted (no blind index)."""
    key = sealer.key(contact_id)
    row = dict_rows(sealer.db, "SELECT id, number, name, notes, first_seen, last_seen FROM contacts WHERE id = ?",
                    [contact_id])[0]
    for column in TEXT:
        row[column] = sealer.open(key, row[column], "contacts", contact_id, column)
    return row


def correct(sealer: Sealer, contact_id: str, fields: dict[str, str | None]) -> None:
    """Replace a contact's name and/or notes (None leaves a field as it is); a corrected name is the team's."""
    key = sealer.key(contact_id)
    for column in ("name", "notes"):
        text = fields.get(column)
        if text is not None:
            sealer.db.execute(f"UPDATE contacts SET {column} = ? WHERE id = ?",
                              [sealer.seal(key, text, "contacts", contact_id, column), contact_id])
    if fields.get("name") is not None:
        sealer.db.execute("UPDATE contacts SET name_corrected = 1 WHERE id = ?", [contact_id])


def known_name(sealer: Sealer, number: PhoneNumber | None) -> str | None:
    """The name a returning caller goes by: the name the team corrected (even to nothing), else the name they
    gave in their newest message that has one. Never the SIP display name stored from their first call: it
    is a carrier's label for the line, often not the caller's, and anyone can set it. None for anonymous."""
    found = find_contacts(sealer, number)
    if not found:
        return None
    contact_id = found[0]  # the contact a call from this number is filed under (contact_for)
    name, corrected = sealer.db.execute("SELECT name, name_corrected FROM contacts WHERE id = ?",
                                        [contact_id]).fetchone()
    if corrected:
        return sealer.open(sealer.key(contact_id), name, "contacts", contact_id, "name") or None
    return messages.newest_name(sealer, contact_id)
