"""The message inbox as JSON: the views, their counts, the team, and working a message."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from web.deps import ID_PATTERN, ApplianceDep, ViewsMessages, WorksMessages
from web.forms import Assignment, Done, Note, View

router = APIRouter(prefix="/api/messages", tags=["messages"])
MessageId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("")
def inbox(appliance: ApplianceDep, _: ViewsMessages, view: View = "new",
          page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> dict[str, Any]:
    """One page of the inbox: new (nobody has it), assigned (someone works it) or done; newest first."""
    return appliance.records.inbox(view, page)


@router.get("/counts")
def counts(appliance: ApplianceDep, _: ViewsMessages) -> dict[str, int]:
    """How many messages are new, assigned and done (the header shows the new ones)."""
    return appliance.records.inbox_counts()


@router.get("/team")
def team(appliance: ApplianceDep, _: WorksMessages) -> list[dict[str, Any]]:
    """The panel users a message can be assigned to."""
    return appliance.records.team()


@router.post("/{message_id}/assign")
def assign(appliance: ApplianceDep, _: WorksMessages, message_id: MessageId, body: Assignment) -> dict[str, str]:
    """Give a message to a panel user, or to nobody (user_id null)."""
    appliance.records.assign(message_id, body.user_id)
    return {"status": "assigned" if body.user_id else "unassigned"}


@router.post("/{message_id}/notes")
def add_note(appliance: ApplianceDep, who: WorksMessages, message_id: MessageId, body: Note) -> dict[str, str]:
    """Add a team note to a message."""
    appliance.records.add_note(message_id, body.text, actor=who.username)
    return {"status": "noted"}


@router.post("/{message_id}/done")
def done(appliance: ApplianceDep, _: WorksMessages, message_id: MessageId, body: Done) -> dict[str, str]:
    """Mark a message done, or open it again (done false)."""
    appliance.records.finish(message_id, body.done)
    return {"status": "done" if body.done else "open"}
