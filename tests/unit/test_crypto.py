"""Encryption at rest: fields, data keys, master key files, blind index, recordings, rotation."""

from __future__ import annotations

import io
import os
import pickle
import re
import stat
from pathlib import Path

import pytest

from appliance.storage.crypto import (
    CHUNK_SIZE,
    DecryptionError,
    IntegrityError,
    KeyFileError,
    KeyMissingError,
    KeyPermissionError,
    MasterKey,
    RotationInterruptedError,
    Vault,
    WrongMasterKeyError,
    confirm_rotation,
    create_key_check,
    create_master_key,
    install_rotated_key,
    load_master_key,
    old_key_path,
    roll_back_rotation,
    verify_master_key,
)

TEXT = "Please call me back about the invoice, it's Ana — 555 0100 142"
_HEADER = 9
_SEALED = CHUNK_SIZE + 16


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def key_check(master: MasterKey) -> bytes:
    return create_key_check(master)


@pytest.fixture
def vault(master: MasterKey, key_check: bytes) -> Vault:
    return Vault(master, key_check)


@pytest.fixture
def wrapped(vault: Vault) -> bytes:
    return vault.new_data_key("caller-1")


def seal(vault: Vault, wrapped: bytes, text: str, row_id: str = "call-1", column: str = "summary") -> bytes:
    return vault.encrypt_field("caller-1", wrapped, text, table="calls", row_id=row_id, column=column)


def unseal(vault: Vault, wrapped: bytes, blob: bytes, row_id: str = "call-1", column: str = "summary") -> str:
    return vault.decrypt_field("caller-1", wrapped, blob, table="calls", row_id=row_id, column=column)


def test_field_round_trip_is_compact_and_random(vault: Vault, wrapped: bytes) -> None:
    blob = seal(vault, wrapped, TEXT)
    assert unseal(vault, wrapped, blob) == TEXT
    assert len(blob) == len(TEXT.encode()) + 29
    assert seal(vault, wrapped, TEXT) != blob
    assert unseal(vault, wrapped, seal(vault, wrapped, "")) == ""


def test_none_passes_through(vault: Vault, wrapped: bytes) -> None:
    assert vault.encrypt_field("caller-1", wrapped, None, table="calls", row_id=1, column="summary") is None
    assert vault.decrypt_field("caller-1", wrapped, None, table="calls", row_id=1, column="summary") is None


def test_flipping_any_byte_is_detected(vault: Vault, wrapped: bytes) -> None:
    blob = seal(vault, wrapped, "Ana")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError, match="summary of calls row call-1 failed its integrity check"):
            unseal(vault, wrapped, bytes(tampered))
    for cut in (b"", blob[:5], blob[:-1]):
        with pytest.raises(DecryptionError):
            unseal(vault, wrapped, cut)


def test_ciphertexts_swapped_between_columns_or_rows_fail(vault: Vault, wrapped: bytes) -> None:
    summary, name = seal(vault, wrapped, "A summary"), seal(vault, wrapped, "Ana", column="caller_name")
    with pytest.raises(DecryptionError, match="caller_name"):
        unseal(vault, wrapped, summary, column="caller_name")
    with pytest.raises(DecryptionError):
        unseal(vault, wrapped, name, column="summary")
    with pytest.raises(DecryptionError, match="row call-2"):
        unseal(vault, wrapped, summary, row_id="call-2")
    with pytest.raises(DecryptionError):
        vault.decrypt_field("caller-1", wrapped, summary, table="messages", row_id="call-1", column="summary")


def test_another_callers_key_cannot_decrypt(vault: Vault, wrapped: bytes) -> None:
    other = vault.new_data_key("caller-2")
    blob = seal(vault, wrapped, TEXT)
    with pytest.raises(DecryptionError):
        vault.decrypt_field("caller-2", other, blob, table="calls", row_id="call-1", column="summary")
    with pytest.raises(DecryptionError, match="data key 'caller-2'"):
        vault.decrypt_field("caller-2", wrapped, blob, table="calls", row_id="call-1", column="summary")


