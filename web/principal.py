"""Who is asking: the signed-in panel user behind a request, and the route guard built on the permission
matrix. `current_principal` is the one place a request becomes a user (a session cookie or an API token)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from web.permissions import Permission, allowed


@dataclass(frozen=True)
class Principal:
    """A signed-in user, as far as a route needs to know."""

    user_id: int
    username: str
    role: str
    session_id: str | None = None  # None when the request came with an API token


def current_principal(request: Request) -> Principal:
    """The user behind this request; 401 when nobody is signed in. Sign-in is not built yet, so for now
    nobody is: every guarded route answers 401."""
    raise HTTPException(status_code=401, detail="Sign in first.")


def require(permission: Permission) -> Callable[..., Principal]:
    """A route dependency: the signed-in user if their role allows `permission`, else 403."""

    def guard(principal: Principal = Depends(current_principal)) -> Principal:  # noqa: B008
        if not allowed(principal.role, permission):
            raise HTTPException(status_code=403, detail="Your role does not allow this. Ask the owner.")
        return principal

    return guard
