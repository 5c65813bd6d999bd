"""Call recordings (a stereo WAV made by `appliance.call.recorder`), stored only encrypted.

The audio stays in memory during the call and is encrypted under
the caller's data key straight into a temp file in `<data_dir>/recordings/`, then renamed: plaintext audio never
touches the disk. It is decrypted only while streamed to a reader. Files whose row is gone (an erased caller, an
expired recording) are removed by `sweep_recordings`; their key is already destroyed or their row deleted.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.storage.store import CallStore

SUFFIX = ".rec"


def save_recording(store: CallStore, call_id: str, audio: bytes, folder: Path, now: float | None = None) -> str:
    """Encrypt a call's recording into the folder and record it; returns the recording id."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    recording_id = uuid.uuid4().hex
    target = folder / f"{recording_id}{SUFFIX}"
    temp = target.with_suffix(".tmp")
    try:
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            size = store.seal_stream(call_id, io.BytesIO(audio), out)
            out.flush()
            os.fsync(out.fileno())
        temp.rename(target)
        store.write([("INSERT INTO recordings (id, call_id, path, bytes, created_at) VALUES (?, ?, ?, ?, ?)",
                      [recording_id, call_id, target.name, size, now or time.time()])])
    except BaseException:  # a full disk, most likely: leave no part of the file to take the room
        temp.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return recording_id


def read_recording(store: CallStore, call_id: str, folder: Path) -> Iterator[bytes]:
    """A call's recording, decrypted chunk by chunk while the reader consumes it."""
    rows = store.rows("SELECT path FROM recordings WHERE call_id = ? ORDER BY created_at", [call_id])
    if not rows:
        raise FileNotFoundError(f"call {call_id} has no recording")
    with (folder / rows[0]["path"]).open("rb") as source:
        yield from store.open_stream(call_id, source)


def recordings_of(store: CallStore, call_id: str) -> list[dict[str, Any]]:
    """A call's recordings (id, encrypted size in bytes, when saved), oldest first."""
    return store.rows("SELECT id, bytes, created_at FROM recordings WHERE call_id = ? ORDER BY created_at, id",
                      [call_id])


def open_recording(store: CallStore, call_id: str, recording_id: str, folder: Path) -> Iterator[bytes]:
    """One recording of one call, decrypted chunk by chunk as it is read; KeyError (before anything is read) if
    the call has no recording with that id, FileNotFoundError if its file is gone."""
    rows = store.rows("SELECT path FROM recordings WHERE id = ? AND call_id = ?", [recording_id, call_id])
    if not rows:
        raise KeyError(f"call {call_id} has no recording {recording_id}")
    source = (folder / Path(rows[0]["path"]).name).open("rb")  # only a file name: a row cannot point elsewhere
    return _closing(store.open_stream(call_id, source), source)


def _closing(chunks: Iterator[bytes], source: io.BufferedReader) -> Iterator[bytes]:
    with source:
        yield from chunks


def sweep_recordings(store: CallStore, folder: Path) -> int:
    """Delete recording files that no row refers to any more; returns how many were removed."""
    if not folder.is_dir():
        return 0
    kept = {row["path"] for row in store.rows("SELECT path FROM recordings", [])}
    stale = time.time() - 3600  # a .tmp younger than this may be a recording being saved right now
    removed = 0
    for path in folder.iterdir():
        orphan = path.suffix == SUFFIX and path.name not in kept
        if orphan or (path.suffix == ".tmp" and path.stat().st_mtime < stale):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def export_audio(store: CallStore, archive: dict[str, Any], folder: Path, target: Path) -> int:
    """Decrypt the recordings of an export's calls into `target` (0600 WAV files, never overwriting) and name
    each file in its call's `"recording"` entry, relative to the export; returns how many were written."""
    written = 0
    for contact in archive["contacts"]:
        for call in contact["calls"]:
            if not store.rows("SELECT 1 FROM recordings WHERE call_id = ?", [call["id"]]):
                continue
            target.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = target / f"{call['id']}.wav"
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                for chunk in read_recording(store, call["id"], folder):
                    out.write(chunk)
            call["recording"] = f"{target.name}/{path.name}"
            written += 1
    return written
