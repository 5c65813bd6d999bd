"""Signing in to the panel: password, then the second factor (or its enrolment), each step in a new session, with
lock-outs, the address limit and the audit log; and finding the user behind a session token."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.accounts import passwords, policy
from appliance.accounts import second_factor as factor
from appliance.accounts.errors import SignInRefused
from appliance.accounts.policy import SECOND_FACTOR, SIGNED_IN, RoleRules
from appliance.storage.accounts import AccountTables
from appliance.storage.sessions import SessionTables


@dataclass(frozen=True)
class NewSession:
    """A session just made: its cookie token (shown once, never stored), CSRF token and stage."""

    token: str
    csrf_token: str
    stage: str


@dataclass(frozen=True)
class SessionUser:
    """The user behind a live session. `handle` names the session (its stored digest), never the token."""

    handle: str
    user_id: int
    username: str
    role: str
    stage: str
    csrf_token: str


@dataclass(frozen=True)
class Where:
    """Where a request comes from: the client's address and browser (for sessions and the audit log)."""

    address: str = "local"
    agent: str = ""


class SignIn:
    """Sign-in steps and sessions over the store's account tables; `clock` is Unix seconds (tests set it)."""

    def __init__(self, tables: tuple[AccountTables, SessionTables], rules: RoleRules,
                 clock: Callable[[], float] = time.time) -> None:
        self.users, self.sessions = tables
        self.rules = rules
        self.clock = clock

    def audit(self, actor: str, action: str, subject: str | None = None, detail: str | None = None,
              address: str | None = None) -> None:
        """Write one audit-log row (who, what, about what, from where; now). Never pass a secret or caller data."""
        self.users.audit(actor, action, subject, detail, address=address, now=self.clock())

    def sign_in(self, username: str, password: str, where: Where) -> NewSession:
        """Check a user name and password; a new session that is signed in, or waits for the second factor."""
        now = self.clock()
        self._refuse_blocked_address(username, where, now)
        user = self.users.user_named(username)
        if user is not None and (user["locked_until"] or 0) > now:
            self.audit(username, "signin-locked", None, "refused: the account is locked", where.address)
            raise SignInRefused(policy.locked_message(user["locked_until"], now), locked=True)
        right = passwords.verify_password(user["password_hash"] if user else passwords.decoy_hash(), password)
        if user is None or not right:
            self._failed(user, username, where, "wrong user name or password")
            raise SignInRefused("The user name or password is wrong.")
        if user["disabled"]:
            self.audit(username, "signin-failed", str(user["id"]), "the account is disabled", where.address)
            raise SignInRefused("This account is disabled. Ask the owner to enable it.")
        if passwords.needs_rehash(user["password_hash"]):
            self.users.update_user(user["id"], password_hash=passwords.hash_password(password))
        stage = policy.stage_after_password(user["role"], bool(user["has_totp"]), self.rules)
        if stage == SIGNED_IN:
            self.users.clear_failures(user["id"])
        self.audit(username, "signin" if stage == SIGNED_IN else "signin-password", str(user["id"]),
                   None if stage == SIGNED_IN else f"next: {stage}", where.address)
        return self._new_session(user["id"], stage, where)

    def _refuse_blocked_address(self, username: str, where: Where, now: float) -> None:
        if policy.address_blocked(self.users.failures_from(where.address, now - policy.ADDRESS_WINDOW_S)):
            self.audit(username or "-", "signin-blocked", None, "too many failures from this address", where.address)
            raise SignInRefused(policy.blocked_message(), locked=True)

    def _failed(self, user: dict[str, Any] | None, username: str, where: Where, why: str) -> None:
        """Count a failure for the address and the user; lock the user after too many in a row (until when)."""
        now = self.clock()
        until = policy.lock_until(int(user["failed_signins"]), now) if user else None
        self.users.record_failure(int(user["id"]) if user else None, where.address, now, until)
        subject = str(user["id"]) if user else None
        self.audit(username or "-", "signin-failed", subject, why, where.address)
        if until is not None:
            self.audit(username, "lockout", subject, f"locked for {policy.ACCOUNT_LOCK_S // 60} minutes after "
                       f"{policy.ACCOUNT_FAILURES} failures", where.address)
            raise SignInRefused(policy.locked_message(until, now), locked=True)

    def second_factor(self, token: str, code: str, where: Where) -> NewSession:
        """Check the TOTP code (or a recovery code) of a session waiting for it; a new, signed-in session."""
        waiting = self._waiting(token, SECOND_FACTOR, where)
        now = self.clock()
        if not self._code_accepted(waiting, code, now):
            try:
                self._failed(self.users.user(waiting.user_id), waiting.username, where,
                             "wrong or reused second-factor code")
            except SignInRefused:
                self.sessions.end_session(waiting.handle)  # locked: the password is needed again afterwards
                raise
            raise SignInRefused("That code is wrong or was used already. Type the code your authenticator app "
                                "shows now, or one of your recovery codes.")
        self.users.clear_failures(waiting.user_id)
        self.audit(waiting.username, "signin", str(waiting.user_id), "with the second factor", where.address)
        return self._new_session(waiting.user_id, SIGNED_IN, where, replaces=waiting.handle)

    def _code_accepted(self, waiting: SessionUser, code: str, now: float) -> bool:
        secret, user = self.users.totp_secret(waiting.user_id), self.users.user(waiting.user_id)
        if secret is not None and user is not None:
            step = factor.matching_step(secret, code, now, user["totp_last_step"])
            if step is not None:
                return self.users.accept_step(waiting.user_id, step)
        normalized = factor.normalized_code(code)
        if len(normalized) < 16:
            return False
        used = self.users.use_recovery_code(waiting.user_id, factor.digest(normalized), now)
        if used:
            self.audit(waiting.username, "recovery-code-used", str(waiting.user_id),
                       f"{self.users.recovery_codes_left(waiting.user_id)} left")
        return used

    def _waiting(self, token: str, stage: str, where: Where) -> SessionUser:
        found = self.session(token)
        if found is None or found.stage != stage:
            raise SignInRefused("This sign-in has expired. Sign in again with your user name and password.")
        return found

    def _new_session(self, user_id: int, stage: str, where: Where, replaces: str | None = None) -> NewSession:
        """A new session (a fresh token, never reused across steps), ending the one it `replaces`."""
        now, token, csrf = self.clock(), factor.new_token(), secrets.token_urlsafe(32)
        self.sessions.end_stale_sessions(now - policy.IDLE_S, now)  # tidy: ended sessions leave no rows behind
        self.sessions.add_session({"id": factor.digest(token), "user_id": user_id, "csrf_token": csrf,
                                   "created_at": now, "expires_at": now + policy.ABSOLUTE_S, "stage": stage,
                                   "last_seen": now, "address": where.address, "user_agent": where.agent[:200]},
                                  replaces)
        return NewSession(token, csrf, stage)

    def session(self, token: str, where: Where | None = None) -> SessionUser | None:
        """The user behind a session token, at any stage, noting its use; None if unknown, expired or disabled
        (audited when `where` says where the request came from)."""
        handle, now = factor.digest(token), self.clock()
        row = self.sessions.session(handle)
        if row is None:
            if where is not None:
                self.audit("-", "session-refused", None, "a session cookie that is unknown or ended", where.address)
            return None
        if row["disabled"] or policy.session_expired(row["created_at"], row["last_seen"], now, row["stage"]):
            self.sessions.end_session(handle)
            if where is not None:
                why = "the user is disabled" if row["disabled"] else "the session timed out"
                self.audit(row["username"], "session-ended", str(row["user_id"]), why, where.address)
            return None
        self.sessions.touch_session(handle, now)
        return SessionUser(handle, row["user_id"], row["username"], row["role"], row["stage"], row["csrf_token"])

    def sign_out(self, token: str, where: Where) -> None:
        """End the session of this token (nothing if it is unknown)."""
        found = self.session(token)
        if found is not None:
            self.sessions.end_session(found.handle)
            self.audit(found.username, "signout", str(found.user_id), None, where.address)

    def token_user(self, token: str, where: Where | None = None) -> dict[str, Any] | None:
        """The user behind an API token (user_id, username, role), or None if unknown or disabled (audited when
        `where` says where the request came from)."""
        row = self.sessions.token(factor.digest(token), self.clock())
        if (row is None or row["disabled"]) and where is not None:
            self.audit(row["username"] if row else "-", "token-refused", str(row["user_id"]) if row else None,
                       "the user is disabled" if row else "an unknown or revoked API token", where.address)
        return None if row is None or row["disabled"] else row
