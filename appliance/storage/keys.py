"""The master key of the call database: kept outside it, in a root-only key file or a systemd credential."""

from __future__ import annotations

import base64
import binascii
import errno
import logging
import os
import pwd
import re
import secrets
import stat
import time
from pathlib import Path
from typing import NoReturn

from appliance.errors import ApplianceError, ErrorCode

_LOGGER = logging.getLogger(__name__)

KEY_SIZE = 32
CREDENTIAL_NAME = "receptionist-master-key"
_CREDENTIAL_RE = re.compile(r"[A-Za-z0-9_.-]+")
_MAX_FILE_SIZE = 1024


class CryptoError(ApplianceError):
    """A problem with the encryption keys or the encrypted data; the message says what to do."""

    code = ErrorCode.STORE


class KeyMissingError(CryptoError):
    """The master key (file or systemd credential) is not there."""


class KeyPermissionError(CryptoError):
    """The master key file is readable by others, or cannot be read by us."""


class KeyFileError(CryptoError):
    """The master key file is malformed, already exists, or cannot be written."""


class IntegrityError(CryptoError):
    """Encrypted data failed its integrity check."""


class DecryptionError(IntegrityError):
    """A ciphertext was altered, moved, truncated, or its key is wrong or gone."""


class WrongMasterKeyError(DecryptionError):
    """The master key is not the one this database was written with."""


class RotationInterruptedError(WrongMasterKeyError):
    """A key rotation installed its new key file but stopped before the database was re-wrapped."""


class MasterKey:
    """The 32-byte master key and where it came from; its repr never shows the key."""

    __slots__ = ("_secret", "source")

    def __init__(self, secret: bytes, source: str = "memory") -> None:
        if len(secret) != KEY_SIZE:
            raise KeyFileError(f"the master key from {source} must be {KEY_SIZE} bytes")
        self._secret = bytes(secret)
        self.source = source

    def __repr__(self) -> str:
        return f"MasterKey(source={self.source!r}, secret=<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a MasterKey is never pickled")

    def secret_bytes(self) -> bytes:
        """The raw key; only the encryption layer calls this."""
        return self._secret

    @classmethod
    def generate(cls) -> MasterKey:
        """A new random master key, in memory only."""
        return cls(secrets.token_bytes(KEY_SIZE))

    @classmethod
    def create(cls, path: Path | str) -> MasterKey:
        """Create a new key file (mode 0600); refuses to overwrite an existing one."""
        path = Path(path)
        key = cls(secrets.token_bytes(KEY_SIZE), source=str(path))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_key_file(path, key, replace=False)
        return key

    @classmethod
    def load(cls, path: Path | str) -> MasterKey:
        """Load a key file, refusing a link, or a file or folder that other users can read or change."""
        path = Path(path)
        with os.fdopen(_open_key_file(path), "rb") as file:
            found = os.fstat(file.fileno())
            folder = os.stat(path.parent)
            euid = os.geteuid()
            problem = (key_file_problem(path, found.st_mode, found.st_uid, euid)
                       or key_folder_problem(path.parent, folder.st_mode, folder.st_uid, euid))
            if problem:
                raise KeyPermissionError(problem)
            data = file.read(_MAX_FILE_SIZE)
        return cls(_decode(data, str(path)), source=str(path))

    @classmethod
    def from_credentials(cls, name: str = CREDENTIAL_NAME) -> MasterKey:
        """Load the systemd credential `name` from $CREDENTIALS_DIRECTORY."""
        path = credential_path(name)
        if path is None or not path.is_file():
            raise KeyMissingError(
                f"no systemd credential {name!r}: add LoadCredential={name}:<key file> (or "
                f"LoadCredentialEncrypted=) to the service unit")
        with path.open("rb") as file:
            data = file.read(_MAX_FILE_SIZE)
        return cls(_decode(data, f"credential {name}"), source=f"credential {name}")

    @classmethod
    def locate(cls, path: Path | str, credential: str = CREDENTIAL_NAME) -> MasterKey:
        """The systemd credential if the service has one, otherwise the key file at `path`."""
        found = credential_path(credential)
        if found is not None and found.is_file():
            return cls.from_credentials(credential)
        return cls.load(path)


def create_master_key(path: Path | str) -> MasterKey:
    """Create a new master key file with mode 0600; refuses to overwrite an existing one."""
    return MasterKey.create(path)


def locate_or_create_master_key(path: Path | str) -> MasterKey:
    """The existing master key (systemd credential, else key file) for a new database, or a new key file."""
    try:
        return MasterKey.locate(path)
    except KeyMissingError:
        return create_master_key(path)


def credential_path(name: str) -> Path | None:
    """Where systemd put the credential `name`, or None outside a unit with credentials."""
    if not _CREDENTIAL_RE.fullmatch(name) or name in {".", ".."}:
        raise KeyFileError(f"{name!r} is not a valid credential name (letters, digits, '_', '.', '-')")
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    return Path(directory) / name if directory else None


def key_file_problem(path: Path, mode: int, owner: int, euid: int) -> str | None:
    """What is unsafe about a key file with this mode and owner, read by user `euid` (None: nothing)."""
    if not stat.S_ISREG(mode):
        return f"the master key {path} is not a regular file: put the key file itself there"
    if owner not in (euid, 0):
        return (f"the master key file {path} belongs to {_user(owner)}, not to {_user(euid)} who runs this, so "
                f"{_user(owner)} could replace the key: run the command as that user (e.g. sudo -u {_user(owner)} "
                f"...), or run: chown {_user(euid)} {path}")
    if mode & 0o077:
        return (f"the master key file {path} can be read or changed by other users (mode {mode & 0o777:04o}); "
                f"run: chmod 600 {path}")
    return None


