"""Encryption at rest: per-caller data keys wrapped by the master key, text fields, recordings, blind index.

The store is the only caller; no other code touches keys or ciphertext. Formats (version 1):

- wrapped data key: 0x01 | nonce(12) | AES-GCM(wrap key, data key(32)) + tag(16), 61 bytes; AAD = key id
- key check:        0x01 | nonce(12) | AES-GCM(wrap key, blind-index key(32)) + tag(16), 61 bytes
- field:            0x01 | nonce(12) | AES-GCM(data key, UTF-8 text) + tag(16); AAD = 0x01 table 0x00 column
                    0x00 row id, or, for a field bound to plaintext columns of its row (a turn's speaker, a
                    message's urgency and status), 0x02 | JSON [table, column, row id, {column: value}]
- recording:        0x01 | nonce prefix(8), then 64 KiB chunks each sealed with nonce = prefix | index(4)
                    and AAD = header | index(4) | final flag(1) | caller's AAD
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, overload

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appliance.phone import PhoneNumber
from appliance.storage.keys import (
    CREDENTIAL_NAME,
    KEY_SIZE,
    CryptoError,
    DecryptionError,
    IntegrityError,
    KeyFileError,
    KeyMissingError,
    KeyPermissionError,
    MasterKey,
    RotationInterruptedError,
    WrongMasterKeyError,
    confirm_rotation,
    create_master_key,
    install_rotated_key,
    old_key_path,
    roll_back_rotation,
)

__all__ = [
    "CHUNK_SIZE", "CREDENTIAL_NAME", "ChunkReader", "Context", "CryptoError", "DecryptionError", "IntegrityError",
    "KeyFileError", "KeyMissingError", "KeyPermissionError", "MasterKey", "Rewrapped", "RotationInterruptedError",
    "Vault", "WrongMasterKeyError", "confirm_rotation", "create_key_check", "create_master_key",
    "install_rotated_key", "load_master_key", "old_key_path", "roll_back_rotation", "verify_master_key",
]

CHUNK_SIZE = 64 * 1024
_V1 = b"\x01"
_NONCE = 12
_TAG = 16
_SEALED_KEY_SIZE = 1 + _NONCE + KEY_SIZE + _TAG
_FIELD_MIN = 1 + _NONCE + _TAG
_PREFIX = 8
_STREAM_HEADER = 1 + _PREFIX
_SEALED_CHUNK = CHUNK_SIZE + _TAG
_WRAP_INFO = b"receptionist-appliance v1 key wrapping"
_CHECK_AAD = b"\x01key-check"

RowId = str | int
Context = Mapping[str, str]  # plaintext columns of a row that its encrypted fields are bound to


class Reader(Protocol):
    """A binary file-like source (an open file, BytesIO, a socket file)."""

    def read(self, size: int, /) -> bytes: ...


class Writer(Protocol):
    """A binary file-like sink."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True, slots=True)
class Rewrapped:
    """Everything a key rotation changes in the database: wrapped data keys by key id, and the key check."""

    keys: dict[str, bytes]
    key_check: bytes


def create_key_check(master: MasterKey) -> bytes:
    """A new key check for the settings table: proves the master key at start-up and holds the blind-index key."""
    return _seal(_wrap_cipher(master), secrets.token_bytes(KEY_SIZE), _CHECK_AAD)


def verify_master_key(master: MasterKey, key_check: bytes) -> None:
    """Raise WrongMasterKeyError unless `master` is the key this database's key check was made with."""
    _open_key_check(_wrap_cipher(master), master.source, key_check)


def load_master_key(path: Path | str, key_check: bytes | None, credential: str = CREDENTIAL_NAME, *,
                    pending: bytes | None = None) -> MasterKey:
    """The master key (systemd credential, else key file) checked against a key check; never changes a key file."""
    master = MasterKey.locate(path, credential)
    if key_check is None or _opens(master, key_check):
        return master
    raise _rejection(master, Path(path), key_check, pending)


