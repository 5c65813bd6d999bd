"""The panel's sessions, API tokens and one-time setup links in the store, each found by the SHA-256 digest of
its random token (the token itself is never stored). A TOTP secret being enrolled waits in its session's row,
sealed under the panel key and bound to that session."""

from __future__ import annotations

import sqlite3
from typing import Any

from appliance.storage.accounts import PANEL_KEY, DuplicateUserError, Tables, insert_user, panel_key

_SESSION = ("SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.stage, s.last_seen, s.address, "
            "s.user_agent, u.username, u.role, u.disabled FROM sessions s JOIN users u ON u.id = s.user_id")


class SessionTables(Tables):
    """Sessions, API tokens and setup links."""

    # --- sessions ---

    def add_session(self, row: dict[str, Any], replaces: str | None = None) -> None:
        """Store a new session (`row`: id, user_id, csrf_token, created_at, expires_at, stage, last_seen, address,
        user_agent), ending the session it `replaces` in the same transaction."""
        columns = ", ".join(row)
        with self.store.writing() as sealer:
            if replaces is not None:
                sealer.db.execute("DELETE FROM sessions WHERE id = ?", [replaces])
            sealer.db.execute(f"INSERT INTO sessions ({columns}) VALUES ({', '.join('?' * len(row))})",
                            list(row.values()))

    def session(self, digest: str) -> dict[str, Any] | None:
        """A session with its user's name, role and whether they are disabled, or None."""
        rows = self._rows(f"{_SESSION} WHERE s.id = ?", [digest])
        return rows[0] if rows else None

    def touch_session(self, digest: str, now: float) -> None:
        """The session was used now (its idle timeout starts again)."""
        self._write("UPDATE sessions SET last_seen = ? WHERE id = ?", [now, digest])

    def end_session(self, digest: str, user_id: int | None = None) -> bool:
        """End one session (only if it is `user_id`'s, when given): whether it existed."""
        return self._write("DELETE FROM sessions WHERE id = ? AND (?2 IS NULL OR user_id = ?2)",
                           [digest, user_id]) == 1

    def end_sessions(self, user_id: int, keep: str | None = None) -> int:
        """End every session of a user but `keep`; how many ended."""
        return self._write("DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?", [user_id, keep])

    def sessions_of(self, user_id: int) -> list[dict[str, Any]]:
        """A user's sessions, most recently used first."""
        return self._rows(f"{_SESSION} WHERE s.user_id = ? ORDER BY s.last_seen DESC", [user_id])

    def end_stale_sessions(self, idle_before: float, now: float) -> int:
        """Delete sessions idle since before `idle_before` or past their absolute expiry."""
        return self._write("DELETE FROM sessions WHERE last_seen < ? OR expires_at <= ?", [idle_before, now])

    def set_pending_totp(self, digest: str, secret: str | None) -> None:
        """Keep (or drop) the TOTP secret a session is enrolling, sealed and bound to the session."""
        with self.store.writing() as sealer:
            sealed = None if secret is None else sealer.seal(panel_key(sealer), secret, "sessions", digest,
                                                             "pending_totp")
            sealer.db.execute("UPDATE sessions SET pending_totp = ? WHERE id = ?", [sealed, digest])

    def pending_totp(self, digest: str) -> str | None:
        """The TOTP secret a session is enrolling, or None."""
        with self.store.reading() as sealer:
            row = sealer.db.execute("SELECT pending_totp FROM sessions WHERE id = ?", [digest]).fetchone()
            if row is None or row[0] is None:
                return None
            return sealer.open(sealer.key(PANEL_KEY), row[0], "sessions", digest, "pending_totp")

    # --- API tokens ---

    def add_token(self, token_id: str, user_id: int, name: str, digest: str, now: float) -> None:
        """Store a new API token of a user."""
        self._write("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                    [token_id, user_id, name, digest, now])

    def token(self, digest: str, now: float) -> dict[str, Any] | None:
        """The user behind an API token (their id, name, role, disabled), noting its use; None if unknown."""
        self._write("UPDATE api_tokens SET last_used = ? WHERE token_hash = ?", [now, digest])
        rows = self._rows("SELECT t.id AS token_id, u.id AS user_id, u.username, u.role, u.disabled FROM api_tokens t "
                          "JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?", [digest])
        return rows[0] if rows else None

    def tokens_of(self, user_id: int) -> list[dict[str, Any]]:
        """A user's API tokens (never the token itself), newest first."""
        return self._rows("SELECT id, name, created_at, last_used FROM api_tokens WHERE user_id = ? "
                          "ORDER BY created_at DESC", [user_id])

    def revoke_token(self, token_id: str, user_id: int) -> bool:
        """Delete one of a user's API tokens: whether it was theirs."""
        return self._write("DELETE FROM api_tokens WHERE id = ? AND user_id = ?", [token_id, user_id]) == 1

    # --- setup links ---

    def add_setup_link(self, digest: str, role: str, now: float, expires_at: float) -> None:
        """Store a one-time setup link's digest."""
        self._write("INSERT INTO setup_links (token_hash, role, created_at, expires_at) VALUES (?, ?, ?, ?)",
                    [digest, role, now, expires_at])

    def setup_link(self, digest: str, now: float) -> dict[str, Any] | None:
        """An unused, unexpired setup link (its role), or None."""
        rows = self._rows("SELECT role, expires_at FROM setup_links WHERE token_hash = ? AND used_at IS NULL AND "
                          "expires_at > ?", [digest, now])
        return rows[0] if rows else None

    def use_setup_link(self, digest: str, username: str, password_hash: str, now: float) -> tuple[int, str] | None:
        """Create the link's user and spend the link, in one transaction: (user id, role), or None if the link is
        used, expired or unknown; DuplicateUserError if the name is taken (the link stays unused)."""
        try:
            with self.store.writing() as sealer:
                row = sealer.db.execute("SELECT role FROM setup_links WHERE token_hash = ? AND used_at IS NULL AND "
                                        "expires_at > ?", [digest, now]).fetchone()
                if row is None:
                    return None
                user_id = insert_user(sealer, username, password_hash, str(row[0]), now)
                sealer.db.execute("UPDATE setup_links SET used_at = ?, used_by = ? WHERE token_hash = ?",
                                  [now, user_id, digest])
                return user_id, str(row[0])
        except sqlite3.IntegrityError:
            raise DuplicateUserError(f"a user named '{username}' exists already; choose another name") from None
