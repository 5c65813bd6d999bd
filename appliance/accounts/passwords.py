"""Panel passwords: the rules a new one must meet, and argon2id hashing (argon2-cffi).

Common and breached passwords are refused from `common-passwords.txt.gz`: the 19,640 most common passwords of
the list Django ships (django/contrib/auth/common-passwords.txt.gz, BSD licence, made by Royce Williams from
breach corpora), lowercased. As most of them are shorter than the minimum length, a password is also refused when
it is one of them with digits or symbols added before or after ("password1234!"), a short piece repeated, or made
of three different characters or fewer.
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from appliance.accounts.errors import AccountError

MIN_LENGTH = 12
MAX_LENGTH = 256  # longer input is refused before hashing (hashing megabytes is a denial of service)
_LIST = "common-passwords.txt.gz"
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile: t=3, m=64 MiB, p=4


class WeakPasswordError(AccountError):
    """A new password does not meet the rules; the message says which and what to do."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lowercased."""
    data = resources.files("appliance.accounts").joinpath(_LIST).read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def check_new_password(password: str, username: str = "") -> None:
    """Refuse a password that is too short or long, common, built on a common one, repetitive, or the user name."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"The password is too short: use at least {MIN_LENGTH} characters. A few unrelated "
                                "words make a long password that is easy to remember.")
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(f"The password is too long: use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise WeakPasswordError("The password contains the user name: choose one that does not.")
    core = _EDGES.sub("", lowered)
    if lowered in common_passwords() or core in common_passwords() or len(set(lowered)) <= 3 or _repeats(lowered):
        raise WeakPasswordError("This password is too common or too easy to guess (it is on a list of passwords "
                                "known from breaches, or built from one): choose another.")


def _repeats(text: str) -> bool:
    """Whether the text is one piece of up to 4 characters repeated ("abcabcabcabc")."""
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size) for size in range(1, 5))


def hash_password(password: str) -> str:
    """The argon2id hash of a password, with its own random salt."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the hash (False for a malformed hash or an over-long password)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (rehash it at the next sign-in)."""
    return _HASHER.check_needs_rehash(password_hash)


@functools.cache
def decoy_hash() -> str:
    """A hash to check when the user name is unknown, so a sign-in takes as long either way."""
    return _HASHER.hash("no user has this password: it only spends the same time")
