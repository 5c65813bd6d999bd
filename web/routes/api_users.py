"""The JSON API of the owner's user management and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from appliance.accounts.errors import AccountError, NoSuchUserError
from web.deps import UserId
from web.permissions import Permission
from web.principal import Principal, accounts_of, require, where

router = APIRouter(prefix="/api", tags=["users and audit"])
Owner = Annotated[Principal, Depends(require(Permission.MANAGE_USERS))]
Auditor = Annotated[Principal, Depends(require(Permission.READ_AUDIT))]


class NewUser(BaseModel):
    """A user to add: name, first password, role."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    role: str = Field(max_length=16)


class UserChange(BaseModel):
    """What to change of a user: the role, and/or whether they are disabled."""

    role: str | None = Field(default=None, max_length=16)
    disabled: bool | None = None


def _bad(exc: AccountError) -> HTTPException:
    return HTTPException(status_code=404 if isinstance(exc, NoSuchUserError) else 400, detail=str(exc))


@router.get("/users")
def users(request: Request, principal: Owner) -> list[dict[str, Any]]:
    """Every user: id, username, role, disabled, has_totp, created_at."""
    return [{k: row[k] for k in ("id", "username", "role", "disabled", "has_totp", "created_at")}
            for row in accounts_of(request).list_users()]


@router.post("/users", status_code=201)
def add_user(request: Request, principal: Owner, body: NewUser) -> dict[str, int]:
    """Add a user with a first password."""
    try:
        return {"id": accounts_of(request).add_user(body.username.strip(), body.password, body.role,
                                                    principal.username, where(request))}
    except AccountError as exc:
        raise _bad(exc) from None


@router.patch("/users/{user_id}", status_code=204)
def change_user(request: Request, principal: Owner, user_id: UserId, body: UserChange) -> None:
    """Change a user's role and/or disable or enable them (their sessions end)."""
    accounts, at = accounts_of(request), where(request)
    try:
        if body.role is not None:
            accounts.set_role(user_id, body.role, principal.username, at)
        if body.disabled is not None:
            accounts.set_disabled(user_id, body.disabled, principal.username, at)
    except AccountError as exc:
        raise _bad(exc) from None


@router.post("/users/{user_id}/reset-2fa", status_code=204)
def reset_second_factor(request: Request, principal: Owner, user_id: UserId) -> None:
    """Remove a user's authenticator and recovery codes; they set up a new one at their next sign-in."""
    try:
        accounts_of(request).reset_second_factor(user_id, principal.username, where(request))
    except AccountError as exc:
        raise _bad(exc) from None


@router.get("/audit")
def audit(request: Request, principal: Auditor, limit: Annotated[int, Query(ge=1, le=500)] = 100,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> list[dict[str, Any]]:
    """The audit log, newest first: id, at, actor, action, subject, detail, address."""
    rows: list[dict[str, Any]] = request.app.state.appliance.audit_log(limit, offset)
    return rows
