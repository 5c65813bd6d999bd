"""The panel's sign-in rules as numbers in, decisions out: session timeouts, lock-outs and the address limit.

Which roles exist and which need a second factor is the panel's permission matrix (`web.permissions`); the panel
hands them to the accounts as `RoleRules`, so the core stays free of the web layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

IDLE_S = 30 * 60  # a session unused this long ends
ABSOLUTE_S = 12 * 60 * 60  # a session ends this long after sign-in, used or not
HALFWAY_S = 10 * 60  # a session waiting for the second factor (or its enrolment) ends this long after the password
ACCOUNT_FAILURES = 5  # failed sign-ins (passwords or codes) in a row that lock an account
ACCOUNT_LOCK_S = 15 * 60  # for this long
ADDRESS_FAILURES = 20  # failed sign-ins from one address within the window that block it
ADDRESS_WINDOW_S = 15 * 60
SETUP_LINK_S = 24 * 60 * 60  # a one-time setup link is valid this long

SIGNED_IN = "signed-in"  # session stages: fully signed in,
SECOND_FACTOR = "second-factor"  # password given, the TOTP code (or a recovery code) next,
ENROL = "enrol"  # password given, a role that needs a second factor and none set up: enrol one next


@dataclass(frozen=True)
class RoleRules:
    """The roles a user may have, and which of them cannot sign in without a second factor."""

    roles: tuple[str, ...]
    second_factor: frozenset[str]

    def check(self, role: str) -> str:
        """The role if it is one; ValueError naming the roles if not."""
        if role not in self.roles:
            raise ValueError(f"'{role}' is not a role; use one of: {', '.join(self.roles)}")
        return role


def stage_after_password(role: str, has_totp: bool, rules: RoleRules) -> str:
    """What a session needs after a right password: the TOTP code if the user has one, enrolment if their role
    needs a second factor and they have none, else nothing more."""
    if has_totp:
        return SECOND_FACTOR
    return ENROL if role in rules.second_factor else SIGNED_IN


def session_expired(created_at: float, last_seen: float, now: float, stage: str = SIGNED_IN) -> bool:
    """Whether a session has ended: unused for IDLE_S, or ABSOLUTE_S after sign-in (HALFWAY_S while it still
    waits for the second factor)."""
    limit = ABSOLUTE_S if stage == SIGNED_IN else HALFWAY_S
    return now - last_seen >= IDLE_S or now - created_at >= limit


def lock_until(failures_before: int, now: float) -> float | None:
    """When an account that failed once more stays locked until, or None if this failure does not lock it."""
    return now + ACCOUNT_LOCK_S if failures_before + 1 >= ACCOUNT_FAILURES else None


def address_blocked(recent_failures: int) -> bool:
    """Whether an address with this many failures in the window may not try again yet."""
    return recent_failures >= ADDRESS_FAILURES


def minutes_left(until: float, now: float) -> int:
    """Whole minutes until a moment, at least 1 (for a lock-out message)."""
    return max(1, math.ceil((until - now) / 60))


def locked_message(until: float, now: float) -> str:
    """A locked account, in plain words."""
    minutes = minutes_left(until, now)
    return (f"This account is locked for {minutes} more minute{'s' if minutes != 1 else ''} after "
            f"{ACCOUNT_FAILURES} failed sign-ins in a row. Wait and try again, or ask the owner to check the audit "
            "log if it was not you.")


def blocked_message() -> str:
    """An address with too many failures, in plain words."""
    return (f"Too many failed sign-ins from this computer. Wait {ADDRESS_WINDOW_S // 60} minutes and try again.")
