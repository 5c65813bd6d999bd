"""A caller's export as one ZIP download: the JSON v1 export (`appliance.storage.datarights`) as `export.json`,
and each recorded call's audio as `recordings/<call id>.wav`.

The archive is written while it is sent: the JSON first, then each recording decrypted chunk by chunk straight
into the ZIP stream, so no plaintext audio touches the disk and a long history never sits whole in memory.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appliance.storage.datarights import export_contacts
from appliance.storage.recordings import open_recording, recordings_of
from appliance.storage.store import CallStore

RECORDINGS_FOLDER = "recordings"


class _Sink:
    """A write-only stream that keeps what the ZIP writer gives it until the response takes it."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: parts wait in memory until taken."""

    def close(self) -> None:
        """Nothing to close: the response takes the last part."""

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def export_zip(store: CallStore, contact_ids: list[str], folder: Path, *, actor: str,
               source: str | None = None) -> Iterator[bytes]:
    """The export of these contacts (audited now, before a byte is sent) as the chunks of a ZIP file."""
    archive = export_contacts(store, contact_ids, actor=actor, source=source)
    recorded = _name_recordings(store, archive)
    return _zip_chunks(store, archive, recorded, folder)


def _name_recordings(store: CallStore, archive: dict[str, Any]) -> list[tuple[str, str]]:
    """Name each recorded call's file in its `"recording"` entry; returns (call id, recording id) pairs."""
    recorded = []
    for contact in archive["contacts"]:
        for call in contact["calls"]:
            found = recordings_of(store, call["id"])
            if found:
                call["recording"] = f"{RECORDINGS_FOLDER}/{call['id']}.wav"
                recorded.append((call["id"], str(found[0]["id"])))
    return recorded


def _zip_chunks(store: CallStore, archive: dict[str, Any], recorded: list[tuple[str, str]],
                folder: Path) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("export.json", json.dumps(archive, indent=2, ensure_ascii=False))
        yield sink.take()
        for call_id, recording_id in recorded:
            with bundle.open(f"{RECORDINGS_FOLDER}/{call_id}.wav", "w", force_zip64=True) as member:
                for chunk in open_recording(store, call_id, recording_id, folder):
                    member.write(chunk)
                    yield sink.take()
    yield sink.take()
