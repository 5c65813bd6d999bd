"""The panel application: sign-in, accounts, users and the audit log, served over HTTPS by `web.server`; `/health`
stays open for monitoring and says nothing about callers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from appliance.service import Appliance
from web import errors
from web.pages import render
from web.principal import ROLE_RULES, Principal, current_principal
from web.routes import account, api_session, api_users, signin, users
from web.security import SecurityHeaders, csrf_guard

STATIC = Path(__file__).parent / "static"


def create_app(appliance: Appliance) -> FastAPI:
    """Build the panel for one opened appliance (its store holds the accounts)."""
    app = FastAPI(title="Receptionist appliance", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  dependencies=[Depends(csrf_guard)])
    app.state.appliance = appliance
    app.state.accounts = appliance.accounts(ROLE_RULES)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    for router in (signin.router, account.router, users.router, api_session.router, api_users.router):
        app.include_router(router)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the appliance is up: SIP listener, loaded models, active calls (no caller data)."""
        return appliance.health()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request, me: Annotated[Principal, Depends(current_principal)]) -> Response:
        """The start page: who is signed in, and the appliance's state."""
        return render(request, "index.html", me=me, health=appliance.health())

    return app
