"""The permission matrix: the facts the issue fixes, and unknown roles."""

import itertools

from web.permissions import MATRIX, Permission, Role, allowed


def test_owners_may_do_everything_and_only_owners_manage_users_and_read_the_audit_log() -> None:
    assert MATRIX[Role.OWNER] == frozenset(Permission)
    for role in (Role.ADMIN, Role.STAFF, Role.VIEWER):
        assert not allowed(role, Permission.MANAGE_USERS)
        assert not allowed(role, Permission.READ_AUDIT)


def test_each_lower_role_may_do_a_subset_of_the_one_above() -> None:
    order = [Role.OWNER, Role.ADMIN, Role.STAFF, Role.VIEWER]
    for higher, lower in itertools.pairwise(order):
        assert MATRIX[lower] < MATRIX[higher]


def test_viewers_see_the_log_but_no_words_or_voices_and_staff_cannot_export_or_erase() -> None:
    assert allowed("viewer", Permission.VIEW_CALLS)
    assert not allowed("viewer", Permission.READ_TRANSCRIPTS)
    assert not allowed("staff", Permission.PLAY_RECORDINGS)
    assert not allowed("staff", Permission.EXPORT_CALLER)
    assert not allowed("staff", Permission.ERASE_CALLER)
    assert allowed("admin", Permission.ERASE_CALLER)


def test_an_unknown_role_may_do_nothing() -> None:
    assert not any(allowed("root", permission) for permission in Permission)
