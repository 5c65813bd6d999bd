"""The panel's users in the store: accounts, their second factor (the TOTP secret sealed, recovery codes as
digests), failed sign-ins and lock-outs, and the audit log. Sessions, API tokens and setup links are in
`appliance.storage.sessions`.

Every method runs on the call store's one connection under its lock (`CallStore.reading`/`writing`: the
connection is shared by the panel's threads). TOTP secrets are sealed under the box's panel key, a data key of
its own (`PANEL_KEY`) that the master key wraps like a caller's, bound to their user's row: a copied or swapped
secret fails to open.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from appliance.errors import ApplianceError
from appliance.storage import audit
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Key, Sealer
from appliance.storage.store import CallStore

PANEL_KEY = "panel"  # data_keys row of the panel's own secrets (not a caller: retention and erasure never touch it)
_USER_COLUMNS = ("id, username, role, disabled, created_at, failed_signins, locked_until, totp_last_step, "
                 "totp_secret IS NOT NULL AS has_totp")


class DuplicateUserError(ApplianceError):
    """A user with that name exists already."""


class Tables:
    """What the account tables share: the call store (its connection, lock and sealer)."""

    def __init__(self, store: CallStore) -> None:
        self.store = store

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        with self.store.reading() as sealer:
            return dict_rows(sealer.db, sql, params)

    def _write(self, sql: str, params: list[Any]) -> int:
        with self.store.writing() as sealer:
            return int(sealer.db.execute(sql, params).rowcount)


def panel_key(sealer: Sealer) -> Key:
    """The panel's data key, made on first use (inside the caller's transaction)."""
    try:
        return sealer.key(PANEL_KEY)
    except KeyError:
        wrapped = sealer.vault.new_data_key(PANEL_KEY)
        sealer.db.execute("INSERT INTO data_keys (key_id, wrapped, created_at) VALUES (?, ?, ?)",
                          [PANEL_KEY, wrapped, time.time()])
        return PANEL_KEY, wrapped


class AccountTables(Tables):
    """Users, their second factor, failed sign-ins and the audit log."""

    # --- users ---

    def count_users(self) -> int:
        """How many users exist (disabled ones too)."""
        return int(self._rows("SELECT COUNT(*) AS n FROM users", [])[0]["n"])

    def add_user(self, username: str, password_hash: str, role: str, now: float) -> int:
        """A new user's id; DuplicateUserError if the name is taken."""
        try:
            with self.store.writing() as sealer:
                return insert_user(sealer, username, password_hash, role, now)
        except sqlite3.IntegrityError:
            raise DuplicateUserError(f"a user named '{username}' exists already; choose another name") from None

    def user(self, user_id: int) -> dict[str, Any] | None:
        """One user (no secret, no password hash), or None."""
        rows = self._rows(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", [user_id])
        return rows[0] if rows else None

    def user_named(self, username: str) -> dict[str, Any] | None:
        """One user by name with their password hash (for signing in), or None."""
        rows = self._rows(f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = ?", [username])
        return rows[0] if rows else None

    def password_hash(self, user_id: int) -> str | None:
        """A user's password hash (to check the password asked again), or None if there is no such user."""
        rows = self._rows("SELECT password_hash FROM users WHERE id = ?", [user_id])
        return str(rows[0]["password_hash"]) if rows else None

    def users(self) -> list[dict[str, Any]]:
        """Every user, by name."""
        return self._rows(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username", [])

    def update_user(self, user_id: int, **fields: Any) -> bool:
        """Set plain columns of a user (password_hash, role, disabled); whether the user exists."""
        allowed = {"password_hash", "role", "disabled"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"only {sorted(allowed)} may be set")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        return self._write(f"UPDATE users SET {assignments} WHERE id = ?", [*fields.values(), user_id]) == 1

    # --- second factor ---

    def totp_secret(self, user_id: int) -> str | None:
        """A user's TOTP secret, opened, or None if they have none."""
        with self.store.reading() as sealer:
            row = sealer.db.execute("SELECT totp_secret FROM users WHERE id = ?", [user_id]).fetchone()
            if row is None or row[0] is None:
                return None
            return sealer.open(sealer.key(PANEL_KEY), row[0], "users", str(user_id), "totp_secret")

    def set_second_factor(self, user_id: int, secret: str | None, code_hashes: list[str], step: int | None) -> None:
        """Replace a user's TOTP secret (sealed; None removes it), their recovery codes and the last step used."""
        with self.store.writing() as sealer:
            sealed = None if secret is None else sealer.seal(panel_key(sealer), secret, "users", str(user_id),
                                                             "totp_secret")
            sealer.db.execute("UPDATE users SET totp_secret = ?, totp_last_step = ? WHERE id = ?",
                              [sealed, step, user_id])
            sealer.db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
            for digest in code_hashes:
                sealer.db.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", [user_id, digest])

    def accept_step(self, user_id: int, step: int) -> bool:
        """Record a TOTP time step as used, only if it is later than the last one used: whether it was."""
        return self._write("UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR "
                           "totp_last_step < ?)", [step, user_id, step]) == 1

    def use_recovery_code(self, user_id: int, code_hash: str, now: float) -> bool:
        """Spend one unused recovery code: whether it was one."""
        return self._write("UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND "
                           "used_at IS NULL", [now, user_id, code_hash]) == 1

    def recovery_codes_left(self, user_id: int) -> int:
        """How many unused recovery codes a user has."""
        return int(self._rows("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NULL",
                              [user_id])[0]["n"])

    # --- failed sign-ins ---

    def record_failure(self, user_id: int | None, address: str, now: float, locked_until: float | None) -> None:
        """Count a failed sign-in for the address and (if known) the user, locking the user until `locked_until`."""
        with self.store.writing() as sealer:
            sealer.db.execute("INSERT INTO signin_failures (address, at) VALUES (?, ?)", [address, now])
            if user_id is not None:
                sealer.db.execute("UPDATE users SET failed_signins = failed_signins + 1, locked_until = "
                                "COALESCE(?, locked_until) WHERE id = ?", [locked_until, user_id])

    def clear_failures(self, user_id: int) -> None:
        """A user signed in: their failure count starts again."""
        self._write("UPDATE users SET failed_signins = 0, locked_until = NULL WHERE id = ?", [user_id])

    def failures_from(self, address: str, since: float) -> int:
        """Failed sign-ins from one address since a moment (older ones are forgotten)."""
        with self.store.writing() as sealer:
            sealer.db.execute("DELETE FROM signin_failures WHERE at < ?", [since])
            row = sealer.db.execute("SELECT COUNT(*) FROM signin_failures WHERE address = ?", [address]).fetchone()
            return int(row[0])

    # --- audit log ---

    def audit(self, actor: str, action: str, subject: str | None, detail: str | None, *, address: str | None,
              now: float) -> None:
        """One audit-log row: who, what, about what, when and from where."""
        with self.store.writing() as sealer:
            audit.insert(sealer.db, at=now, actor=actor, action=action, subject=subject, detail=detail,
                         address=address)


def insert_user(sealer: Sealer, username: str, password_hash: str, role: str, now: float) -> int:
    """Insert a user row (in the caller's transaction); its id. sqlite3.IntegrityError if the name is taken."""
    cursor = sealer.db.execute("INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                               [username, password_hash, role, now])
    return int(cursor.lastrowid or 0)