def test_wrong_master_key_is_a_clear_error(key_check: bytes, wrapped: bytes) -> None:
    wrong = MasterKey.generate()
    with pytest.raises(WrongMasterKeyError, match=r"is it the right key\?.*nothing was changed"):
        verify_master_key(wrong, key_check)
    with pytest.raises(WrongMasterKeyError):
        Vault(wrong, key_check)
    other_vault = Vault(wrong, create_key_check(wrong))
    with pytest.raises(DecryptionError, match="cannot be unwrapped with the master key"):
        seal(other_vault, wrapped, TEXT)
    with pytest.raises(IntegrityError, match="key check is damaged"):
        verify_master_key(wrong, key_check[:-1])


def test_crypto_shredding(vault: Vault, wrapped: bytes, master: MasterKey, key_check: bytes) -> None:
    blob = seal(vault, wrapped, TEXT)
    vault.forget("caller-1")
    assert "cached_keys=0" in repr(vault)
    del wrapped  # the store deletes the data_keys row; backups hold only that row, never the raw key
    replacement = vault.new_data_key("caller-1")
    for reader in (vault, Vault(master, key_check)):
        with pytest.raises(DecryptionError):
            unseal(reader, replacement, blob)


def test_secrets_stay_out_of_reprs_and_messages(master: MasterKey, vault: Vault, wrapped: bytes) -> None:
    seal(vault, wrapped, TEXT)
    secret = master.secret_bytes()
    for text in (repr(master), str(master), repr(vault)):
        assert "secret=<redacted>" in text
        assert secret.hex() not in text and repr(secret) not in text
    with pytest.raises(TypeError):
        pickle.dumps(master)


def test_key_file_created_0600_and_loaded(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    created = create_master_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert MasterKey.load(path).secret_bytes() == created.secret_bytes()
    assert str(path) in repr(MasterKey.load(path))
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        create_master_key(path)
    assert MasterKey.load(path).secret_bytes() == created.secret_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


def test_group_or_other_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    create_master_key(path)
    for mode in (0o644, 0o640, 0o604, 0o620):
        path.chmod(mode)
        with pytest.raises(KeyPermissionError, match=re.escape(f"chmod 600 {path}")):
            MasterKey.load(path)
    path.chmod(0o400)
    MasterKey.load(path)


def test_missing_or_malformed_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyMissingError, match="restore it from your key backup"):
        MasterKey.load(tmp_path / "nothing.key")
    bad = tmp_path / "bad.key"
    bad.write_bytes(b"not a key\n")
    bad.chmod(0o600)
    with pytest.raises(KeyFileError, match="does not hold a master key"):
        MasterKey.load(bad)
    raw = tmp_path / "raw.key"
    raw.write_bytes(bytes(range(32)))
    raw.chmod(0o600)
    assert MasterKey.load(raw).secret_bytes() == bytes(range(32))


def test_systemd_credential_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file_key = create_master_key(tmp_path / "master.key")
    credentials = tmp_path / "creds"
    credentials.mkdir()
    cred_key = create_master_key(credentials / "receptionist-master-key")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    found = MasterKey.locate(tmp_path / "master.key")
    assert found.secret_bytes() == cred_key.secret_bytes()
    assert found.source == "credential receptionist-master-key"
    assert MasterKey.locate(tmp_path / "master.key", "other").secret_bytes() == file_key.secret_bytes()
    with pytest.raises(KeyMissingError, match="LoadCredential=other"):
        MasterKey.from_credentials("other")
    with pytest.raises(KeyFileError, match="not a valid credential name"):
        MasterKey.from_credentials("../master.key")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    assert MasterKey.locate(tmp_path / "master.key").secret_bytes() == file_key.secret_bytes()


def test_blind_index(vault: Vault) -> None:
    index = vault.blind_index("+1 (555) 010-0142")
    assert index == vault.blind_index("+1 555 0100142") == vault.blind_index("+1.555.010.0142")
    assert len(index) == 64 and "5550100142" not in index
    assert index != vault.blind_index("+1 555 0100143")
    assert index != vault.blind_index("1 555 0100142")
    other = MasterKey.generate()
    assert index != Vault(other, create_key_check(other)).blind_index("+1 (555) 010-0142")
    with pytest.raises(ValueError, match="empty phone number"):
        vault.blind_index(" ( ) ")


def encrypt_bytes(vault: Vault, wrapped: bytes, data: bytes, aad: bytes = b"recording:call-1") -> bytes:
    out = io.BytesIO()
    written = vault.encrypt_stream("caller-1", wrapped, io.BytesIO(data), out, aad)
    assert written == len(out.getvalue())
    return out.getvalue()


