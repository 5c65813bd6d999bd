"""One caller as JSON, and their data rights: correct, export (a ZIP of the JSON v1 export and WAV files) and
erase (asks for the password again)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from web.confirm import confirm_password
from web.deps import (
    ID_PATTERN,
    ApplianceDep,
    CorrectsCallers,
    ErasesCallers,
    ExportsCallers,
    Source,
    ViewsCalls,
)
from web.forms import Confirmation, Correction

router = APIRouter(prefix="/api/callers", tags=["callers"])
ContactId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/{contact_id}")
def caller(appliance: ApplianceDep, _: ViewsCalls, contact_id: ContactId,
           page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> dict[str, Any]:
    """A caller: number, name, notes, a page of their calls, their messages and unanswered questions."""
    return appliance.records.caller(contact_id, page)


@router.post("/{contact_id}/correct")
def correct(appliance: ApplianceDep, who: CorrectsCallers, source: Source, contact_id: ContactId,
            body: Correction) -> dict[str, str]:
    """Correct a caller's name and/or notes (audited)."""
    appliance.records.correct_caller(contact_id, name=body.name, notes=body.notes, actor=who.username,
                                     source=source)
    return {"status": "corrected"}


@router.post("/{contact_id}/export", response_class=StreamingResponse)
def export(appliance: ApplianceDep, who: ExportsCallers, source: Source, contact_id: ContactId) -> StreamingResponse:
    """Everything stored about the caller as a ZIP: export.json (JSON v1) and recordings/*.wav. Audited."""
    chunks = appliance.records.export_caller(contact_id, actor=who.username, source=source)
    return StreamingResponse(chunks, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="caller-{contact_id}.zip"', "Cache-Control": "no-store"})


@router.get("/{contact_id}/erasure")
def erasure(appliance: ApplianceDep, _: ErasesCallers, contact_id: ContactId) -> dict[str, int]:
    """What erasing the caller would destroy, counted."""
    return appliance.records.erase_preview(contact_id)


@router.post("/{contact_id}/erase")
def erase(appliance: ApplianceDep, who: ErasesCallers, source: Source, contact_id: ContactId,
          body: Confirmation) -> dict[str, int]:
    """Erase the caller: every call, message, recording file and their key (asks for the password). Audited."""
    appliance.records.caller(contact_id)  # 404 for an unknown caller before the password is checked
    confirm_password(appliance, who, body.password, source=source)
    return {"calls_erased": appliance.records.erase_caller(contact_id, actor=who.username, source=source)}
