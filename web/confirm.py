"""Asking for the password again before an erasure (`Appliance.verify_password`): a wrong one refuses the
erasure, audited."""

from __future__ import annotations

from fastapi import HTTPException

from appliance.service import Appliance
from web.principal import Principal

WRONG = "That password is not right, so nothing was erased. Type your own sign-in password."


def confirm_password(appliance: Appliance, principal: Principal, password: str, *, source: str | None) -> None:
    """Nothing if `password` is the principal's own; else 403, audited."""
    if not appliance.verify_password(principal.user_id, password):
        appliance.audit(actor=principal.username, action="erase-refused", detail="wrong password", source=source)
        raise HTTPException(status_code=403, detail=WRONG)