def decrypt_bytes(vault: Vault, wrapped: bytes, data: bytes, aad: bytes = b"recording:call-1") -> bytes:
    return b"".join(vault.decrypt_stream("caller-1", wrapped, io.BytesIO(data), aad))


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 7, 4 * CHUNK_SIZE])
def test_stream_round_trip(vault: Vault, wrapped: bytes, size: int) -> None:
    data = os.urandom(size)
    sealed = encrypt_bytes(vault, wrapped, data)
    sealed_chunks = max(1, -(-size // CHUNK_SIZE))
    assert len(sealed) == _HEADER + size + 16 * sealed_chunks
    chunks = list(vault.decrypt_stream("caller-1", wrapped, io.BytesIO(sealed), b"recording:call-1"))
    assert b"".join(chunks) == data
    assert all(len(chunk) == CHUNK_SIZE for chunk in chunks[:-1])


def test_stream_truncation_is_detected(vault: Vault, wrapped: bytes) -> None:
    sealed = encrypt_bytes(vault, wrapped, os.urandom(3 * CHUNK_SIZE + 100))
    for cut in (_HEADER + 3 * _SEALED, _HEADER + 2 * _SEALED, len(sealed) - 1, _HEADER, _HEADER + 10):
        with pytest.raises(DecryptionError, match="truncated"):
            decrypt_bytes(vault, wrapped, sealed[:cut])
    with pytest.raises(DecryptionError, match="not an encrypted recording"):
        decrypt_bytes(vault, wrapped, sealed[:4])
    with pytest.raises(DecryptionError):
        decrypt_bytes(vault, wrapped, sealed + b"\x00" * 20)
    empty = encrypt_bytes(vault, wrapped, b"")
    with pytest.raises(DecryptionError):
        decrypt_bytes(vault, wrapped, empty[:_HEADER])


def test_stream_chunks_yielded_before_the_bad_one(vault: Vault, wrapped: bytes) -> None:
    data = os.urandom(3 * CHUNK_SIZE)
    sealed = bytearray(encrypt_bytes(vault, wrapped, data))
    sealed[_HEADER + 2 * _SEALED + 5] ^= 0x80
    chunks = vault.decrypt_stream("caller-1", wrapped, io.BytesIO(bytes(sealed)), b"recording:call-1")
    assert next(chunks) + next(chunks) == data[: 2 * CHUNK_SIZE]
    with pytest.raises(DecryptionError, match="at chunk 2"):
        next(chunks)


def test_stream_reorder_swap_and_wrong_aad_fail(vault: Vault, wrapped: bytes) -> None:
    first = encrypt_bytes(vault, wrapped, os.urandom(3 * CHUNK_SIZE))
    second = encrypt_bytes(vault, wrapped, os.urandom(3 * CHUNK_SIZE))

    def chunk(data: bytes, i: int) -> bytes:
        return data[_HEADER + i * _SEALED: _HEADER + (i + 1) * _SEALED]

    reordered = first[:_HEADER] + chunk(first, 1) + chunk(first, 0) + chunk(first, 2)
    swapped = first[:_HEADER] + chunk(first, 0) + chunk(second, 1) + chunk(first, 2)
    for bad in (reordered, swapped, second[:_HEADER] + first[_HEADER:]):
        with pytest.raises(DecryptionError, match=r"at chunk [01]:"):
            decrypt_bytes(vault, wrapped, bad)
    with pytest.raises(DecryptionError, match="chunk 0"):
        decrypt_bytes(vault, wrapped, first, aad=b"recording:call-2")


def test_stream_reads_short_reads_fully(vault: Vault, wrapped: bytes) -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(min(size, 1000) if size is not None and size > 0 else -1)

    data = os.urandom(2 * CHUNK_SIZE + 3)
    out = io.BytesIO()
    vault.encrypt_stream("caller-1", wrapped, Trickle(data), out, b"a")
    assert b"".join(vault.decrypt_stream("caller-1", wrapped, Trickle(out.getvalue()), b"a")) == data


def test_rewrap_under_a_new_master_key(vault: Vault, master: MasterKey, key_check: bytes) -> None:
    keys = {f"caller-{n}": vault.new_data_key(f"caller-{n}") for n in range(5)}
    blobs = {key_id: vault.encrypt_field(key_id, w, f"text of {key_id}", table="t", row_id=1, column="c")
             for key_id, w in keys.items()}
    index = vault.blind_index("+15550100142")
    new = MasterKey.generate()
    result = vault.rewrap_all(new, keys)
    renewed = Vault(new, result.key_check)
    for key_id, blob in blobs.items():
        text = renewed.decrypt_field(key_id, result.keys[key_id], blob, table="t", row_id=1, column="c")
        assert text == f"text of {key_id}"
    assert renewed.blind_index("+1 555 010 0142") == index
    fresh = Vault(master, key_check)
    with pytest.raises(DecryptionError, match="cannot be unwrapped"):
        fresh.decrypt_field("caller-0", result.keys["caller-0"], blobs["caller-0"], table="t", row_id=1, column="c")
    with pytest.raises(WrongMasterKeyError):
        verify_master_key(master, result.key_check)


def test_rewrap_refuses_a_foreign_key(vault: Vault) -> None:
    with pytest.raises(DecryptionError, match="'caller-9'"):
        vault.rewrap_all(MasterKey.generate(), {"caller-1": vault.new_data_key("caller-1"),
                                                "caller-9": vault.new_data_key("caller-8")})


def test_key_file_rotation_keeps_old_until_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    old = create_master_key(path)
    new = MasterKey.generate()
    install_rotated_key(path, new)
    assert MasterKey.load(path).secret_bytes() == new.secret_bytes()
    assert MasterKey.load(old_key_path(path)).secret_bytes() == old.secret_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(KeyFileError, match="not finished"):
        install_rotated_key(path, MasterKey.generate())
    confirm_rotation(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.key"]
    rejected = MasterKey.generate()
    install_rotated_key(path, rejected)
    aside = roll_back_rotation(path)
    assert MasterKey.load(path).secret_bytes() == new.secret_bytes()
    assert aside is not None and MasterKey.load(aside).secret_bytes() == rejected.secret_bytes()  # moved, not lost
    with pytest.raises(KeyMissingError):
        roll_back_rotation(path)


def test_loading_the_key_never_changes_a_key_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    old = create_master_key(path)
    key_check = create_key_check(old)
    assert load_master_key(path, None).secret_bytes() == old.secret_bytes()
    new = MasterKey.generate()
    install_rotated_key(path, new)  # then a crash before the database commit
    with pytest.raises(RotationInterruptedError, match="keys recover"):
        load_master_key(path, key_check, pending=create_key_check(new))
    with pytest.raises(WrongMasterKeyError, match="from before a master key rotation") as caught:
        load_master_key(path, key_check)  # a copy from before the rotation names no pending rotation
    assert not isinstance(caught.value, RotationInterruptedError)
    with pytest.raises(WrongMasterKeyError, match="from before"):  # another key's pending rotation is not this one
        load_master_key(path, key_check, pending=create_key_check(MasterKey.generate()))
    assert MasterKey.load(path).secret_bytes() == new.secret_bytes()
    assert MasterKey.load(old_key_path(path)).secret_bytes() == old.secret_bytes()
    committed = Vault(old, key_check).rewrap_all(new, {})
    assert load_master_key(path, committed.key_check).secret_bytes() == new.secret_bytes()
    with pytest.raises(WrongMasterKeyError, match=re.escape(f"master key from {path} cannot decrypt")):
        load_master_key(path, create_key_check(MasterKey.generate()))


def test_data_key_cache_evicts_least_recently_used(master: MasterKey, key_check: bytes) -> None:
    vault = Vault(master, key_check, cache_size=2)
    keys = {key_id: vault.new_data_key(key_id) for key_id in ("a", "b", "c")}
    blobs = {key_id: vault.encrypt_field(key_id, w, key_id * 3, table="t", row_id=1, column="c")
             for key_id, w in keys.items()}
    assert "cached_keys=2" in repr(vault)
    for key_id in ("a", "b", "c", "a"):
        assert vault.decrypt_field(key_id, keys[key_id], blobs[key_id], table="t", row_id=1, column="c") == key_id * 3
    assert "cached_keys=2" in repr(vault)
