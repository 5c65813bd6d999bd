"""The header of a backup file: its keys and, since version 2, where and when it was made (all authenticated).

    magic "RCPTBKUP" | version | key id | key check | wrapped backup key                 (version 1)
    magic "RCPTBKUP" | version | key id | key check | wrapped backup key | box id | sequence | created at (version 2)

Each field is a u16 length and its bytes; the sequence and the creation time (Unix seconds, the box's clock) are
u64 big-endian. The whole header is the associated data of every encrypted chunk, so an edited header fails like an
edited chunk. The box id is made at a box's first backup and kept in its database (the `settings` row `box_id`); the
sequence counts that box's backups (`backup_sequence`). A version 1 backup tells none of these.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import BinaryIO

from appliance.errors import ApplianceError, ErrorCode

MAGIC = b"RCPTBKUP"
VERSION = 2
BOX_ID = "box_id"  # settings rows of the box's database
BACKUP_SEQUENCE = "backup_sequence"
_VERSIONS = {1: 3, 2: 6}  # version: number of fields
_LENGTH = struct.Struct(">H")
_NUMBER = struct.Struct(">Q")
_MAX_FIELD = 256
_DAY = 86400


class BackupError(ApplianceError):
    """A backup cannot be written, read, verified or restored; the message says what to do."""

    code = ErrorCode.STORE


@dataclass(frozen=True, slots=True)
class BackupOrigin:
    """Which box made a backup, its number among that box's backups, and when (Unix seconds)."""

    box_id: str
    sequence: int
    created_at: int


@dataclass(frozen=True, slots=True)
class Header:
    """A backup's header as read (checked for shape only: chunks authenticate it) and its raw bytes."""

    raw: bytes
    key_id: str
    key_check: bytes
    wrapped: bytes
    origin: BackupOrigin | None  # None: a version 1 backup


def pack_header(key_id: str, key_check: bytes, wrapped: bytes, origin: BackupOrigin) -> bytes:
    """The raw header of a new (version 2) backup."""
    fields = (key_id.encode(), key_check, wrapped, origin.box_id.encode("ascii"), _NUMBER.pack(origin.sequence),
              _NUMBER.pack(origin.created_at))
    return MAGIC + bytes([VERSION]) + b"".join(_LENGTH.pack(len(field)) + field for field in fields)


def read_header(file: BinaryIO) -> Header:
    """The header at the start of `file`; BackupError if it is not a backup's or is cut short."""
    raw = file.read(len(MAGIC) + 1)
    count = _VERSIONS.get(raw[-1]) if len(raw) == len(MAGIC) + 1 and raw.startswith(MAGIC) else None
    if count is None:
        raise BackupError("this is not a receptionist backup (version 1 or 2), or its header is damaged; nothing "
                          "was restored")
    fields = []
    for _ in range(count):
        size_bytes = file.read(_LENGTH.size)
        size = _LENGTH.unpack(size_bytes)[0] if len(size_bytes) == _LENGTH.size else _MAX_FIELD + 1
        field = file.read(size) if size <= _MAX_FIELD else b""
        if len(field) != size:
            raise BackupError("the backup's header is truncated or damaged; nothing was restored")
        raw += size_bytes + field
        fields.append(field)
    try:
        return Header(raw, fields[0].decode("ascii"), fields[1], fields[2], _origin(fields[3:]))
    except (UnicodeDecodeError, struct.error):
        raise BackupError("the backup's header is damaged; nothing was restored") from None


def _origin(fields: list[bytes]) -> BackupOrigin | None:
    if not fields:
        return None
    return BackupOrigin(fields[0].decode("ascii"), _NUMBER.unpack(fields[1])[0], _NUMBER.unpack(fields[2])[0])


def describe(origin: BackupOrigin | None, now: float) -> str:
    """Where and when a backup was made, for the person restoring it."""
    if origin is None:
        return ("this backup is in the old format (version 1): when it was made and by which box is unknown; "
                "check that it is the backup you meant")
    made = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(origin.created_at))
    return f"backup number {origin.sequence} of box {origin.box_id}, made {made} ({_age(now - origin.created_at)})"


def _age(seconds: float) -> str:
    if seconds < -300:
        return "in the future by this box's clock: check the clocks"
    if seconds < _DAY:
        return f"{max(0, int(seconds // 3600))} hour(s) ago"
    return f"{int(seconds // _DAY)} day(s) ago"
