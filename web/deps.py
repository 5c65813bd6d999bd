"""What panel routes depend on, as annotated aliases: the appliance, the guard of each permission, where a request
came from, and the common context of every page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request

from appliance.service import Appliance
from web.forms import USER_ID_MAX
from web.permissions import MATRIX, Permission, Role
from web.principal import Principal, require


def get_appliance(request: Request) -> Appliance:
    """The appliance this panel serves (set by `create_app`)."""
    appliance: Appliance = request.app.state.appliance
    return appliance


def client_address(request: Request) -> str | None:
    """The address a request came from, for the audit log."""
    return request.client.host if request.client else None


ApplianceDep = Annotated[Appliance, Depends(get_appliance)]
Source = Annotated[str | None, Depends(client_address)]
ViewsCalls = Annotated[Principal, Depends(require(Permission.VIEW_CALLS))]
ReadsTranscripts = Annotated[Principal, Depends(require(Permission.READ_TRANSCRIPTS))]
PlaysRecordings = Annotated[Principal, Depends(require(Permission.PLAY_RECORDINGS))]
ViewsMessages = Annotated[Principal, Depends(require(Permission.VIEW_MESSAGES))]
WorksMessages = Annotated[Principal, Depends(require(Permission.WORK_MESSAGES))]
CorrectsCallers = Annotated[Principal, Depends(require(Permission.CORRECT_CALLER))]
ExportsCallers = Annotated[Principal, Depends(require(Permission.EXPORT_CALLER))]
ErasesCallers = Annotated[Principal, Depends(require(Permission.ERASE_CALLER))]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # call, contact, message and recording ids: never a path or a dot
UserId = Annotated[int, Path(ge=1, le=USER_ID_MAX)]  # a panel user's id in a path


def may(principal: Principal) -> set[str]:
    """What the principal's role allows, as permission values (for templates)."""
    try:
        return {permission.value for permission in MATRIX[Role(principal.role)]}
    except ValueError:
        return set()


def page_context(appliance: Appliance, principal: Principal, **values: Any) -> dict[str, Any]:
    """A page's template values, with the user and what they may do (the header's links, CSRF token and count of
    new messages come with every page: `web.templating.every_page`)."""
    return {"principal": principal, "may": may(principal), **values}
