"""The panel's accounts as one object: signing in (`SignIn`), plus a user's own account (password, second factor,
recovery codes, sessions, API tokens), the owner's user management and one-time setup links.

A change of password or second factor asks for the password again and ends the user's other sessions; a change
of a user's role, second factor or enabled state ends all of their sessions. Every change is audited.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from appliance.accounts import passwords, policy
from appliance.accounts import second_factor as factor
from appliance.accounts.errors import AccountError, NoSuchUserError
from appliance.accounts.policy import ENROL, SIGNED_IN, RoleRules
from appliance.accounts.signin import NewSession, SessionUser, SignIn, Where
from appliance.storage.accounts import AccountTables, DuplicateUserError
from appliance.storage.sessions import SessionTables
from appliance.storage.store import CallStore

_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
LOCAL = Where()  # a change made on the box itself (the console)


def open_accounts(store: CallStore, rules: RoleRules) -> Accounts:
    """The accounts kept in a call store, under the panel's role rules."""
    return Accounts((AccountTables(store), SessionTables(store)), rules)


def verify_password(store: CallStore, user_id: int, password: str) -> bool:
    """Whether `password` is the user's (False for an unknown user)."""
    found = AccountTables(store).password_hash(user_id)
    return passwords.verify_password(found or passwords.decoy_hash(), password) and found is not None