class Vault:
    """Encrypts and decrypts one database's call data under its master key, caching unwrapped data keys."""

    def __init__(self, master: MasterKey, key_check: bytes, *, cache_size: int = 1024) -> None:
        self._master = master
        self._wrap = _wrap_cipher(master)
        self._index_key = _open_key_check(self._wrap, master.source, key_check)
        self._cache: OrderedDict[str, tuple[bytes, AESGCM]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Vault(master={self._master!r}, cached_keys={len(self._cache)})"

    def new_data_key(self, key_id: str) -> bytes:
        """A new random data key for `key_id`, wrapped by the master key, for the data_keys table."""
        return _seal(self._wrap, AESGCM.generate_key(bit_length=256), _data_key_aad(key_id))

    def forget(self, key_id: str) -> None:
        """Drop a cached data key, e.g. right after deleting its wrapped key (crypto-shredding)."""
        with self._lock:
            self._cache.pop(key_id, None)

    @overload
    def encrypt_field(self, key_id: str, wrapped: bytes, text: str, *, table: str, row_id: RowId, column: str,
                      context: Context | None = None) -> bytes: ...

    @overload
    def encrypt_field(self, key_id: str, wrapped: bytes, text: None, *, table: str, row_id: RowId, column: str,
                      context: Context | None = None) -> None: ...

    def encrypt_field(self, key_id: str, wrapped: bytes, text: str | None, *, table: str, row_id: RowId,
                      column: str, context: Context | None = None) -> bytes | None:
        """Encrypt one text field, bound to its table, row and column and to `context` (plaintext columns of its
        row that must not change unnoticed); None stays None."""
        if text is None:
            return None
        nonce = os.urandom(_NONCE)
        aad = _field_aad(table, row_id, column, context)
        return _V1 + nonce + self._cipher(key_id, wrapped).encrypt(nonce, text.encode(), aad)

    @overload
    def decrypt_field(self, key_id: str, wrapped: bytes, blob: bytes, *, table: str, row_id: RowId, column: str,
                      context: Context | None = None) -> str: ...

    @overload
    def decrypt_field(self, key_id: str, wrapped: bytes, blob: None, *, table: str, row_id: RowId, column: str,
                      context: Context | None = None) -> None: ...

    def decrypt_field(self, key_id: str, wrapped: bytes, blob: bytes | None, *, table: str, row_id: RowId,
                      column: str, context: Context | None = None) -> str | None:
        """Decrypt one field written by encrypt_field for the same table, row, column and context; None stays
        None."""
        if blob is None:
            return None
        cipher = self._cipher(key_id, wrapped)
        aad = _field_aad(table, row_id, column, context)
        if len(blob) < _FIELD_MIN or blob[:1] != _V1:
            raise _field_error(table, row_id, column, context)
        try:
            return cipher.decrypt(blob[1:13], blob[13:], aad).decode()
        except InvalidTag:
            raise _field_error(table, row_id, column, context) from None

    def blind_index(self, number: PhoneNumber) -> str:
        """A keyed hash (hex) of a number's canonical form, to find a caller without storing the number."""
        return self._index(number.canonical)

    def lookup_indexes(self, number: PhoneNumber) -> list[str]:
        """The blind indexes a stored caller with this number may have (`PhoneNumber.lookup_forms`)."""
        return [self._index(form) for form in number.lookup_forms]

    def text_index(self, purpose: str, text: str) -> str:
        """A keyed hash (hex) of normalised text, to count repeats without storing it; `purpose` keeps each use
        (knowledge gaps, ...) apart from the others and from number lookups."""
        return self._index(f"{purpose}\x00{text}")

    def _index(self, form: str) -> str:
        return hmac.digest(self._index_key, form.encode(), "sha256").hex()

    def encrypt_stream(self, key_id: str, wrapped: bytes, reader: Reader, writer: Writer, aad: bytes) -> int:
        """Encrypt a recording from `reader` to `writer` in 64 KiB chunks; returns the number of bytes written."""
        cipher = self._cipher(key_id, wrapped)
        header = _V1 + os.urandom(_PREFIX)
        writer.write(header)
        written, index = len(header), 0
        chunk = _read_exactly(reader, CHUNK_SIZE)
        while True:
            following = _read_exactly(reader, CHUNK_SIZE) if len(chunk) == CHUNK_SIZE else b""
            final = not following
            sealed = cipher.encrypt(_chunk_nonce(header, index), chunk, _chunk_aad(header, index, final, aad))
            writer.write(sealed)
            written += len(sealed)
            if final:
                return written
            chunk, index = following, index + 1

    def decrypt_stream(self, key_id: str, wrapped: bytes, reader: Reader, aad: bytes) -> Iterator[bytes]:
        """Plaintext chunks of a recording; raises DecryptionError at the first bad, missing or extra chunk."""
        cipher = self._cipher(key_id, wrapped)
        header = _read_exactly(reader, _STREAM_HEADER)
        if len(header) != _STREAM_HEADER or header[:1] != _V1:
            raise DecryptionError("this file is not an encrypted recording, or its header is damaged; restore it "
                                  "from a backup")
        return _open_chunks(cipher, header, reader, aad)

    def rewrap_all(self, new: MasterKey, wrapped_keys: Mapping[str, bytes]) -> Rewrapped:
        """All data keys and the key check re-wrapped under `new`; nothing is stored or changed here."""
        new_wrap = _wrap_cipher(new)
        keys = {key_id: _seal(new_wrap, self._unwrap(key_id, wrapped), _data_key_aad(key_id))
                for key_id, wrapped in wrapped_keys.items()}
        return Rewrapped(keys=keys, key_check=_seal(new_wrap, self._index_key, _CHECK_AAD))

    def _cipher(self, key_id: str, wrapped: bytes) -> AESGCM:
        """The AES-GCM object of a data key, from the LRU cache or freshly unwrapped."""
        hit = self._cache.get(key_id)  # no lock on a hit: each OrderedDict call is atomic under the GIL
        if hit is not None and hit[0] == wrapped:
            try:
                self._cache.move_to_end(key_id)
            except KeyError:  # evicted or forgotten by another thread meanwhile: use it once, do not re-cache
                return hit[1]
            return hit[1]
        cipher = AESGCM(self._unwrap(key_id, wrapped))
        with self._lock:
            self._cache[key_id] = (wrapped, cipher)
            self._cache.move_to_end(key_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return cipher

    def _unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The raw data key of `key_id`; DecryptionError if `wrapped` was not made for it under this master key."""
        if len(wrapped) != _SEALED_KEY_SIZE or wrapped[:1] != _V1:
            raise self._unwrap_error(key_id)
        try:
            return self._wrap.decrypt(wrapped[1:13], wrapped[13:], _data_key_aad(key_id))
        except InvalidTag:
            raise self._unwrap_error(key_id) from None

    def _unwrap_error(self, key_id: str) -> DecryptionError:
        return DecryptionError(
            f"the data key {key_id!r} cannot be unwrapped with the master key from {self._master.source}: either "
            "that master key is not the one it was written with (restore the original key file), or the stored key "
            "was altered or belongs to another key id or database. Nothing was changed")


def _wrap_cipher(master: MasterKey) -> AESGCM:
    """The key-wrapping AES-GCM key, derived with HKDF so the master key itself never encrypts anything."""
    hkdf = HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=None, info=_WRAP_INFO)
    return AESGCM(hkdf.derive(master.secret_bytes()))


def _seal(cipher: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return _V1 + nonce + cipher.encrypt(nonce, plaintext, aad)


def _data_key_aad(key_id: str) -> bytes:
    return b"\x01data-key\x00" + key_id.encode()


def _field_aad(table: str, row_id: RowId, column: str, context: Context | None) -> bytes:
    """Version 1 (no context) is the format of every field written before contexts existed."""
    if context is None:
        return f"\x01{table}\x00{column}\x00{row_id}".encode()
    bound = json.dumps([table, column, str(row_id), dict(sorted(context.items()))], separators=(",", ":"))
    return b"\x02" + bound.encode()


def _open_key_check(wrap: AESGCM, source: str, key_check: bytes) -> bytes:
    if len(key_check) != _SEALED_KEY_SIZE or key_check[:1] != _V1:
        raise IntegrityError("the database's key check is damaged (wrong size or format): restore the settings "
                             "table from a backup; nothing was changed")
    try:
        return wrap.decrypt(key_check[1:13], key_check[13:], _CHECK_AAD)
    except InvalidTag:
        raise WrongMasterKeyError(_wrong_master_message(source)) from None


def _opens(master: MasterKey, key_check: bytes) -> bool:
    try:
        verify_master_key(master, key_check)
    except WrongMasterKeyError:
        return False
    return True


def _rejection(master: MasterKey, path: Path, key_check: bytes, pending: bytes | None) -> WrongMasterKeyError:
    """Why the key file does not open a database: an interrupted rotation, a pre-rotation copy, or a wrong key."""
    old = old_key_path(path)
    if master.source != str(path) or not old.is_file() or not _opens(MasterKey.load(old), key_check):
        return WrongMasterKeyError(_wrong_master_message(master.source))
    if pending is not None and _opens(master, pending):  # the database names this key as its unfinished rotation's
        return RotationInterruptedError(
            f"a master key rotation stopped before this database was re-wrapped: it still opens with the previous "
            f"key {old}, not with the new one at {path}. If it is the appliance's database, stop the appliance and "
            f"run 'receptionist keys recover' (it puts {old} back and keeps the new key aside); if it is a copy, "
            f"open it with the key {old}. Nothing was changed")
    return WrongMasterKeyError(
        f"this database is from before a master key rotation: it opens with the previous key {old}, not with "
        f"{path}. Use that key for it (e.g. 'receptionist restore --key {old}') and keep {old} until no backup "
        "needs it; nothing was changed")


def _field_error(table: str, row_id: RowId, column: str, context: Context | None) -> DecryptionError:
    bound = f" or its {', '.join(sorted(context))}" if context else ""
    return DecryptionError(
        f"the {column} of {table} row {row_id}{bound} failed its integrity check: it was altered, or moved from "
        "another row, column or caller. Restore it from a backup; nothing was changed")


def _wrong_master_message(source: str) -> str:
    return (f"the master key from {source} cannot decrypt this database: is it the right key? Restore the original "
            "key file (or systemd credential); nothing was changed")


def _read_exactly(reader: Reader, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream (raw files and pipes may return short reads)."""
    data = reader.read(size)
    while 0 < len(data) < size:
        more = reader.read(size - len(data))
        if not more:
            break
        data += more
    return data


def _chunk_nonce(header: bytes, index: int) -> bytes:
    return header[1:] + index.to_bytes(4, "big")


def _chunk_aad(header: bytes, index: int, final: bool, aad: bytes) -> bytes:
    return header + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00") + aad


def _open_chunks(cipher: AESGCM, header: bytes, reader: Reader, aad: bytes) -> Iterator[bytes]:
    """Decrypt chunk by chunk, looking one chunk ahead to know which chunk must carry the final flag."""
    sealed, index = _read_exactly(reader, _SEALED_CHUNK), 0
    while True:
        following = _read_exactly(reader, _SEALED_CHUNK) if len(sealed) == _SEALED_CHUNK else b""
        final = not following
        try:
            plaintext = cipher.decrypt(_chunk_nonce(header, index), sealed, _chunk_aad(header, index, final, aad))
        except InvalidTag:
            raise DecryptionError(
                f"the recording failed its integrity check at chunk {index}: it was truncated, reordered, altered or "
                "belongs to another call. Restore it from a backup") from None
        yield plaintext
        if final:
            return
        sealed, index = following, index + 1


class ChunkReader:
    """A read()-able view of decrypted chunks, so a stream can be re-read or re-sealed without a plaintext file."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left for a negative size)."""
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        cut = len(self._buffer) if size < 0 else size
        data, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return data

    def drain(self) -> None:
        """Decrypt (and drop) what the reader left: the final chunk must authenticate too."""
        for _ in self._chunks:
            pass
        self._buffer = b""
