"""Asking for the password again before an erasure.

The check itself belongs to the panel's sign-in (`Appliance.verify_password(user_id, password)`); until that is
merged the face has no such method, and an erasure from the panel is refused with words saying so, never let
through unchecked.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException

from appliance.service import Appliance
from web.principal import Principal

NOT_YET = ("Erasing a caller asks for your password again, and this panel cannot check passwords yet. "
           "Use 'receptionist erase <number>' on the box for now.")
WRONG = "That password is not right, so nothing was erased. Type your own sign-in password."


def confirm_password(appliance: Appliance, principal: Principal, password: str, *, source: str | None) -> None:
    """Nothing if `password` is the principal's own; else 403 (audited), or 503 while passwords cannot be checked."""
    verify: Callable[[int, str], bool] | None = getattr(appliance, "verify_password", None)
    if verify is None:
        raise HTTPException(status_code=503, detail=NOT_YET)
    if not verify(principal.user_id, password):
        appliance.audit(actor=principal.username, action="erase-refused", detail="wrong password", source=source)
        raise HTTPException(status_code=403, detail=WRONG)