def key_folder_problem(folder: Path, mode: int, owner: int, euid: int) -> str | None:
    """What is unsafe about the folder of a key file (None: nothing): others could swap the key file in it."""
    if owner not in (euid, 0):
        return (f"the folder {folder} holding the master key belongs to {_user(owner)}, who could swap the key "
                f"file: run: chown {_user(euid)} {folder}")
    if mode & 0o022:
        return (f"the folder {folder} holding the master key can be changed by other users (mode "
                f"{mode & 0o7777:04o}), who could swap the key file: run: chmod go-w {folder}")
    return None


def _open_key_file(path: Path) -> int:
    """A descriptor of the key file itself, never of a symbolic link's target."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise KeyMissingError(
            f"the master key file {path} is missing: restore it from your key backup (database backups do "
            "not contain it); without it the stored calls cannot be read") from None
    except PermissionError:
        raise KeyPermissionError(
            f"cannot read the master key file {path}: permission denied; run the service as the user "
            "that owns it") from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise KeyFileError(f"cannot read the master key file {path}: {exc.strerror}") from None
        raise KeyPermissionError(
            f"the master key file {path} is a symbolic link, which whoever can change it could point at another "
            f"key: replace it with the file it points to, e.g. run: cp --remove-destination "
            f"\"$(readlink -f {path})\" {path}") from None


def _user(uid: int) -> str:
    """A user's name (its number if it has none)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _decode(data: bytes, source: str) -> bytes:
    """Raw 32 bytes (as `systemd-creds` may hold them) or base64 text (as we write key files)."""
    if len(data) == KEY_SIZE:
        return data
    try:
        secret = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_SIZE:
        raise KeyFileError(
            f"{source} does not hold a master key ({KEY_SIZE} random bytes, raw or base64): restore the "
            "original key file")
    return secret


def _write_key_file(path: Path, key: MasterKey, *, replace: bool) -> None:
    """Write a complete key file (temp + fsync), then link it in (new) or rename it over `path` (rotation)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(base64.b64encode(key.secret_bytes()) + b"\n")
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # unlike rename, link never replaces an existing key
    except FileExistsError:
        raise KeyFileError(
            f"a master key already exists at {path}; refusing to overwrite it (it may be the only key that can "
            "read your data)") from None
    except OSError as exc:
        raise KeyFileError(f"cannot write the master key file {path}: {exc.strerror}; nothing was changed") from None
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a rename or link in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def old_key_path(path: Path | str) -> Path:
    """Where the previous master key is kept during a rotation: `<name>.old`."""
    path = Path(path)
    return path.with_name(path.name + ".old")


def install_rotated_key(path: Path | str, new: MasterKey) -> None:
    """Atomically put `new` at `path`, keeping the current key as `<name>.old` until confirmed."""
    path, old = Path(path), old_key_path(path)
    if old.exists():
        raise KeyFileError(
            f"an earlier key rotation is not finished: {old} still exists. If it was interrupted, run "
            "'receptionist keys recover'; otherwise make a new backup and run 'receptionist keys confirm' before "
            "rotating again; nothing was changed")
    try:
        os.link(path, old)
    except FileNotFoundError:
        raise KeyMissingError(f"the master key file {path} is missing; nothing was changed") from None
    try:
        _write_key_file(path, new, replace=True)
    except KeyFileError:
        old.unlink()
        raise
    _LOGGER.info("New master key written to %s; the previous one is kept at %s", path, old)


def confirm_rotation(path: Path | str) -> None:
    """Delete `<name>.old` once the database is re-wrapped and no backup needs the old key, overwriting it first."""
    old = old_key_path(path)
    _overwrite(old)
    old.unlink(missing_ok=True)
    _fsync_dir(old.parent)


def _overwrite(path: Path) -> None:
    """Zero a key file's bytes in place (on disk, where the file system does not copy on write) before it goes."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        found = os.fstat(fd)
        if stat.S_ISREG(found.st_mode) and found.st_nlink == 1:  # another name for it may be someone's copy: keep
            os.write(fd, bytes(found.st_size))
            os.fsync(fd)
    finally:
        os.close(fd)


def roll_back_rotation(path: Path | str) -> Path | None:
    """Put the previous key (`<name>.old`) back at `path`, moving the key there aside; returns where it went."""
    path, old = Path(path), old_key_path(path)
    if not old.is_file():
        raise KeyMissingError(f"there is no previous master key at {old} to roll back to; nothing was changed")
    aside = _keep_aside(path)
    os.replace(old, path)
    _fsync_dir(path.parent)
    _LOGGER.warning("Put the previous master key back at %s; the key it replaced is kept at %s", path, aside)
    return aside


def _keep_aside(path: Path) -> Path | None:
    """Link the key file at `path` to a new `<name>.rejected-<time>` name (None if there is no key there)."""
    aside = path.with_name(f"{path.name}.rejected-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}")
    try:
        os.link(path, aside)  # never overwritten: the rejected key may be the only one some database opens with
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot keep the master key {path} aside as {aside}: {exc.strerror}; nothing was "
                           "changed") from None
    return aside
