"""The brands calls were answered for: one row per profile brand id (plain: a brand says nothing about a caller),
made the first time a call reaches it, so the call log can be filtered by brand."""

from __future__ import annotations

import sqlite_utils

from appliance.storage.sealing import Sealer


def brand_id(db: sqlite_utils.Database, brand: str, at: float) -> int | None:
    """The row id of a brand (its profile id), added on first use; None for a call with no brand (a simulation)."""
    if not brand:
        return None
    row = db.execute("SELECT id FROM brands WHERE name = ? ORDER BY id LIMIT 1", [brand]).fetchone()
    if row is not None:
        return int(row[0])
    cursor = db.execute("INSERT INTO brands (name, created_at) VALUES (?, ?)", [brand, at])
    return int(cursor.lastrowid or 0)


def brand_names(sealer: Sealer) -> list[str]:
    """Every brand a stored call was answered for, by name."""
    return [str(row[0]) for row in sealer.db.execute("SELECT DISTINCT name FROM brands ORDER BY name")]
