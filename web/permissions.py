"""Who may do what in the panel: the one permission matrix. Every page and API route asks `allowed` (through
`web.principal.require`); nothing else in the panel decides access."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A panel user's role, from most to least trusted."""

    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"
    VIEWER = "viewer"


class Permission(StrEnum):
    """One thing a panel user may be allowed to do."""

    VIEW_CALLS = "view-calls"  # the call log: caller, times, brand, outcome, summary
    READ_TRANSCRIPTS = "read-transcripts"  # what was said, turn by turn
    PLAY_RECORDINGS = "play-recordings"  # listen to or download a recording (audited)
    VIEW_MESSAGES = "view-messages"  # the message inbox
    WORK_MESSAGES = "work-messages"  # assign, add notes, mark done
    CORRECT_CALLER = "correct-caller"  # correct a caller's name or notes (audited)
    EXPORT_CALLER = "export-caller"  # a caller's data as a download (audited)
    ERASE_CALLER = "erase-caller"  # destroy a caller's data (audited, asks for the password again)
    EDIT_PROFILE = "edit-profile"  # brands, hours, team, routing
    MANAGE_USERS = "manage-users"  # add, change role, reset second factor, disable
    READ_AUDIT = "read-audit"  # the audit log


_STAFF = frozenset({Permission.VIEW_CALLS, Permission.READ_TRANSCRIPTS, Permission.VIEW_MESSAGES,
                    Permission.WORK_MESSAGES, Permission.CORRECT_CALLER})
_ADMIN = _STAFF | {Permission.PLAY_RECORDINGS, Permission.EXPORT_CALLER, Permission.ERASE_CALLER,
                   Permission.EDIT_PROFILE}

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(_ADMIN),
    Role.STAFF: _STAFF,
    Role.VIEWER: frozenset({Permission.VIEW_CALLS, Permission.VIEW_MESSAGES}),
}

SECOND_FACTOR_REQUIRED = frozenset({Role.OWNER, Role.ADMIN})  # these roles cannot sign in without TOTP


def allowed(role: str, permission: Permission) -> bool:
    """Whether a user with `role` may do `permission`; an unknown role may do nothing."""
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False
