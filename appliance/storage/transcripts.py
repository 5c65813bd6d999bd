"""A call's transcript, sealed turn by turn and as a whole.

Each turn's text is sealed under the caller's data key and bound to its call, its place (seq) and who said it
(speaker), so an edited speaker or a moved turn fails to decrypt. The call row's `turns_digest` is a hash chain
over every turn in order (seq, speaker, start and end offsets, timings, SHA-256 of the words), sealed under the
same key and bound to the call id. It is sealed (empty) when the call opens and re-sealed in the transaction
that adds each turn, so the digest sealed by the last turn is the call's digest once it has ended, and a
missing digest is never normal. Reading a call recomputes the chain: a turn deleted, added, replayed (from an
older copy or from another place in the call) or reordered raises TranscriptTamperedError. Retention deleting
a transcript re-seals the digest over what is left.

What it cannot see: the whole call (its row and all its turns) put back from an older copy of the same
database, because nothing outside the database remembers how far the call had got.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from appliance.call.events import TurnSpoken
from appliance.storage.crypto import IntegrityError
from appliance.storage.schema import dict_rows
from appliance.storage.sealing import Key, Sealer

GENESIS = hashlib.sha256(b"receptionist transcript v1").hexdigest()  # the digest of a call with no turns yet
DIGEST = "turns_digest"


class TranscriptTamperedError(IntegrityError):
    """A call's turns no longer match the digest sealed over them."""


def speaker_context(speaker: str) -> dict[str, str]:
    """What a turn's sealed text is bound to besides its call and seq."""
    return {"speaker": speaker}


def turn_record(seq: int, speaker: str, offsets: tuple[float | None, float | None], timings: str | None,
                text: str | None) -> bytes:
    """One turn as the digest sees it: `offsets` (start, end) as floats, so they read back exactly as written."""
    words = None if text is None else hashlib.sha256(text.encode()).hexdigest()
    start_end = [None if value is None else float(value) for value in offsets]
    return json.dumps([seq, speaker, *start_end, timings, words], separators=(",", ":")).encode()


def extend(digest: str, record: bytes) -> str:
    """The chain's digest after one more turn (`digest` is the hex digest before it)."""
    return hashlib.sha256(digest.encode() + record).hexdigest()


def chain(records: list[bytes]) -> str:
    """The digest of a whole transcript, from GENESIS."""
    digest = GENESIS
    for record in records:
        digest = extend(digest, record)
    return digest


def seal_digest(sealer: Sealer, key: Key, call_id: str, digest: str) -> None:
    """Store a call's digest sealed under its caller's key, bound to the call."""
    sealed = sealer.seal(key, digest, "calls", call_id, DIGEST)
    sealer.db.execute(f"UPDATE calls SET {DIGEST} = ? WHERE id = ?", [sealed, call_id])


def append_turn(sealer: Sealer, call_id: str, turn: TurnSpoken) -> None:
    """Insert a turn and extend the call's sealed digest over it (in the caller's transaction)."""
    key = sealer.key_of_call(call_id)
    row = sealer.db.execute(f"SELECT {DIGEST}, (SELECT COALESCE(MAX(seq), 0) FROM turns WHERE call_id = ?) "
                            "FROM calls WHERE id = ?", [call_id, call_id]).fetchone()
    before, seq, timings = _opened_digest(sealer, key, call_id, row[0]), int(row[1]) + 1, json.dumps(turn.timings)
    text = sealer.seal(key, turn.text, "turns", f"{call_id}:{seq}", "text",
                       context=speaker_context(turn.speaker.value))
    sealer.db.execute(
        "INSERT INTO turns (call_id, seq, speaker, text, start_s, end_s, timings) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [call_id, seq, turn.speaker.value, text, turn.start, turn.end, timings])
    record = turn_record(seq, turn.speaker.value, (turn.start, turn.end), timings, turn.text)
    seal_digest(sealer, key, call_id, extend(before, record))


def open_turns(sealer: Sealer, key: Key, call_id: str) -> list[dict[str, Any]]:
    """A call's turns decrypted, after checking them against the call's sealed digest."""
    turns = _opened_turns(sealer, key, call_id)
    sealed = sealer.db.execute(f"SELECT {DIGEST} FROM calls WHERE id = ?", [call_id]).fetchone()[0]
    if not hmac.compare_digest(_opened_digest(sealer, key, call_id, sealed), chain(_records(turns))):
        raise TranscriptTamperedError(
            f"the transcript of call {call_id} failed its integrity check: a turn was deleted, added, replayed or "
            "reordered after it was written. Restore the database from a backup; nothing was changed")
    for turn in turns:
        turn["timings"] = json.loads(turn["timings"] or "{}")
    return turns


def reseal_digest(sealer: Sealer, key: Key, call_id: str) -> None:
    """Seal the digest over the turns stored now (after retention, or an upgrade that re-sealed them)."""
    seal_digest(sealer, key, call_id, chain(_records(_opened_turns(sealer, key, call_id))))


def _opened_turns(sealer: Sealer, key: Key, call_id: str) -> list[dict[str, Any]]:
    turns = dict_rows(sealer.db, "SELECT * FROM turns WHERE call_id = ? ORDER BY seq", [call_id])
    for turn in turns:
        turn["text"] = sealer.open(key, turn["text"], "turns", f"{call_id}:{turn['seq']}", "text",
                                   context=speaker_context(turn["speaker"]))
    return turns


def _records(turns: list[dict[str, Any]]) -> list[bytes]:
    return [turn_record(t["seq"], t["speaker"], (t["start_s"], t["end_s"]), t["timings"], t["text"]) for t in turns]


def _opened_digest(sealer: Sealer, key: Key, call_id: str, sealed: bytes | None) -> str:
    digest = sealer.open(key, sealed, "calls", call_id, DIGEST)
    if digest is None:
        raise TranscriptTamperedError(
            f"the transcript of call {call_id} has lost its sealed digest, so its turns cannot be checked: the "
            "database was altered. Restore it from a backup; nothing was changed")
    return digest