class Accounts(SignIn):
    """Users, their sign-in and their sessions, over the store's account tables."""

    # --- users (the owner's page and the console) ---

    def count_users(self) -> int:
        """How many users exist."""
        return self.users.count_users()

    def list_users(self) -> list[dict[str, Any]]:
        """Every user: id, username, role, disabled, has_totp, created_at (no secrets)."""
        return self.users.users()

    def user_id_of(self, username: str) -> int:
        """The id of a user by name; NoSuchUserError if there is none."""
        user = self.users.user_named(username)
        if user is None:
            raise NoSuchUserError(f"There is no user named '{username}': see 'receptionist users list'.")
        return int(user["id"])

    def add_user(self, username: str, password: str, role: str, actor: str, where: Where = LOCAL) -> int:
        """Create a user (checked name, role and password); their id."""
        self._check_username(username)
        role = self._role(role)
        passwords.check_new_password(password, username)
        try:
            user_id = self.users.add_user(username, passwords.hash_password(password), role, self.clock())
        except DuplicateUserError as exc:
            raise AccountError(str(exc)) from None
        self.audit(actor, "user-added", str(user_id), f"{username} as {role}", where.address)
        return user_id

    def set_role(self, user_id: int, role: str, actor: str, where: Where = LOCAL) -> None:
        """Give a user another role (not the last enabled owner's); their sessions end."""
        user, role = self._user(user_id), self._role(role)
        if user["role"] == "owner" and role != "owner":
            self._keep_an_owner(user_id)
        self.users.update_user(user_id, role=role)
        self.sessions.end_sessions(user_id)
        self.audit(actor, "user-role", str(user_id), f"{user['username']}: {user['role']} -> {role}", where.address)

    def set_disabled(self, user_id: int, disabled: bool, actor: str, where: Where = LOCAL) -> None:
        """Disable (their sessions and API tokens stop working) or enable a user; never the last enabled owner."""
        user = self._user(user_id)
        if disabled and user["role"] == "owner":
            self._keep_an_owner(user_id)
        self.users.update_user(user_id, disabled=int(disabled))
        self.sessions.end_sessions(user_id)
        self.audit(actor, "user-disabled" if disabled else "user-enabled", str(user_id), user["username"],
                   where.address)

    def reset_second_factor(self, user_id: int, actor: str, where: Where = LOCAL) -> None:
        """Remove a user's TOTP and recovery codes (they enrol again at their next sign-in); their sessions end."""
        user = self._user(user_id)
        self.users.set_second_factor(user_id, None, [], None)
        self.sessions.end_sessions(user_id)
        self.audit(actor, "second-factor-reset", str(user_id), user["username"], where.address)

    def _user(self, user_id: int) -> dict[str, Any]:
        user = self.users.user(user_id)
        if user is None:
            raise NoSuchUserError(f"There is no user with id {user_id}: reload the list of users.")
        return user

    def _role(self, role: str) -> str:
        try:
            return self.rules.check(role)
        except ValueError as exc:
            raise AccountError(str(exc)) from None

    def _keep_an_owner(self, user_id: int) -> None:
        owners = [u for u in self.users.users() if u["role"] == "owner" and not u["disabled"] and u["id"] != user_id]
        if not owners:
            raise AccountError("This is the only enabled owner: make another user an owner first, so someone can "
                               "still manage users.")

    @staticmethod
    def _check_username(username: str) -> None:
        if not _USERNAME.match(username):
            raise AccountError("A user name has 1 to 64 letters, digits, dots, dashes, underscores or @, and starts "
                               "with a letter or digit.")

    # --- one's own account ---

    def change_password(self, me: SessionUser, current: str, new: str, where: Where) -> None:
        """Replace the password after checking the current one; every other session of the user ends."""
        self._confirm_password(me, current, where)
        passwords.check_new_password(new, me.username)
        self.users.update_user(me.user_id, password_hash=passwords.hash_password(new))
        self.sessions.end_sessions(me.user_id, keep=me.handle)
        self.audit(me.username, "password-changed", str(me.user_id), "other sessions ended", where.address)

    def _confirm_password(self, me: SessionUser, password: str, where: Where) -> None:
        if not passwords.verify_password(self.users.password_hash(me.user_id) or passwords.decoy_hash(), password):
            self._failed(self.users.user(me.user_id), me.username, where, "wrong password asked again")
            raise AccountError("The password is wrong: type your current password.")

    def start_enrolment(self, me: SessionUser, password: str | None, where: Where) -> None:
        """Begin setting up an authenticator: a new secret waits in the session (a signed-in user's password is
        asked again; a session that must enrol has just given it)."""
        if me.stage == SIGNED_IN:
            self._confirm_password(me, password or "", where)
        elif me.stage != ENROL:
            raise AccountError("Give the code from your authenticator app first.")
        self.sessions.set_pending_totp(me.handle, factor.new_secret())

    def enrolment(self, me: SessionUser, box: str) -> tuple[str, str, str] | None:
        """The secret being enrolled, its otpauth link and its QR code (SVG); None if no enrolment was started."""
        secret = self.sessions.pending_totp(me.handle)
        if secret is None and me.stage == ENROL:
            self.sessions.set_pending_totp(me.handle, factor.new_secret())
            secret = self.sessions.pending_totp(me.handle)
        if secret is None:
            return None
        uri = factor.provisioning_uri(secret, me.username, box)
        return secret, uri, factor.qr_svg(uri)

    def finish_enrolment(self, me: SessionUser, code: str, where: Where) -> tuple[NewSession, list[str]]:
        """Check a code of the new secret and make it the user's second factor, with ten new recovery codes (shown
        once); a new session replaces this one and every other session of the user ends."""
        secret = self.sessions.pending_totp(me.handle)
        step = None if secret is None else factor.matching_step(secret, code, self.clock(), None)
        if secret is None or step is None:
            self.audit(me.username, "second-factor-failed", str(me.user_id), "wrong code while enrolling",
                       where.address)
            raise AccountError("That code does not match: scan the QR code again and type the code your app shows "
                               "now (check that the phone's clock is right).")
        codes = factor.new_recovery_codes()
        self.users.set_second_factor(me.user_id, secret, [factor.digest(factor.normalized_code(c)) for c in codes],
                                     step)
        self.users.clear_failures(me.user_id)
        session = self._new_session(me.user_id, SIGNED_IN, where, replaces=me.handle)
        self.sessions.end_sessions(me.user_id, keep=factor.digest(session.token))
        self.audit(me.username, "second-factor-enrolled", str(me.user_id), "other sessions ended", where.address)
        return session, codes

    def new_recovery_codes(self, me: SessionUser, password: str, where: Where) -> list[str]:
        """Ten new recovery codes replacing the old (password asked again); every other session ends."""
        self._confirm_password(me, password, where)
        secret, user = self.users.totp_secret(me.user_id), self._user(me.user_id)
        if secret is None:
            raise AccountError("Set up an authenticator app first; recovery codes come with it.")
        codes = factor.new_recovery_codes()
        self.users.set_second_factor(me.user_id, secret, [factor.digest(factor.normalized_code(c)) for c in codes],
                                     user["totp_last_step"])
        self.sessions.end_sessions(me.user_id, keep=me.handle)
        self.audit(me.username, "recovery-codes-renewed", str(me.user_id), "other sessions ended", where.address)
        return codes

    def recovery_codes_left(self, user_id: int) -> int:
        """How many unused recovery codes a user has."""
        return self.users.recovery_codes_left(user_id)

    def sessions_of(self, user_id: int) -> list[dict[str, Any]]:
        """A user's sessions: handle (id), created, last used, address, browser, stage; most recent first."""
        return [{k: v for k, v in row.items() if k != "csrf_token"} for row in self.sessions.sessions_of(user_id)]

    def end_session(self, me: SessionUser, handle: str, where: Where) -> bool:
        """End one of the user's own sessions: whether it was theirs."""
        ended = self.sessions.end_session(handle, me.user_id)
        if ended:
            self.audit(me.username, "session-ended", str(me.user_id), None, where.address)
        return ended

    def sign_out_everywhere(self, me: SessionUser, where: Where) -> int:
        """End every session of the user, this one included; how many."""
        count = self.sessions.end_sessions(me.user_id)
        self.audit(me.username, "signout-everywhere", str(me.user_id), f"{count} sessions", where.address)
        return count

    # --- API tokens ---

    def create_token(self, user_id: int, username: str, name: str, where: Where) -> tuple[str, str]:
        """A new API token with the user's role: (its id, the token, shown once)."""
        name = " ".join(name.split())[:80] or "API token"
        token_id, token = uuid.uuid4().hex[:16], factor.new_token("rcp_")
        self.sessions.add_token(token_id, user_id, name, factor.digest(token), self.clock())
        self.audit(username, "token-created", str(user_id), f"{token_id} {name}", where.address)
        return token_id, token

    def tokens_of(self, user_id: int) -> list[dict[str, Any]]:
        """A user's API tokens: id, name, created, last used (never the token)."""
        return self.sessions.tokens_of(user_id)

    def revoke_token(self, user_id: int, username: str, token_id: str, where: Where) -> bool:
        """Delete one of a user's API tokens: whether it was theirs."""
        revoked = self.sessions.revoke_token(token_id, user_id)
        if revoked:
            self.audit(username, "token-revoked", str(user_id), token_id, where.address)
        return revoked

    # --- one-time setup links ---

    def create_setup_link(self, role: str, actor: str = "cli") -> str:
        """A new one-time setup link's token for creating a user of `role` (valid once, 24 h)."""
        role, token, now = self._role(role), factor.new_token(), self.clock()
        self.sessions.add_setup_link(factor.digest(token), role, now, now + policy.SETUP_LINK_S)
        self.audit(actor, "setup-link-created", None, f"for a new {role}, valid 24 hours")
        return token

    def setup_link_role(self, token: str) -> str | None:
        """The role a setup link creates, or None if it is used, expired or unknown."""
        found = self.sessions.setup_link(factor.digest(token), self.clock())
        return None if found is None else str(found["role"])

    def use_setup_link(self, token: str, username: str, password: str, where: Where) -> NewSession:
        """Create the link's user (the link is spent) and sign them in: their next step is enrolment if their role
        needs a second factor."""
        self._check_username(username)
        passwords.check_new_password(password, username)
        try:
            made = self.sessions.use_setup_link(factor.digest(token), username, passwords.hash_password(password),
                                                self.clock())
        except DuplicateUserError as exc:
            raise AccountError(str(exc)) from None
        if made is None:
            raise AccountError("This setup link was used already or has expired. Ask for a new one: "
                               "'receptionist users setup-link' on the box.")
        user_id, role = made
        self.audit(username, "user-added", str(user_id), f"{username} as {role}, from a setup link", where.address)
        stage = policy.stage_after_password(role, False, self.rules)
        return self._new_session(user_id, stage, where)
