"""The call log as JSON: a page of calls, one call, its transcript, and its recording (streamed, audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from web.deps import ID_PATTERN, ApplianceDep, PlaysRecordings, ReadsTranscripts, Source, ViewsCalls
from web.forms import CallFilter

router = APIRouter(prefix="/api/calls", tags=["calls"])
CallId = Annotated[str, Path(pattern=ID_PATTERN)]
RecordingId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("")
def list_calls(appliance: ApplianceDep, _: ViewsCalls, filters: Annotated[CallFilter, Query()]) -> dict[str, Any]:
    """Calls newest first, one page at a time; search by number (any form) or name, filter by date, brand, outcome
    and duration."""
    return appliance.records.calls(filters.query())


@router.get("/{call_id}")
def call(appliance: ApplianceDep, _: ViewsCalls, call_id: CallId) -> dict[str, Any]:
    """One call: caller, called brand, SIP Call-ID, times, duration, billing minutes, codec, source, outcome,
    transfer target, summary, messages and recordings (no transcript: see /transcript)."""
    return appliance.records.call(call_id, transcript=False)


@router.get("/{call_id}/transcript")
def transcript(appliance: ApplianceDep, _: ReadsTranscripts, call_id: CallId) -> dict[str, Any]:
    """What was said, turn by turn with timings, and the call's events (keys pressed, transfers, errors)."""
    detail = appliance.records.call(call_id, transcript=True)
    return {"call_id": call_id, "turns": detail["turns"], "events": detail["events"]}


@router.get("/{call_id}/recordings/{recording_id}", response_class=StreamingResponse)
def recording(appliance: ApplianceDep, who: PlaysRecordings, source: Source, *, call_id: CallId,
              recording_id: RecordingId, download: bool = False) -> StreamingResponse:
    """The call's recording as WAV, decrypted while it streams; `download=true` saves it as a file. Audited."""
    chunks = appliance.records.recording(call_id, recording_id, actor=who.username, source=source,
                                         download=download)
    disposition = "attachment" if download else "inline"
    return StreamingResponse(chunks, media_type="audio/wav", headers={
        "Content-Disposition": f'{disposition}; filename="call-{call_id}.wav"', "Cache-Control": "no-store"})
